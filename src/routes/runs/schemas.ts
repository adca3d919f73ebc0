// Request and response schemas of GET /v2/lm/runs; they validate requests and make the OpenAPI document.
import { z } from 'zod'
import { rfc3339Field } from '../logs/schemas.js'

export const MAX_RUNS_TOP = 1000
export const DEFAULT_RUNS_TOP = 100

const topError = `must be an integer from 1 to ${MAX_RUNS_TOP}`

export const listRunsQuery = z.strictObject({
  kind: z.enum(['deployment', 'execution'], { error: 'must be deployment or execution' }).optional()
    .meta({ description: 'Only runs of this kind.' }),
  idPrefix: z.string().regex(/^[\w.-]{1,64}$/, { error: 'must be 1 to 64 letters, digits, underscores, dots or dashes' }).optional()
    .meta({ description: 'Only runs whose id starts with this text.' }),
  start: rfc3339Field().optional()
    .meta({ description: 'Only runs with lines at or after this time (their last line is not earlier), RFC 3339.', format: 'date-time' }),
  end: rfc3339Field().optional()
    .meta({ description: 'Only runs with lines before this time (their first line is earlier), RFC 3339.', format: 'date-time' }),
  $top: z.preprocess((v) => (typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v),
    z.int({ error: topError }).min(1, { error: topError }).max(MAX_RUNS_TOP, { error: topError })).optional()
    .meta({ description: `Runs to return, 1 to ${MAX_RUNS_TOP}; default ${DEFAULT_RUNS_TOP}.` }),
  cursor: z.string().min(1).max(2048, { error: 'is not a cursor this service made' }).optional()
    .meta({ description: 'nextCursor of the previous page: continues with the same filters.' })
})

export const runSummary = z.object({
  kind: z.enum(['deployment', 'execution']),
  id: z.string(),
  firstTimestamp: z.string().meta({ description: 'The run\'s earliest line, UTC with +00:00.' }),
  lastTimestamp: z.string().meta({ description: 'The run\'s latest line, UTC with +00:00.' }),
  lineCount: z.int().meta({ description: 'Lines stored (lines dropped by retention no longer count).' })
}).meta({ id: 'Run' })

export const runList = z.object({
  resources: z.array(runSummary).meta({ description: 'Newest first: by first line, then kind and id. A run keeps its place as lines are added, so pages neither repeat nor skip a run.' }),
  nextCursor: z.string().optional().meta({ description: 'Present only while more runs remain: send it as ?cursor= for the next page.' })
}).meta({ id: 'RunList' })

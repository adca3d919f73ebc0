// Request and response schemas of GET /v2/lm/runs; they validate requests and make the OpenAPI document.
import { z } from 'zod'
import { LABEL_KEY_RULE, LABEL_VALUE_RULE, parseLabelPair } from '../../labels.js'
import { rfc3339Field } from '../../schemas/common.js'

const MAX_RUNS_TOP = 1000
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
  label: z.preprocess((v) => (typeof v === 'string' ? [v] : v), z.array(z.string()).max(20, { error: 'may be given at most 20 times' })
    .transform((pairs, ctx) => pairs.map((text): [string, string] => {
      const pair = parseLabelPair(text)
      if (pair === undefined) ctx.addIssue({ code: 'custom', message: `must be key=value: key ${LABEL_KEY_RULE}; value ${LABEL_VALUE_RULE}` })
      return pair ?? ['', '']
    }))).optional()
    .meta({ description: 'Only runs with this label, as key=value; repeatable: every key must match, and a key given twice matches either value.' }),
  $top: z.preprocess((v) => (typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v),
    z.int({ error: topError }).min(1, { error: topError }).max(MAX_RUNS_TOP, { error: topError })).optional()
    .meta({ description: `Runs to return, 1 to ${MAX_RUNS_TOP}; default ${DEFAULT_RUNS_TOP}.` }),
  cursor: z.string().min(1).max(2048, { error: 'is not a cursor this service made' }).optional()
    .meta({ description: 'nextCursor of the previous page: continues with the same filters.' })
})

export const runLabels = z.record(z.string(), z.string()).meta({
  description: 'The run\'s labels (Harness\'s application, service, environment, pipeline, workflow, status, triggeredBy, tag, or any other key).'
})

export const patchRunBody = z.strictObject({
  labels: z.record(z.string(), z.string().nullable())
    .meta({ description: `Labels to set (merged into the run's); null removes a label. Keys: ${LABEL_KEY_RULE}; values: ${LABEL_VALUE_RULE}.` })
}).meta({ id: 'RunPatch' })

export const runSummary = z.object({
  kind: z.enum(['deployment', 'execution']),
  id: z.string(),
  firstTimestamp: z.string().meta({ description: 'The run\'s earliest line, UTC with +00:00.' }),
  lastTimestamp: z.string().meta({ description: 'The run\'s latest line, UTC with +00:00.' }),
  lineCount: z.int().meta({ description: 'Lines stored (lines dropped by retention no longer count).' }),
  labels: runLabels
}).meta({ id: 'Run' })

export const runList = z.object({
  resources: z.array(runSummary).meta({ description: 'Newest first: by first line, then kind and id. A run keeps its place as lines are added, so pages neither repeat nor skip a run.' }),
  nextCursor: z.string().optional().meta({ description: 'Present only while more runs remain: send it as ?cursor= for the next page.' })
}).meta({ id: 'RunList' })

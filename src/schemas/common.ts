// Request and response schemas of the logs endpoints; they validate requests and make the OpenAPI document.
import { z } from 'zod'
import { MAX_TOP } from '../read/query.js'
import { parseRfc3339, TimestampError } from '../time.js'

export const RUN_ID_PATTERN = /^[\w.-]{4,64}$/

export const runIdParam = z.string().regex(RUN_ID_PATTERN, { error: 'must be 4 to 64 letters, digits, underscores, dots or dashes' })

/** An RFC 3339 timestamp parsed to nanoseconds; a bad one is a 400 saying what is wrong with it. */
export const rfc3339Field = () => z.string()
  .transform((value, ctx) => {
    try {
      return parseRfc3339(value)
    } catch (err) {
      if (!(err instanceof TimestampError)) throw err
      ctx.addIssue({ code: 'custom', message: err.message })
      return z.NEVER
    }
  })

const timestampParam = (what: string) => rfc3339Field()
  .meta({ description: `${what} RFC 3339 with Z or ±hh:mm and 0 to 9 fractional digits; a '+' may be sent unencoded.`, format: 'date-time' })

const topParam = (max: number) => {
  const error = max === MAX_TOP ? `must be an integer from 1 to ${MAX_TOP}` : `must be an integer from 1 to ${MAX_TOP} (to ${max} with Accept: application/x-ndjson, text/plain or text/event-stream)`
  return z.preprocess((v) => (typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v),
    z.int({ error }).min(1, { error }).max(max, { error }))
}

const orderParam = z.enum(['asc', 'desc'], { error: 'must be asc or desc' })

// Postgres text cannot hold NUL: a filter with one could match nothing, and the driver would fail on it.
const noNul = (value: string): boolean => !value.includes('\u0000')
const NO_NUL = { error: 'must not contain a NUL character' }

const FILTER_MAX = 253
const CONTAINS_MAX = 1024

/** The read endpoints' parameters: SAP's, then those beyond them (see docs/reading.md). */
export const logsQuery = (streamMaxLines: number) => z.strictObject({
  start: timestampParam('Start of the range (inclusive); default one hour before end.').optional(),
  end: timestampParam('End of the range (exclusive); default now (with follow=true: no end).').optional(),
  $top: topParam(streamMaxLines).optional().meta({ description: `Lines to return, 1 to ${MAX_TOP} (JSON) or ${streamMaxLines} (streamed formats); default 1000.` }),
  top: topParam(streamMaxLines).optional().meta({ description: 'Same as $top (as SAP\'s Python client sends it).' }),
  $order: orderParam.optional().meta({ description: 'asc (oldest first, the default) or desc (newest first).' }),
  order: orderParam.optional().meta({ description: 'Same as $order.' }),
  cursor: z.string().min(1).max(4096, { error: 'is not a cursor this service made' }).optional()
    .meta({ description: 'data.nextCursor of the previous page: continues with the same range, order and filters.' }),
  container: z.string().max(FILTER_MAX, { error: `must be at most ${FILTER_MAX} characters` }).refine(noNul, NO_NUL).optional()
    .meta({ description: 'Only lines of this container (exact).' }),
  pod: z.string().max(FILTER_MAX, { error: `must be at most ${FILTER_MAX} characters` }).refine(noNul, NO_NUL).optional()
    .meta({ description: 'Only lines of this pod (exact).' }),
  stream: z.enum(['stdout', 'stderr'], { error: 'must be stdout or stderr' }).optional()
    .meta({ description: 'Only lines of this stream.' }),
  contains: z.string().min(1, { error: 'must not be empty' }).max(CONTAINS_MAX, { error: `must be at most ${CONTAINS_MAX} characters` }).refine(noNul, NO_NUL).optional()
    .meta({ description: 'Only lines whose msg contains this text (case-sensitive).' }),
  follow: z.enum(['true', 'false'], { error: 'must be true or false' }).optional()
    .meta({ description: 'true: keep the response open and send new lines as they are written (SSE, NDJSON or text).' })
})

export const resourceGroupHeaders = z.looseObject({
  'ai-resource-group': z.string().optional()
    .meta({ description: 'Resource group to act in; default "default". 3 to 253 letters, digits, dots or dashes.' })
})

export const idempotencyKeyHeader = z.string().optional()
  .meta({ description: '1 to 255 printable ASCII characters; a retry with the same key and body is stored once (kept IDEMPOTENCY_TTL_HOURS).' })

export const ingestHeaders = z.looseObject({
  ...resourceGroupHeaders.shape,
  'idempotency-key': idempotencyKeyHeader
})

export const logLine = z.object({
  container: z.string(),
  msg: z.string(),
  pod: z.string(),
  stream: z.string(),
  timestamp: z.string().meta({ description: 'UTC with +00:00 and 3, 6 or 9 fractional digits.' })
}).meta({ id: 'LogLine' })

export const logsResponse = z.object({
  data: z.object({
    result: z.array(logLine),
    nextCursor: z.string().optional().meta({ description: 'Present only while more lines remain in the range: send it as ?cursor= for the next page.' })
  })
}).meta({ id: 'LogsResponse' })

export const ingestLine = z.object({
  timestamp: z.string().meta({ description: 'RFC 3339, Z or ±hh:mm, up to 9 fractional digits.' }),
  msg: z.string(),
  container: z.string().optional(),
  pod: z.string().optional(),
  stream: z.string().optional()
}).meta({ id: 'IngestLine' })

export const ingestBody = z.union([z.array(ingestLine), z.object({ data: z.object({ result: z.array(ingestLine) }) })])
  .meta({ description: 'An array of lines, or a read body {"data":{"result":[...]}}. As application/x-ndjson: one line object per text line. Content-Encoding gzip is accepted.' })

export const ingestResponse = z.object({ accepted: z.int().meta({ description: 'Lines committed.' }) })

export const errorResponse = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    requestId: z.string(),
    target: z.string(),
    details: z.record(z.string(), z.unknown()).optional()
  })
}).meta({ id: 'Error' })

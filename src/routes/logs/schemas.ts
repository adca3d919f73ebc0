// Request and response schemas of the logs endpoints (read and write); the shared ones are in src/schemas/.
import { z } from 'zod'
import { maxTopFor } from '../../read/query.js'
import { idempotencyKeyHeader, resourceGroupHeaders, rfc3339Field } from '../../schemas/common.js'

const timestampParam = (what: string) => rfc3339Field()
  .meta({ description: `${what} RFC 3339 with Z or ±hh:mm and 0 to 9 fractional digits; a '+' may be sent unencoded.`, format: 'date-time' })

/** Validated up to the streamed formats' maximum; the route holds a JSON read to its own (maxTopFor). */
const topParam = (streamMaxLines: number) => {
  const json = maxTopFor('json', streamMaxLines)
  const max = maxTopFor('ndjson', streamMaxLines)
  const error = max === json ? `must be an integer from 1 to ${json}` : `must be an integer from 1 to ${json} (to ${max} with Accept: application/x-ndjson, text/plain or text/event-stream)`
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
  $top: topParam(streamMaxLines).optional().meta({ description: `Lines to return, 1 to ${maxTopFor('json', streamMaxLines)} (JSON) or ${streamMaxLines} (streamed formats); default 1000.` }),
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

export const ingestHeaders = z.looseObject({
  ...resourceGroupHeaders.shape,
  'idempotency-key': idempotencyKeyHeader
})

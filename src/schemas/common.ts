// Schemas every route shares: the error body, the resource group header, the run id parameter, RFC 3339
// fields and the Idempotency-Key header. They validate requests and make the OpenAPI document.
import { z } from 'zod'
// First: the OpenAPI document lists its components in the order they are made, the lines before the error body.
import './lines.js'
import { parseRfc3339, TimestampError } from '../time.js'
import { RUN_ID_PATTERN, RUN_ID_RULE } from './ids.js'

export const runIdParam = z.string().regex(RUN_ID_PATTERN, { error: `must be ${RUN_ID_RULE}` })

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

export const resourceGroupHeaders = z.looseObject({
  'ai-resource-group': z.string().optional()
    .meta({ description: 'Resource group to act in; default "default". 3 to 253 letters, digits, dots or dashes.' })
})

export const idempotencyKeyHeader = z.string().optional()
  .meta({ description: '1 to 255 printable ASCII characters; a retry with the same key and body is stored once (kept IDEMPOTENCY_TTL_HOURS).' })

export const errorResponse = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    requestId: z.string(),
    target: z.string(),
    details: z.record(z.string(), z.unknown()).optional()
  })
}).meta({ id: 'Error' })

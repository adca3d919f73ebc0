// Request and response schemas of the collector endpoints (Fluent Bit, Vector, Loki push).
import { z } from 'zod'
import { idempotencyKeyHeader } from '../../schemas/common.js'

export const collectorQuery = z.strictObject({
  dedupe: z.enum(['body']).optional()
    .meta({ description: 'body: without an Idempotency-Key header, the sha256 of the decoded body is the key (for shippers that cannot send one).' })
})

export const collectorHeaders = z.looseObject({
  'ai-resource-group': z.string().optional()
    .meta({ description: 'Resource group of records that carry no group label; default "default". The token must allow every group used.' }),
  'idempotency-key': idempotencyKeyHeader
})

export const lokiHeaders = collectorHeaders.extend({
  'x-scope-orgid': z.string().optional()
    .meta({ description: 'Loki\'s tenant header (Promtail tenant_id, Alloy tenant_id): the resource group when AI-Resource-Group is absent.' })
})

export const collectorResponse = z.object({
  accepted: z.int().meta({ description: 'Lines committed.' }),
  unmatched: z.int().meta({ description: 'Records (Loki: entries) that named no run the token may write to; not stored.' }),
  unmatchedSamples: z.array(z.object({
    index: z.int().meta({ description: 'The record\'s index in the batch (Loki: the stream\'s).' }),
    reason: z.string()
  })).meta({ description: 'The first 10 unmatched records or streams, with the reason.' })
}).meta({ id: 'CollectorAnswer' })

export const collectorBody = z.array(z.record(z.string(), z.unknown()))
  .meta({ description: 'Fluent Bit (format json) or Vector (json codec) records as a JSON array; as application/x-ndjson one record per line (Fluent Bit json_lines, Vector newline_delimited). Content-Encoding gzip accepted.' })

export const lokiBody = z.object({
  streams: z.array(z.object({
    stream: z.record(z.string(), z.string()),
    values: z.array(z.array(z.unknown()).meta({ description: '["<nanoseconds since the epoch>", "<line>", {structured metadata}?]' }))
  }))
}).meta({ description: 'Loki push request as JSON (gzip accepted), or as application/x-protobuf: a snappy-compressed logproto.PushRequest, as Promtail and Alloy send it.' })

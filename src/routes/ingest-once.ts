// What every ingest route does with its body: hands it to the route's decoder (src/ingest/: the decoder
// hands each line to the run mapper, which yields the store's RunLines), in a worker thread that also builds
// the runs' blocks when one is free (src/ingest/decode-pool.ts), stores them once per Idempotency-Key
// (LogStore.ingest) and sends the answer. The route picks the body format; this is the one ingest function
// between it and the store.
import { createHash } from 'node:crypto'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { retentionDaysOf, type Config } from '../config.js'
import { errors } from '../errors.js'
import { rawBodyOf } from '../http/raw-body.js'
import { decodeHere, type BodyFormat, type DecodedBody, type DecodeSettings } from '../ingest/decoders.js'
import { IDEMPOTENCY_KEY_PATTERN } from '../schemas/ids.js'

export interface IngestRoute {
  format: BodyFormat
  /** ?dedupe=body: without an Idempotency-Key, the body's hash is the key. */
  dedupe?: 'body'
  /** The answer's media type and encoding, when not the stored JSON (OTLP's protobuf). */
  type?: string
  encode?: (json: string) => Buffer
}

/**
 * The key of a request: its Idempotency-Key header, checked; without one, with `dedupe` (a collector's
 * ?dedupe=body), the hash of the decoded body; else none.
 */
function idempotencyKeyOf (header: string | string[] | undefined, dedupe?: Buffer): string | undefined {
  if (header === undefined) return dedupe === undefined ? undefined : `sha256:${createHash('sha256').update(dedupe).digest('hex')}`
  if (typeof header !== 'string' || !IDEMPOTENCY_KEY_PATTERN.test(header)) {
    throw errors.invalidRequest('Header Idempotency-Key must be 1 to 255 printable ASCII characters without spaces, given once.', { header: 'Idempotency-Key' })
  }
  return header
}

/**
 * Decodes, stores and answers an ingest request: JSON text as stored (a replay's byte for byte), with
 * Idempotent-Replayed: true on a replay.
 */
export async function ingestOnce (app: FastifyInstance, config: Config, request: FastifyRequest, reply: FastifyReply, route: IngestRoute): Promise<FastifyReply> {
  const body = rawBodyOf(request)
  const now = app.now()
  const principal = request.principal
  const settings: DecodeSettings = {
    now,
    retentionDays: retentionDaysOf(config, request.resourceGroup),
    maxFutureSkewSeconds: config.maxFutureSkewSeconds,
    lineMaxBytes: config.lineMaxBytes,
    maxItems: config.ingestMaxLines,
    maxBytes: config.ingestMaxBytes,
    mapping: config.collector,
    requestGroup: request.resourceGroup,
    principal
  }
  const decoded: DecodedBody = await (app.decodePool?.decode(route.format, body, settings) ?? decodeHere(route.format, body, settings))
  const { runs, answer, accepted, unmatched } = decoded
  const key = idempotencyKeyOf(request.headers['idempotency-key'], route.dedupe === 'body' ? body : undefined)
  const stored = await app.store.ingest(runs, {
    answer,
    key,
    method: request.method,
    url: request.url,
    body,
    subject: principal?.subject ?? '',
    group: request.resourceGroup,
    now,
    ttlHours: config.idempotencyTtlHours
  })
  if (stored.conflict === true) {
    throw errors.conflict('This Idempotency-Key was already used for a different request; use a new key for new lines.', { header: 'Idempotency-Key' })
  }
  if (stored.replayed) {
    request.log.info({ idempotencyKey: key }, 'replayed an earlier answer')
    reply.header('idempotent-replayed', 'true')
  }
  request.log.info({ lines: accepted, unmatched, runs: runs.length }, 'ingested')
  return await reply.code(stored.status).type(route.type ?? 'application/json; charset=utf-8').send(route.encode === undefined ? stored.body : route.encode(stored.body))
}

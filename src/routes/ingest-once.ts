// What every ingest route does once its body is checked: store the runs' lines, once per Idempotency-Key
// (src/ingest/idempotency.ts), and hand back the answer to send.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { Config } from '../config.js'
import { idempotencyKeyOf, storeOnce, type StoredAnswer } from '../ingest/idempotency.js'
import type { RunLines } from '../store/log-store.js'

export interface IngestOnce {
  runs: RunLines[]
  answer: object
  /** The decoded body. */
  body: Buffer
  /** ?dedupe=body: without an Idempotency-Key, the body's hash is the key. */
  dedupe?: 'body'
}

export async function ingestOnce (app: FastifyInstance, config: Config, request: FastifyRequest, opts: IngestOnce): Promise<StoredAnswer> {
  const key = idempotencyKeyOf(request.headers['idempotency-key'], opts.dedupe === 'body' ? opts.body : undefined)
  const stored = await storeOnce(app.store, {
    runs: opts.runs,
    answer: opts.answer,
    key,
    method: request.method,
    url: request.url,
    body: opts.body,
    subject: request.principal?.subject ?? '',
    group: request.resourceGroup,
    now: app.now(),
    ttlHours: config.idempotencyTtlHours
  })
  if (stored.replayed) request.log.info({ idempotencyKey: key }, 'replayed an earlier answer')
  return stored
}

/** Sends a stored answer: JSON text as stored (a replay's byte for byte), with Idempotent-Replayed: true on a replay. */
export async function sendStored (reply: FastifyReply, stored: StoredAnswer, type = 'application/json; charset=utf-8', body: string | Buffer = stored.body): Promise<FastifyReply> {
  if (stored.replayed) reply.header('idempotent-replayed', 'true')
  return await reply.code(stored.status).type(type).send(body)
}

// Idempotency-Key on the ingest endpoints: a retried request with the same key and body is stored once and
// answered as the first time (plus Idempotent-Replayed: true); the same key with another body is a 409.
// The key is recorded with the lines, in their transaction (src/store/idempotency.ts).
import { createHash } from 'node:crypto'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { errors } from '../errors.js'
import type { RunLines } from '../store/log-store.js'
import type { IdempotencyClaim } from '../store/idempotency.js'
import { NS_PER_SECOND, toStoredParts } from '../time.js'

// Printable ASCII without spaces, as UUIDs, ULIDs and hashes are.
const KEY_PATTERN = /^[\x21-\x7e]{1,255}$/

/** The request's Idempotency-Key, checked; undefined without one. */
export function idempotencyKeyOf (request: FastifyRequest): string | undefined {
  const value = request.headers['idempotency-key']
  if (value === undefined) return undefined
  if (typeof value !== 'string' || !KEY_PATTERN.test(value)) {
    throw errors.invalidRequest('Header Idempotency-Key must be 1 to 255 printable ASCII characters without spaces, given once.', { header: 'Idempotency-Key' })
  }
  return value
}

/** What a request is, for comparing retries: method, path and the decoded body. */
export function requestHash (request: FastifyRequest, body: Buffer): Buffer {
  return createHash('sha256').update(`${request.method} ${request.url.split('?')[0] as string}\n`).update(body).digest()
}

export const hashKey = (body: Buffer): string => `sha256:${createHash('sha256').update(body).digest('hex')}`

const JSON_TYPE = 'application/json; charset=utf-8'

/**
 * Stores the runs' lines and sends `answer` (status 200); with a key, once per key: a replay sends the
 * stored body byte for byte. `key` defaults to the request's Idempotency-Key header.
 */
export async function storeOnce (app: FastifyInstance, request: FastifyRequest, reply: FastifyReply,
  opts: { runs: RunLines[], answer: object, body: Buffer, ttlHours: number, key?: string }): Promise<void> {
  reply.send(await storedAnswer(app, request, reply, opts))
}

/** What storeOnce sends, as JSON text (for routes that re-encode it, such as OTLP's protobuf answers). */
export async function storedAnswer (app: FastifyInstance, request: FastifyRequest, reply: FastifyReply,
  opts: { runs: RunLines[], answer: object, body: Buffer, ttlHours: number, key?: string }): Promise<string> {
  const response = JSON.stringify(opts.answer)
  reply.type(JSON_TYPE)
  const key = opts.key ?? idempotencyKeyOf(request)
  if (key === undefined) {
    if (opts.runs.length > 0) await app.store.ingestRuns(opts.runs)
    return response
  }
  const now = app.now()
  const claim: IdempotencyClaim = {
    // The subject of a verified token (one issuer per service) and the group the request acts in: two
    // tenants never share a key.
    scope: JSON.stringify([request.principal?.subject ?? '', request.resourceGroup]),
    key,
    requestHash: requestHash(request, opts.body),
    status: 200,
    response,
    createdAt: toStoredParts(now).ts,
    expiredBefore: toStoredParts(now - BigInt(opts.ttlHours) * 3600n * NS_PER_SECOND).ts
  }
  const earlier = await app.store.ingestRuns(opts.runs, claim)
  if (earlier === null) return response
  if (!earlier.sameRequest) {
    throw errors.conflict('This Idempotency-Key was already used for a different request; use a new key for new lines.', { header: 'Idempotency-Key' })
  }
  request.log.info({ idempotencyKey: key }, 'replayed an earlier answer')
  reply.code(earlier.status).header('idempotent-replayed', 'true')
  return earlier.response
}

// Idempotency-Key on the ingest endpoints: a retried request with the same key and body is stored once and
// answered as the first time (the route adds Idempotent-Replayed: true); the same key with another body is
// a 409. The key is recorded with the lines, in their transaction (src/store/idempotency.ts).
import { createHash } from 'node:crypto'
import { errors } from '../errors.js'
import { IDEMPOTENCY_KEY_PATTERN } from '../schemas/ids.js'
import type { LogStore, RunLines } from '../store/log-store.js'
import type { IdempotencyClaim } from '../store/idempotency.js'
import { NS_PER_SECOND, toStoredParts, type Instant } from '../time.js'

/**
 * The key of a request: its Idempotency-Key header, checked; without one, with `dedupe` (a collector's
 * ?dedupe=body), the hash of the decoded body; else none.
 */
export function idempotencyKeyOf (header: string | string[] | undefined, dedupe?: Buffer): string | undefined {
  if (header === undefined) return dedupe === undefined ? undefined : `sha256:${createHash('sha256').update(dedupe).digest('hex')}`
  if (typeof header !== 'string' || !IDEMPOTENCY_KEY_PATTERN.test(header)) {
    throw errors.invalidRequest('Header Idempotency-Key must be 1 to 255 printable ASCII characters without spaces, given once.', { header: 'Idempotency-Key' })
  }
  return header
}

/** The timestamptz literal before which a key has expired (IDEMPOTENCY_TTL_HOURS). */
export const keysExpiredBefore = (now: Instant, ttlHours: number): string =>
  toStoredParts(now - BigInt(ttlHours) * 3600n * NS_PER_SECOND).ts

export interface IngestAsk {
  runs: RunLines[]
  /** What to answer once the lines are committed (as JSON). */
  answer: object
  key: string | undefined
  /** What the request is, for comparing retries: method, URL (its query left out) and the decoded body. */
  method: string
  url: string
  body: Buffer
  /** The subject of a verified token (one issuer per service) and the group the request acts in: two tenants never share a key. */
  subject: string
  group: string
  now: Instant
  ttlHours: number
}

/** The answer to send: the first time's, byte for byte, on a replay. */
export interface StoredAnswer { status: number, body: string, replayed: boolean }

/** Stores the runs' lines; with a key, once per key. */
export async function storeOnce (store: LogStore, ask: IngestAsk): Promise<StoredAnswer> {
  const response = JSON.stringify(ask.answer)
  if (ask.key === undefined) {
    if (ask.runs.length > 0) await store.ingestRuns(ask.runs)
    return { status: 200, body: response, replayed: false }
  }
  const claim: IdempotencyClaim = {
    scope: JSON.stringify([ask.subject, ask.group]),
    key: ask.key,
    requestHash: createHash('sha256').update(`${ask.method} ${ask.url.split('?')[0] as string}\n`).update(ask.body).digest(),
    status: 200,
    response,
    createdAt: toStoredParts(ask.now).ts,
    expiredBefore: keysExpiredBefore(ask.now, ask.ttlHours)
  }
  const earlier = await store.ingestRuns(ask.runs, claim)
  if (earlier === null) return { status: 200, body: response, replayed: false }
  if (!earlier.sameRequest) {
    throw errors.conflict('This Idempotency-Key was already used for a different request; use a new key for new lines.', { header: 'Idempotency-Key' })
  }
  return { status: earlier.status, body: earlier.response, replayed: true }
}

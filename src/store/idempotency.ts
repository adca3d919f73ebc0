// Idempotency keys: a retried request with the same key and body is stored once and answered as the first
// time (the route adds Idempotent-Replayed: true); the same key with another body is a conflict (409). The
// key is claimed inside the ingest transaction, before any run row is locked.
import { createHash } from 'node:crypto'
import type pg from 'pg'
import { NS_PER_SECOND, toStoredParts, type Instant } from '../time.js'

/** The timestamptz literal before which a key has expired (IDEMPOTENCY_TTL_HOURS). */
export const keysExpiredBefore = (now: Instant, ttlHours: number): string =>
  toStoredParts(now - BigInt(ttlHours) * 3600n * NS_PER_SECOND).ts

/** What an ingest request is, for storing it once per key. */
export interface IngestAsk {
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

/** The answer to send: the first time's, byte for byte, on a replay; `conflict` when the key was used for another request. */
export interface StoredAnswer { status: number, body: string, replayed: boolean, conflict?: true }

/** The claim of an ask's key (none without a key). */
export function claimOf (ask: IngestAsk, response: string): IdempotencyClaim | undefined {
  if (ask.key === undefined) return undefined
  return {
    scope: JSON.stringify([ask.subject, ask.group]),
    key: ask.key,
    requestHash: createHash('sha256').update(`${ask.method} ${ask.url.split('?')[0] as string}\n`).update(ask.body).digest(),
    status: 200,
    response,
    createdAt: toStoredParts(ask.now).ts,
    expiredBefore: keysExpiredBefore(ask.now, ask.ttlHours)
  }
}

export interface IdempotencyClaim {
  /** Who may see the key: the token's subject and the resource group (see src/ingest/idempotency.ts). */
  scope: string
  key: string
  /** sha256 of the request (method, path, decoded body). */
  requestHash: Buffer
  /** The answer this request gives once committed. */
  status: number
  response: string
  /** timestamptz literals: now, and now less the TTL (a key made then or earlier has expired). */
  createdAt: string
  expiredBefore: string
}

/** The answer recorded under a key already held. */
export interface EarlierAnswer {
  sameRequest: boolean
  status: number
  response: string
}

// Inserts the key, or takes over one that has expired. A live key from a transaction still in flight makes
// this statement wait on the primary key until that transaction ends: a concurrent retry then finds the
// committed answer, or the key free if the first attempt rolled back.
const CLAIM = `
INSERT INTO idempotency_keys AS k (scope, key, request_hash, status, response, created_at)
VALUES ($1, $2, $3, $4, $5, $6)
ON CONFLICT (scope, key) DO UPDATE SET
  request_hash = EXCLUDED.request_hash, status = EXCLUDED.status, response = EXCLUDED.response, created_at = EXCLUDED.created_at
WHERE k.created_at <= $7`

const EARLIER = 'SELECT request_hash, status, response FROM idempotency_keys WHERE scope = $1 AND key = $2'

/** Claims the key in the client's transaction; returns null if claimed, else the earlier answer. */
export async function claimIdempotencyKey (client: pg.PoolClient, claim: IdempotencyClaim): Promise<EarlierAnswer | null> {
  const { rowCount } = await client.query({
    name: 'claim-idempotency-key',
    text: CLAIM,
    values: [claim.scope, claim.key, claim.requestHash, claim.status, claim.response, claim.createdAt, claim.expiredBefore]
  })
  if (rowCount === 1) return null
  const { rows } = await client.query<{ request_hash: Buffer, status: number, response: string }>({
    name: 'earlier-idempotency-answer',
    text: EARLIER,
    values: [claim.scope, claim.key]
  })
  const row = rows[0]
  // Held a moment ago, gone now: only expiry running between the two statements can do that.
  if (row === undefined) throw new Error('idempotency key vanished while being claimed')
  return { sameRequest: row.request_hash.equals(claim.requestHash), status: row.status, response: row.response }
}

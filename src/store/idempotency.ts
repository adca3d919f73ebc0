// The SQL of idempotency keys: claimed inside the ingest transaction, before any run row is locked.
import type pg from 'pg'

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

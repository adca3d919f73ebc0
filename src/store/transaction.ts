// One transaction on one pooled connection: committed when `work` returns, rolled back when it throws. A
// branch that has only read (a quota check, a held idempotency key) returns early and commits nothing.
import type pg from 'pg'

export async function inTransaction<T> (pool: pg.Pool, work: (client: pg.PoolClient) => Promise<T>, begin = 'BEGIN'): Promise<T> {
  const client = await pool.connect()
  try {
    await client.query(begin)
    const result = await work(client)
    await client.query('COMMIT')
    return result
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined)
    throw err
  } finally {
    client.release()
  }
}

/**
 * Reads on one connection in one snapshot (REPEATABLE READ, read only): a read that takes a run's blocks in
 * several queries sees each line exactly once even if a merge (block-merge.ts) replaces blocks in between.
 */
export async function inReadSnapshot<T> (pool: pg.Pool, read: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  return await inTransaction(pool, read, 'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY')
}

// One transaction on one pooled connection: committed when `work` returns, rolled back when it throws. A
// branch that has only read (a quota check, a held idempotency key) returns early and commits nothing.
import type pg from 'pg'

export async function inTransaction<T> (pool: pg.Pool, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect()
  try {
    await client.query('BEGIN')
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

// The connection pool. Timestamps come back as Postgres' own UTC text (no Date is built: nanoseconds
// would not fit, and formatting from text is cheaper).
import pg from 'pg'

const TIMESTAMPTZ_OID = 1184

export function createPool (connectionString: string, max: number): pg.Pool {
  const pool = new pg.Pool({
    connectionString,
    max,
    connectionTimeoutMillis: 5000,
    idleTimeoutMillis: 30000,
    options: '-c TimeZone=UTC -c DateStyle=ISO',
    types: {
      getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
        oid === TIMESTAMPTZ_OID ? (value: string) => value : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser
    }
  })
  // An idle client's connection dropping must not crash the process; the next query reconnects.
  pool.on('error', () => undefined)
  // pg-pool listens for a client's errors only while it is idle: a connection that drops while a client is
  // checked out between two queries of a transaction (the database restarting) would emit an 'error' nobody
  // hears and crash the process. The query in flight, if any, fails by itself (503), and a broken client is
  // discarded when it is released.
  pool.on('connect', (client) => { client.on('error', () => undefined) })
  return pool
}

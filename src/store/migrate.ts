// Applies migrations/*.sql with postgrator, turns lines of the row store (release 0.1) into blocks
// (legacy-lines.ts), then distributes the tables on Citus when the extension is there (distribution.ts).
// A session advisory lock lets several replicas start at once.
import { fileURLToPath } from 'node:url'
import pg from 'pg'
import Postgrator from 'postgrator'
import { distributeTables } from './distribution.js'
import { upgradeLegacyLines } from './legacy-lines.js'
import { createPool } from './pool.js'

const MIGRATIONS = fileURLToPath(new URL('../../migrations/*.sql', import.meta.url))
const LOCK_KEY = 7_201_446_108 // arbitrary, constant: "run-logs migrations"

/** What this call changed: the migrations applied (file names), then the tables it distributed. */
export async function migrate (connectionString: string): Promise<string[]> {
  const client = new pg.Client({ connectionString })
  await client.connect()
  try {
    await client.query('SELECT pg_advisory_lock($1)', [LOCK_KEY])
    const database = (await client.query<{ db: string }>('SELECT current_database() AS db')).rows[0]?.db ?? ''
    const postgrator = new Postgrator({
      migrationPattern: MIGRATIONS,
      driver: 'pg',
      database,
      schemaTable: 'schema_version',
      execQuery: async (query) => await client.query(query)
    })
    const applied = await postgrator.migrate()
    const pool = createPool(connectionString, 1)
    try {
      await upgradeLegacyLines(pool)
    } finally {
      await pool.end()
    }
    return [...applied.map((m) => m.filename), ...await distributeTables(client)]
  } finally {
    await client.end() // ends the session, releasing the lock
  }
}

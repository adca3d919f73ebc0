// Applies migrations/*.sql with postgrator, turns lines of the row store (release 0.1) into blocks
// (legacy-lines.ts), then distributes the tables on Citus when the extension is there (distribution.ts).
// A session advisory lock lets several replicas start at once.
import { fileURLToPath } from 'node:url'
import pg from 'pg'
import Postgrator from 'postgrator'
import { distributeTables } from './distribution.js'
import { upgradeLegacyLines } from './legacy-lines.js'
import { createPool } from './pool.js'
import { splitSqlScript } from './sql-script.js'

const MIGRATIONS = fileURLToPath(new URL('../../migrations/*.sql', import.meta.url))
const LOCK_KEY = 7_201_446_108 // arbitrary, constant: "run-logs migrations"

/** What this call changed: the migrations applied (file names), then the tables it distributed. */
export async function migrate (connectionString: string): Promise<string[]> {
  const client = new pg.Client({ connectionString })
  await client.connect()
  try {
    await client.query('SELECT pg_advisory_lock($1)', [LOCK_KEY])
    const { rows: [about] } = await client.query<{ db: string, citus: boolean }>(
      "SELECT current_database() AS db, EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'citus') AS citus")
    const database = about?.db ?? ''
    const postgrator = new Postgrator({
      migrationPattern: MIGRATIONS,
      driver: 'pg',
      database,
      schemaTable: 'schema_version',
      execQuery: async (query) => await client.query(query),
      execSqlScript: async (script) => { await runScript(client, script, about?.citus === true) }
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

/**
 * A migration file in one transaction, a statement at a time (sql-script.ts says why). On Citus, the
 * transaction's commands go over one connection per worker: a DDL statement on a distributed table
 * otherwise fans out over several, and a later one in the same transaction (a function's, in 008) fails:
 * "cannot run function command because there was a parallel operation on a distributed table".
 */
async function runScript (client: pg.Client, script: string, citus: boolean): Promise<void> {
  await client.query('BEGIN')
  try {
    if (citus) await client.query("SET LOCAL citus.multi_shard_modify_mode TO 'sequential'")
    for (const statement of splitSqlScript(script)) await client.query(statement)
    await client.query('COMMIT')
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined)
    throw err
  }
}

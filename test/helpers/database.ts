// A fresh, migrated database for one test file, dropped when the file's tests end.
import { randomBytes } from 'node:crypto'
import pg from 'pg'
import tap from 'tap'
import { decodePayload } from '../../src/store/block-open.js'
import { migrate } from '../../src/store/migrate.js'
import { createOnCluster, dropOnWorkers, onCitus } from './citus.js'

interface Teardown { teardown: (fn: () => unknown) => void }

export function adminUrl (): string {
  const url = process.env.TEST_ADMIN_DATABASE_URL ?? process.env.TEST_CITUS_URL ?? process.env.TEST_DATABASE_URL ?? process.env.DATABASE_URL
  if (url === undefined || url === '') throw new Error('run the tests with `npm test` (it provides a PostgreSQL), or set TEST_DATABASE_URL')
  return url
}

export async function adminQuery (sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl() })
  await client.connect()
  try {
    await client.query(sql)
  } finally {
    await client.end()
  }
}

// DROP DATABASE waits for a checkpoint, a second or more on a busy server, and a file may make dozens of
// databases: a test's database is dropped in the background once the test ends, drops that overlap share a
// checkpoint, and the file waits for them all at its end (this teardown, registered first, runs last).
const drops: Array<Promise<void>> = []
tap.teardown(async () => { await Promise.all(drops) })

async function dropDatabase (name: string): Promise<void> {
  await adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
  if (onCitus) await dropOnWorkers(adminUrl(), name)
}

/**
 * A fresh database with nothing in it, dropped once the test ends (before its file ends). On a Citus cluster
 * (TEST_CITUS_URL) it is made on every node with the extension in each, so the service's migrations
 * distribute its tables.
 */
export async function createEmptyDatabase (t: Teardown, prefix = 'runlogs_test'): Promise<string> {
  return await createDatabase(t, prefix)
}

async function createDatabase (t: Teardown, prefix: string, template?: string): Promise<string> {
  const name = `${prefix}_${process.pid}_${randomBytes(4).toString('hex')}`
  await adminQuery(`CREATE DATABASE ${name}${template === undefined ? '' : ` TEMPLATE ${template}`}`)
  t.teardown(() => {
    const drop = dropDatabase(name)
    drop.catch(() => undefined) // reported by the file's teardown, not as an unhandled rejection meanwhile
    drops.push(drop)
  })
  if (onCitus) await createOnCluster(adminUrl(), name)
  const url = new URL(adminUrl())
  url.pathname = `/${name}`
  return url.toString()
}

/**
 * A fresh, migrated database. `npm test` migrates one template database per run (TEST_TEMPLATE_DATABASE,
 * scripts/test.ts) and each test database is a copy of it, which is quicker than migrating each; without it
 * (tap run directly, or on Citus) the migrations are applied here.
 */
export async function createTestDatabase (t: Teardown): Promise<string> {
  const template = process.env.TEST_TEMPLATE_DATABASE
  if (template !== undefined && template !== '' && !onCitus) return await createDatabase(t, 'runlogs_test', template)
  const url = await createEmptyDatabase(t)
  await migrate(url)
  return url
}

/** Counts runs and lines through a connection of its own, as another process would see them. */
export async function countStored (databaseUrl: string): Promise<{ runs: number, lines: number }> {
  const client = new pg.Client({ connectionString: databaseUrl })
  await client.connect()
  try {
    const { rows } = await client.query<{ runs: number, lines: number }>(
      'SELECT (SELECT count(*) FROM runs)::int AS runs, (SELECT coalesce(sum(line_count), 0) FROM log_blocks)::int AS lines')
    return rows[0] as { runs: number, lines: number }
  } finally {
    await client.end()
  }
}

/** Every stored message (of one run when given), decoded from the blocks as the service reads them. */
export async function storedMessages (databaseUrl: string, runId?: string): Promise<string[]> {
  const client = new pg.Client({ connectionString: databaseUrl })
  await client.connect()
  try {
    const { rows } = await client.query<{ payload: Buffer, min_seq: string }>(
      'SELECT payload, min_seq FROM log_blocks WHERE $1::text IS NULL OR run_id = $1', [runId ?? null])
    const messages: string[] = []
    for (const r of rows) {
      const block = await decodePayload(r.payload, Number(r.min_seq))
      for (let i = 0; i < block.n; i++) messages.push(block.msg(i))
    }
    return messages
  } finally {
    await client.end()
  }
}

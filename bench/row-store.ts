// The row store (release 0.1, tag row-store-0.1 = commit 9eaf22d) beside the block store in one benchmark
// run: its release checked out in a temporary git worktree and built there, started from its own dist/ on
// a database with its schema (migrations 001 to 007, which this branch keeps unchanged).
import { execFileSync } from 'node:child_process'
import { existsSync, symlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import pg from 'pg'
import Postgrator from 'postgrator'

export const ROW_STORE_COMMIT = '9eaf22d'
const ROOT = path.resolve(import.meta.dirname, '..')
const MIGRATIONS = fileURLToPath(new URL('../migrations/*.sql', import.meta.url))

/** The built release's directory (made once, reused by later runs). */
export function rowStoreRelease (): string {
  const dir = path.join(tmpdir(), `run-logs-row-store-${ROW_STORE_COMMIT}`)
  if (existsSync(path.join(dir, 'dist', 'server.js'))) return dir
  if (!existsSync(dir)) execFileSync('git', ['worktree', 'add', '--detach', dir, ROW_STORE_COMMIT], { cwd: ROOT, stdio: 'inherit' })
  // Its dependencies are a subset of this branch's.
  if (!existsSync(path.join(dir, 'node_modules'))) symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'))
  execFileSync(process.execPath, [path.join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', path.join(dir, 'tsconfig.build.json')], { stdio: 'inherit' })
  return dir
}

/** The row store's schema on an empty database: this branch's migrations up to 007, as release 0.1 has them. */
export async function migrateRowStore (url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    const database = (await client.query<{ db: string }>('SELECT current_database() AS db')).rows[0]?.db ?? ''
    const postgrator = new Postgrator({ migrationPattern: MIGRATIONS, driver: 'pg', database, schemaTable: 'schema_version', execQuery: async (q) => await client.query(q) })
    await postgrator.migrate('007')
  } finally {
    await client.end()
  }
}

/** Bytes of a store on disk: every relation of its line table's partitions (heap, TOAST, indexes) and runs. */
export async function storeBytes (url: string, table: 'log_lines' | 'log_blocks'): Promise<number> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    const { rows } = await client.query<{ bytes: string }>(`SELECT (coalesce(sum(pg_total_relation_size(c.oid)), 0) + pg_total_relation_size('runs'))::text AS bytes
      FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = $1::regclass`, [table])
    return Number(rows[0]?.bytes ?? 0)
  } finally {
    await client.end()
  }
}

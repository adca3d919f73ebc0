// The row store (release 0.1, tag row-store-0.1 = commit 9eaf22d) beside the block store in one benchmark
// run: its release checked out in a temporary git worktree and built there, started from its own dist/ on
// a database with its schema (migrations 001 to 007, which this branch keeps unchanged).
import { execFileSync } from 'node:child_process'
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import pg from 'pg'
import Postgrator from 'postgrator'

export const ROW_STORE_COMMIT = '9eaf22d'
const ROOT = path.resolve(import.meta.dirname, '..')
const MIGRATIONS = fileURLToPath(new URL('../migrations/*.sql', import.meta.url))

/**
 * The release's node_modules: a link to each of this branch's packages, and the few packages the release
 * depends on that this branch no longer has (@fastify/under-pressure), installed at the release's locked
 * versions in a folder of their own beside it.
 */
function linkModules (dir: string): void {
  const modules = path.join(dir, 'node_modules')
  // Made once per checkout linked to (another checkout's links may point to one since removed).
  const marker = path.join(modules, '.complete')
  if (existsSync(marker) && readFileSync(marker, 'utf8') === ROOT) return
  // An earlier run's node_modules may be a link to a checkout's: remove the link, never what it points to.
  if (existsSync(modules) && lstatSync(modules).isSymbolicLink()) unlinkSync(modules)
  else rmSync(modules, { recursive: true, force: true })
  const release = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { dependencies: Record<string, string> }
  const locked = JSON.parse(readFileSync(path.join(dir, 'package-lock.json'), 'utf8')) as { packages: Record<string, { version: string }> }
  const missing = Object.keys(release.dependencies).filter((name) => !existsSync(path.join(ROOT, 'node_modules', name)))
  const extra = `${dir}-extra-modules`
  if (missing.length > 0 && !missing.every((name) => existsSync(path.join(extra, 'node_modules', name)))) {
    mkdirSync(extra, { recursive: true })
    execFileSync('npm', ['install', '--prefix', extra, '--no-save', '--no-package-lock', '--ignore-scripts', '--no-audit', '--no-fund',
      ...missing.map((name) => `${name}@${locked.packages[`node_modules/${name}`]?.version ?? release.dependencies[name] as string}`)], { stdio: 'inherit' })
  }
  // Scopes (@fastify/...) are folders of links, so a missing package can join its scope.
  const link = (from: string, to: string): void => {
    for (const name of readdirSync(from)) {
      if (name.startsWith('.')) continue
      const target = path.join(to, name)
      if (name.startsWith('@')) {
        mkdirSync(target, { recursive: true })
        link(path.join(from, name), target)
      } else if (!existsSync(target)) {
        symlinkSync(path.join(from, name), target)
      }
    }
  }
  mkdirSync(modules, { recursive: true })
  link(path.join(ROOT, 'node_modules'), modules)
  if (existsSync(path.join(extra, 'node_modules'))) link(path.join(extra, 'node_modules'), modules)
  writeFileSync(marker, ROOT)
}

/** The built release's directory (made once, reused by later runs). */
export function rowStoreRelease (): string {
  const dir = path.join(tmpdir(), `run-logs-row-store-${ROW_STORE_COMMIT}`)
  if (!existsSync(dir)) execFileSync('git', ['worktree', 'add', '--detach', dir, ROW_STORE_COMMIT], { cwd: ROOT, stdio: 'inherit' })
  linkModules(dir)
  if (existsSync(path.join(dir, 'dist', '.complete'))) return dir
  // Emitted without type checks: the release's code is as it shipped, but type packages have moved on since.
  execFileSync(process.execPath, [path.join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', path.join(dir, 'tsconfig.build.json'), '--noCheck'], { stdio: 'inherit' })
  writeFileSync(path.join(dir, 'dist', '.complete'), '')
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

/** Bytes of a store on disk: every relation of its line table's partitions (heap, TOAST, indexes), runs and block dictionaries. */
export async function storeBytes (url: string, table: 'log_lines' | 'log_blocks'): Promise<number> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    // The block store's dictionaries (block-dictionary.ts) count too; the row store has none.
    const { rows } = await client.query<{ bytes: string }>(`SELECT (coalesce(sum(pg_total_relation_size(c.oid)), 0) + pg_total_relation_size('runs')
        + coalesce(pg_total_relation_size(to_regclass('block_dictionaries')), 0))::text AS bytes
      FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = $1::regclass`, [table])
    return Number(rows[0]?.bytes ?? 0)
  } finally {
    await client.end()
  }
}

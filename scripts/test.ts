// `npm test`: runs the tap suite against a real PostgreSQL: the Citus coordinator at TEST_CITUS_URL, else
// TEST_DATABASE_URL or DATABASE_URL when set, otherwise an embedded server started for this run in a
// temporary folder. Each test file makes its own databases on that server, copies of a template migrated
// once for the run (on a Citus cluster, made and migrated on every node: test/helpers/database.ts), and drops
// them afterwards. tap runs two files at a time ("jobs" in package.json): most of a file's time is spent
// waiting on PostgreSQL and on the processes it starts.
import { spawn, spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import pg from 'pg'
import { migrate } from '../src/store/migrate.js'
import { startTemporaryPostgres } from './temporary-postgres.js'

// tap builds its test class with package.json's plugins on its first run after an install, but that run's
// files still load the default ones: "!@tapjs/typescript" would not keep ts-node (beside tsx, seconds of CPU a
// file) out of them. The class is built before tap runs whenever its plugins are not the configured ones.
const builtSignature = /export const signature = `([^`]*)`/.exec(readFileSync(fileURLToPath(import.meta.resolve('@tapjs/test/test-built')), 'utf8'))?.[1]
const built = new Set(builtSignature?.trim().split('\n'))
const plugins = (JSON.parse(readFileSync('package.json', 'utf8')) as { tap?: { plugin?: string[] } }).tap?.plugin ?? []
if (builtSignature === undefined || plugins.some((p) => (p.startsWith('!') ? built.has(p.slice(1)) : !built.has(p)))) {
  const status = spawnSync(path.resolve('node_modules/.bin/tap'), ['build'], { stdio: ['ignore', 'inherit', 'inherit'] }).status
  if (status !== 0) throw new Error(`tap build failed (exit ${String(status)})`)
}

const citus = process.env.TEST_CITUS_URL ?? ''
const given = citus !== '' ? citus : process.env.TEST_DATABASE_URL ?? process.env.DATABASE_URL
const embedded = given === undefined || given === '' ? await startTemporaryPostgres('test') : undefined
const adminUrl = embedded?.url ?? given as string
const where = embedded !== undefined ? 'an embedded PostgreSQL' : `the ${citus !== '' ? 'Citus cluster' : 'server'} at ${adminUrl.replace(/\/\/[^@]*@/, '//')}`
console.log(`# tests run against ${where}`)

async function adminQuery (sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl })
  await client.connect()
  try {
    await client.query(sql)
  } finally {
    await client.end()
  }
}

// The migrations are applied once, to a template each test database is copied from (test/helpers/database.ts);
// not on Citus, where each test database is made on every node of the cluster.
let template: string | undefined
if (citus === '') {
  template = `runlogs_template_${process.pid}_${randomBytes(4).toString('hex')}`
  await adminQuery(`CREATE DATABASE ${template}`)
  const url = new URL(adminUrl)
  url.pathname = `/${template}`
  await migrate(url.toString())
}

// tap's summary ("# { total: 9, pass: 8, fail: 1 }") is repeated as a plain "N passed, N failed" line.
let summary = ''
const code = await new Promise<number>((resolve) => {
  // On a cluster each test database is made on every node and its tables distributed: files take longer.
  const args = [...(citus !== '' ? ['--timeout=600'] : []), ...process.argv.slice(2)]
  const tap = spawn(path.resolve('node_modules/.bin/tap'), args, {
    stdio: ['inherit', 'pipe', 'inherit'],
    env: { ...process.env, TEST_ADMIN_DATABASE_URL: adminUrl, ...(template === undefined ? {} : { TEST_TEMPLATE_DATABASE: template }) }
  })
  tap.stdout.on('data', (chunk: Buffer) => {
    process.stdout.write(chunk)
    const m = /# \{ total: \d+[^}]*\}/.exec(chunk.toString())
    if (m !== null) summary = m[0]
  })
  tap.on('exit', (exitCode, signal) => { resolve(exitCode ?? (signal === null ? 1 : 128)) })
})
const count = (word: string): number => Number(new RegExp(`${word}: (\\d+)`).exec(summary)?.[1] ?? 0)
console.log(`${count('pass')} passed, ${count('fail')} failed${count('skip') + count('todo') > 0 ? `, ${count('skip') + count('todo')} skipped` : ''}`)

if (template !== undefined) await adminQuery(`DROP DATABASE IF EXISTS ${template} WITH (FORCE)`)
await embedded?.stop()
process.exit(code)

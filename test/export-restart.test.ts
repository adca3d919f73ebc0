// A job survives a crash: the service process is killed (SIGKILL) in the middle of a build; once its lease
// lapses, the restarted service takes the job up again, starts the archive afresh and completes it. A
// graceful stop hands the job back at once.
import { mkdtemp, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import pg from 'pg'
import t from 'tap'
import { startServiceProcess, type ServiceProcess } from '../scripts/service-process.js'
import { authHeaders, buildTestApp, TEST_SECRET } from './helpers/app.js'
import { run, unpack, writeLines, type ExportBody } from './helpers/exports.js'

const RUNS = 300
const LINES = 300

t.test('a job interrupted by a crash completes after a restart', async (t) => {
  const loader = await buildTestApp(t, { env: { EXPORT_WORKERS: '0' } })
  const headers = await authHeaders({}, 'restart')
  const base = Date.now() - 20 * 60_000
  for (let r = 0; r < RUNS; r++) {
    const lines = Array.from({ length: LINES }, (_, i) => ({ timestamp: new Date(base + i).toISOString(), msg: `run ${r} line ${i} ${'z'.repeat(60)}`, pod: `pod-${i % 3}`, container: 'main' }))
    await writeLines(loader.app, headers, 'executions', `e-restart-${r}`, lines)
  }
  const dataDir = await mkdtemp(path.join(tmpdir(), 'run-logs-restart-'))
  t.teardown(async () => { await rm(dataDir, { recursive: true, force: true }) })
  const settings = {
    DATABASE_URL: loader.databaseUrl,
    AUTH_JWT_SECRET: TEST_SECRET,
    DATA_DIR: dataDir,
    LOG_LEVEL: 'warn',
    EXPORT_LEASE_SECONDS: '2',
    EXPORT_POLL_INTERVAL_MS: '100'
  }
  const db = new pg.Client({ connectionString: loader.databaseUrl })
  await db.connect()
  t.teardown(async () => { await db.end() })
  const job = async () => (await db.query<{ status: string, attempts: number, runs_written: number }>('SELECT status, attempts, runs_written FROM exports')).rows[0]

  const first: ServiceProcess = await startServiceProcess(settings)
  t.teardown(() => { first.child.kill('SIGKILL') })
  const post = await fetch(`${first.baseUrl}/v2/lm/exports`, {
    method: 'POST',
    headers: { ...headers, 'content-type': 'application/json' },
    body: JSON.stringify({ filters: { start: new Date(base - 1000).toISOString() } })
  })
  t.equal(post.status, 202)
  const created = await post.json() as ExportBody
  t.equal(created.totalExecutions, RUNS)
  while ((await job())?.status !== 'BUILDING') await new Promise((resolve) => setTimeout(resolve, 5))
  first.child.kill('SIGKILL')
  await first.exited
  const interrupted = await job()
  t.match(interrupted, { status: 'BUILDING', attempts: 1 }, 'killed mid-build: still BUILDING, its lease running out')
  t.ok((interrupted?.runs_written ?? 0) < RUNS, `killed before the end (${interrupted?.runs_written ?? 0} of ${RUNS} runs written)`)
  const leftovers = await readdir(path.join(dataDir, 'exports')).catch(() => [])
  t.ok(leftovers.every((n) => n.startsWith('.')), 'the dead build left only its temporary files, no archive')

  const second: ServiceProcess = await startServiceProcess(settings)
  t.teardown(() => { second.child.kill('SIGKILL') })
  let ready: ExportBody | undefined
  for (let i = 0; i < 600 && ready?.status !== 'READY'; i++) {
    await new Promise((resolve) => setTimeout(resolve, 100))
    ready = await (await fetch(`${second.baseUrl}/v2/lm/exports/${created.requestId}`, { headers })).json() as ExportBody
  }
  t.equal(ready?.status, 'READY', 'the restarted service completed the job')
  t.match(await job(), { status: 'READY', attempts: 2 }, 'on its second attempt')
  t.same((await readdir(path.join(dataDir, 'exports'))).sort(), [`${created.requestId}.tar.gz`], 'the interrupted attempt\'s temporary files are gone')

  const download = await fetch(ready?.downloadLink ?? '')
  t.equal(download.status, 200)
  const root = await unpack(Buffer.from(await download.arrayBuffer()))
  t.teardown(async () => { await rm(path.dirname(root), { recursive: true, force: true }) })
  await run('sha256sum', ['-c', '--quiet', 'MANIFEST.sha256'], { cwd: root })
  const folders = (await readdir(root)).filter((n) => n.includes('_execution_e-restart-'))
  t.equal(folders.length, RUNS, 'every run is in the archive')
  const { stdout } = await run('sh', ['-c', 'cat */*.log | wc -l'], { cwd: root })
  t.equal(Number(stdout.trim()), RUNS * LINES, 'every line is in the archive')
  second.child.kill('SIGTERM')
  t.equal(await second.exited, 0)
})

t.test('a graceful stop in the middle of a build puts the job back in the queue, the attempt not counted', async (t) => {
  const built = await buildTestApp(t, { env: { EXPORT_POLL_INTERVAL_MS: '20' } })
  const headers = await authHeaders({}, 'graceful')
  const base = Date.now() - 20 * 60_000
  for (let r = 0; r < 60; r++) {
    const lines = Array.from({ length: 2000 }, (_, i) => ({ timestamp: new Date(base + i).toISOString(), msg: `run ${r} line ${i}` }))
    await writeLines(built.app, headers, 'executions', `e-graceful-${r}`, lines)
  }
  const db = new pg.Client({ connectionString: built.databaseUrl })
  await db.connect()
  t.teardown(async () => { await db.end() })
  const job = async () => (await db.query<{ status: string, attempts: number, lease_owner: string | null }>('SELECT status, attempts, lease_owner FROM exports')).rows[0]

  const stopping = await buildTestApp(t, { databaseUrl: built.databaseUrl, env: { EXPORT_POLL_INTERVAL_MS: '20' } })
  await built.app.exports.worker.stop() // the second app is the one that builds
  const res = await stopping.app.inject({ method: 'POST', url: '/v2/lm/exports', headers, payload: { filters: { start: new Date(base - 1000).toISOString() } } })
  t.equal(res.statusCode, 202)
  while ((await job())?.status !== 'BUILDING') await new Promise((resolve) => setTimeout(resolve, 5))
  await stopping.app.close()
  t.match(await job(), { status: 'QUEUED', attempts: 0, lease_owner: null }, 'queued again at once, for any replica')
})

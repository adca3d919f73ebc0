// Export jobs: the webhook, workers of several replicas racing for one queue, bounded retries ending FAILED,
// and log files split into parts with every line kept.
import { once } from 'node:events'
import { writeFile, readFile, readdir, rm, mkdtemp } from 'node:fs/promises'
import { createServer, type IncomingMessage } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import path from 'node:path'
import pg from 'pg'
import t from 'tap'
import { escapeMsg } from '../src/export/run-files.js'
import { authHeaders, buildTestApp } from './helpers/app.js'
import { linkPath, requestExport, run, unpack, waitForStatus, writeLines } from './helpers/exports.js'

const recent = (ms = 0): string => new Date(Date.now() - 60_000 + ms).toISOString()

async function attemptsOf (databaseUrl: string): Promise<Map<string, number>> {
  const client = new pg.Client({ connectionString: databaseUrl })
  await client.connect()
  try {
    const { rows } = await client.query<{ request_id: string, attempts: number }>('SELECT request_id, attempts FROM exports')
    return new Map(rows.map((r) => [r.request_id, r.attempts]))
  } finally {
    await client.end()
  }
}

t.test('the webhook gets READY and FAILED with a Slack-style text; a failing webhook never fails the export', async (t) => {
  const received: Array<{ text: string, export: { requestId: string, status: string } }> = []
  const server = createServer((req: IncomingMessage, res) => {
    let body = ''
    req.on('data', (c: Buffer) => { body += c.toString() })
    req.on('end', () => { received.push(JSON.parse(body)); res.end('ok') })
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  t.teardown(() => { server.close() })
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`

  const good = await buildTestApp(t, { env: { EXPORT_POLL_INTERVAL_MS: '50', EXPORT_WEBHOOK_URL: url } })
  const headers = await authHeaders({}, 'hooks')
  const ready = await requestExport(good.app, headers, { deploymentIds: ['d-none'] })
  await waitForStatus(good.app, headers, ready.requestId, 'READY')

  const blocked = path.join(await mkdtemp(path.join(tmpdir(), 'run-logs-blocked-')), 'a-file')
  await writeFile(blocked, 'not a folder')
  const bad = await buildTestApp(t, { databaseUrl: good.databaseUrl, env: { EXPORT_POLL_INTERVAL_MS: '50', EXPORT_WEBHOOK_URL: url, EXPORT_DIR: blocked } })
  await good.app.exports.worker.stop() // only the app with the broken folder builds from here on
  const failed = await requestExport(bad.app, headers, { deploymentIds: ['d-none'] })
  await waitForStatus(bad.app, headers, failed.requestId, 'FAILED')

  for (let i = 0; i < 100 && received.length < 2; i++) await new Promise((resolve) => setTimeout(resolve, 20))
  const byId = new Map(received.map((r) => [r.export.requestId, r]))
  t.match(byId.get(ready.requestId), { text: /is READY.*Download until/, export: { status: 'READY' } })
  t.match(byId.get(failed.requestId), { text: /FAILED: .*EXPORT_DIR/, export: { status: 'FAILED' } })

  const deaf = await buildTestApp(t, { databaseUrl: good.databaseUrl, env: { EXPORT_POLL_INTERVAL_MS: '50', EXPORT_WEBHOOK_URL: 'http://127.0.0.1:1/hook' } })
  await bad.app.exports.worker.stop()
  const unheard = await requestExport(deaf.app, headers, { deploymentIds: ['d-none'] })
  await waitForStatus(deaf.app, headers, unheard.requestId, 'READY')
  t.pass('READY although the webhook cannot be reached')
})

t.test('a build that keeps failing is retried EXPORT_MAX_ATTEMPTS times, then FAILED with a message to act on', async (t) => {
  const blocked = path.join(await mkdtemp(path.join(tmpdir(), 'run-logs-blocked-')), 'a-file')
  await writeFile(blocked, 'not a folder')
  const { app, databaseUrl } = await buildTestApp(t, { env: { EXPORT_POLL_INTERVAL_MS: '20', EXPORT_DIR: blocked, EXPORT_MAX_ATTEMPTS: '3' } })
  const headers = await authHeaders({}, 'retries')
  const created = await requestExport(app, headers, { deploymentIds: ['d-none'] })
  const failed = await waitForStatus(app, headers, created.requestId, 'FAILED')
  t.match(failed.errorMessage, /EXPORT_DIR.*Tried 3 times/)
  t.notMatch(failed.errorMessage, /\/tmp|\n\s+at |ENOTDIR: |EEXIST: /, 'no paths or internals in the message')
  t.equal(failed.downloadLink, null)
  t.equal((await attemptsOf(databaseUrl)).get(created.requestId), 3, 'exactly three attempts')
})

t.test('two replicas racing for the queue build each export once', async (t) => {
  const a = await buildTestApp(t, { env: { EXPORT_WORKERS: '0' } })
  const b = await buildTestApp(t, { databaseUrl: a.databaseUrl, env: { EXPORT_WORKERS: '0', EXPORT_DIR: a.config.exports.dir } })
  const headers = await authHeaders({}, 'race')
  for (let i = 0; i < 4; i++) await writeLines(a.app, headers, 'executions', `e-race-${i}`, [{ timestamp: recent(i), msg: `line ${i}` }])

  const one = await requestExport(a.app, headers, { executionIds: ['e-race-0'] })
  const [first, second] = await Promise.all([a.app.exports.worker.runOnce(), b.app.exports.worker.runOnce()])
  t.same([first, second].filter((id) => id !== undefined), [one.requestId], 'one worker builds it, the other finds nothing to do')

  const ids = new Set<string>()
  for (let i = 0; i < 8; i++) ids.add((await requestExport(i % 2 === 0 ? a.app : b.app, headers, { executionIds: [`e-race-${i % 4}`] })).requestId)
  const drain = async (worker: typeof a.app.exports.worker): Promise<string[]> => {
    const built: string[] = []
    for (let id = await worker.runOnce(); id !== undefined; id = await worker.runOnce()) built.push(id)
    return built
  }
  const [byA, byB] = await Promise.all([drain(a.app.exports.worker), drain(b.app.exports.worker)])
  t.same([...byA, ...byB].sort(), [...ids].sort(), 'every export built, none twice')
  t.ok(byA.length > 0 && byB.length > 0, `both replicas took work (${byA.length} and ${byB.length})`)
  const attempts = await attemptsOf(a.databaseUrl)
  t.same([...ids].map((id) => attempts.get(id)), [...ids].map(() => 1), 'one attempt each')
  for (const id of ids) t.equal((await waitForStatus(a.app, headers, id, 'READY', 1000)).status, 'READY')
})

t.test('a log file past EXPORT_MAX_FILE_BYTES continues in numbered parts and keeps every line', async (t) => {
  const { app } = await buildTestApp(t, { env: { EXPORT_POLL_INTERVAL_MS: '50', EXPORT_MAX_FILE_BYTES: '1024' } })
  const headers = await authHeaders({}, 'parts')
  const lines = Array.from({ length: 120 }, (_, i) => ({ timestamp: recent(i), msg: `line ${i} ${'x'.repeat(i % 30)}`, pod: 'p', container: 'c', stream: 'stdout' }))
  lines.splice(60, 0, { timestamp: recent(59), msg: 'long\n' + 'y'.repeat(3000), pod: 'p', container: 'c', stream: 'stderr' })
  await writeLines(app, headers, 'deployments', 'd-parts', lines)
  const firstLine = lines[0]?.timestamp ?? ''
  const ready = await waitForStatus(app, headers, (await requestExport(app, headers, { deploymentIds: ['d-parts'] })).requestId, 'READY')
  const root = await unpack((await app.inject({ method: 'GET', url: linkPath(ready.downloadLink ?? '') })).rawPayload)
  t.teardown(async () => { await rm(path.dirname(root), { recursive: true, force: true }) })
  await run('sha256sum', ['-c', 'MANIFEST.sha256'], { cwd: root })

  const folder = (await readdir(root)).find((n) => n.endsWith('_deployment_d-parts')) ?? ''
  const info = JSON.parse(await readFile(path.join(root, folder, 'execution.json'), 'utf8')) as { files: Array<{ path: string, part: number, parts: number, lines: number, bytes: number }> }
  const names = info.files.map((f) => f.path)
  t.ok(names.length > 5, `split into ${names.length} parts`)
  t.same(names, names.map((_, i) => `p_c.part-${String(i + 1).padStart(4, '0')}.log`), 'numbered p_c.part-0001.log, ...')
  let joined = ''
  for (const f of info.files) {
    const text = await readFile(path.join(root, folder, f.path), 'utf8')
    t.equal(Buffer.byteLength(text), f.bytes)
    t.ok(f.bytes <= 1024 || f.lines === 1, `${f.path}: within the limit, or a single line longer than it`)
    t.ok(text.endsWith('\n'), `${f.path}: ends on a whole line`)
    joined += text
  }
  const served = (await app.inject({ method: 'GET', url: `/v2/lm/deployments/d-parts/logs?$top=5000&start=${encodeURIComponent(firstLine)}`, headers }))
    .json<{ data: { result: Array<{ timestamp: string, stream: string, msg: string }> } }>().data.result
  t.equal(served.length, 121)
  t.equal(joined, served.map((l) => `${l.timestamp} ${l.stream} ${escapeMsg(l.msg)}\n`).join(''), 'the parts, in order, hold every line once')
})

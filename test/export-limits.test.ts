// The contract's limits and scoping of exports: 25 a day per group (429 with Retry-After), 1000 runs an
// export (400), an export matching no run, bad requests, and groups that cannot see each other's exports.
import { readFile, rm } from 'node:fs/promises'
import path from 'node:path'
import t from 'tap'
import { fromMillis, type Instant } from '../src/time.js'
import { authHeaders, buildTestApp } from './helpers/app.js'
import { expectError } from './helpers/errors.js'
import { linkPath, requestExport, run, unpack, waitForStatus, writeLines, type ExportBody } from './helpers/exports.js'

const DAY_MS = 86_400_000
const RANGE = { start: '2026-01-01T00:00:00Z', end: '2026-01-02T00:00:00Z' }

t.test('the 26th export of a UTC day answers 429 with Retry-After until midnight; other groups and the next day are free', async (t) => {
  const midnight = Math.floor(Date.now() / DAY_MS) * DAY_MS
  let clock: Instant = fromMillis(midnight + DAY_MS - 1800_000) // 23:30 UTC
  const { app } = await buildTestApp(t, { now: () => clock, env: { EXPORT_WORKERS: '0' } })
  const headers = await authHeaders({}, 'quota-a')
  for (let i = 0; i < 25; i++) await requestExport(app, headers, RANGE)
  const over = await app.inject({ method: 'POST', url: '/v2/lm/exports', headers, payload: { filters: RANGE } })
  expectError(t, over, 429, 'TooManyRequests')
  t.equal(over.headers['retry-after'], '1800', 'seconds to the next UTC midnight')
  t.equal((await app.inject({ method: 'GET', url: '/v2/lm/exports', headers })).json().count, 25, 'the refused one was not stored')

  const other = await app.inject({ method: 'POST', url: '/v2/lm/exports', headers: await authHeaders({}, 'quota-b'), payload: { filters: RANGE } })
  t.equal(other.statusCode, 202, 'the quota is per resource group')

  clock += fromMillis(1800_000)
  const nextDay = await app.inject({ method: 'POST', url: '/v2/lm/exports', headers, payload: { filters: RANGE } })
  t.equal(nextDay.statusCode, 202, 'a new UTC day, a new quota')
})

t.test('the quota holds across replicas: 30 requests at once on two replicas, 25 accepted', async (t) => {
  const a = await buildTestApp(t, { env: { EXPORT_WORKERS: '0' } })
  const b = await buildTestApp(t, { databaseUrl: a.databaseUrl, env: { EXPORT_WORKERS: '0' } })
  const headers = await authHeaders({}, 'quota-race')
  const answers = await Promise.all(Array.from({ length: 30 }, async (_, i) =>
    (await (i % 2 === 0 ? a : b).app.inject({ method: 'POST', url: '/v2/lm/exports', headers, payload: { filters: RANGE } })).statusCode))
  t.equal(answers.filter((s) => s === 202).length, 25)
  t.equal(answers.filter((s) => s === 429).length, 5)
})

t.test('filters matching 1001 runs answer 400; 1000 are accepted', async (t) => {
  const { app } = await buildTestApp(t, { env: { EXPORT_WORKERS: '0' } })
  const headers = await authHeaders({}, 'many-runs')
  const at = new Date(Date.now() - 60_000).toISOString()
  for (let i = 0; i < 1001; i++) await writeLines(app, headers, 'executions', `e-many-${String(i).padStart(4, '0')}`, [{ timestamp: at, msg: `run ${i}` }])
  const tooMany = await app.inject({ method: 'POST', url: '/v2/lm/exports', headers, payload: { filters: { start: new Date(Date.now() - 3600_000).toISOString() } } })
  t.equal(tooMany.statusCode, 400)
  t.match(tooMany.json().error, { code: 'InvalidRequest', message: /more than 1000 runs/, details: { limit: 1000 } })
  t.equal((await app.inject({ method: 'GET', url: '/v2/lm/exports', headers })).json().count, 0, 'nothing stored, nothing counted')

  const ids = Array.from({ length: 1000 }, (_, i) => `e-many-${String(i).padStart(4, '0')}`)
  const accepted = await requestExport(app, headers, { executionIds: ids })
  t.equal(accepted.totalExecutions, 1000, 'exactly the limit is fine')
})

t.test('an export matching no run turns READY with an archive whose README says so', async (t) => {
  const { app } = await buildTestApp(t, { env: { EXPORT_POLL_INTERVAL_MS: '50' } })
  const headers = await authHeaders({}, 'empty-group')
  const created = await requestExport(app, headers, { deploymentIds: ['d-never-seen'] })
  t.equal(created.totalExecutions, 0)
  const ready = await waitForStatus(app, headers, created.requestId, 'READY')
  const res = await app.inject({ method: 'GET', url: linkPath(ready.downloadLink ?? '') })
  const root = await unpack(res.rawPayload)
  t.teardown(async () => { await rm(path.dirname(root), { recursive: true, force: true }) })
  t.match(await readFile(path.join(root, 'README.md'), 'utf8'), /No run matched these filters/, 'evidence of absence')
  await run('sha256sum', ['-c', 'MANIFEST.sha256'], { cwd: root })
  t.equal((await app.inject({ method: 'GET', url: '/v2/lm/exports', headers })).json().count, 1, 'it counts toward the quota')
})

t.test('bad requests answer 400 naming the problem', async (t) => {
  const { app } = await buildTestApp(t, { env: { EXPORT_WORKERS: '0' } })
  const headers = await authHeaders()
  const post = async (payload: unknown) => await app.inject({ method: 'POST', url: '/v2/lm/exports', headers, payload: payload as Record<string, unknown> })
  t.match((await post({ filters: {} })).json().error, { code: 'InvalidRequest', message: /at least one/ })
  t.match((await post({})).json().error, { code: 'InvalidRequest', message: /filters/ })
  t.match((await post({ filters: { start: 'yesterday' } })).json().error, { code: 'InvalidRequest', message: /filters\.start/ })
  t.match((await post({ filters: { deploymentIds: ['x'] } })).json().error, { code: 'InvalidRequest', message: /deploymentIds/ })
  t.match((await post({ filters: { runIds: ['abcd'] } })).json().error, { code: 'InvalidRequest', message: /runIds/ })
  t.match((await post({ filters: { start: '2026-01-02T00:00:00Z', end: '2026-01-01T00:00:00Z' } })).json().error, { code: 'InvalidRequest', message: /start must not be after/ })
  t.equal((await app.inject({ method: 'GET', url: '/v2/lm/exports/not-a-uuid', headers })).statusCode, 400)
  t.equal((await app.inject({ method: 'GET', url: '/v2/lm/exports?$top=0', headers })).statusCode, 400)
})

t.test('another resource group can neither read nor download an export', async (t) => {
  const { app } = await buildTestApp(t, { env: { EXPORT_POLL_INTERVAL_MS: '50' } })
  const owner = await authHeaders({ groups: ['team-a'] }, 'team-a')
  await writeLines(app, owner, 'deployments', 'd-private', [{ timestamp: new Date(Date.now() - 60_000).toISOString(), msg: 'secret' }])
  const created = await requestExport(app, owner, { deploymentIds: ['d-private'] })
  const ready: ExportBody = await waitForStatus(app, owner, created.requestId, 'READY')

  const stranger = await authHeaders({ groups: ['team-b'] }, 'team-b')
  const get = await app.inject({ method: 'GET', url: `/v2/lm/exports/${created.requestId}`, headers: stranger })
  t.equal(get.statusCode, 404, 'not found in another group')
  t.equal((await app.inject({ method: 'GET', url: '/v2/lm/exports', headers: stranger })).json().count, 0, 'not listed in another group')
  const crossing = await app.inject({ method: 'GET', url: `/v2/lm/exports/${created.requestId}`, headers: await authHeaders({ groups: ['team-b'] }, 'team-a') })
  t.equal(crossing.statusCode, 403, 'a token of another group cannot name this one')

  const link = new URL(ready.downloadLink ?? '')
  link.searchParams.set('group', 'team-b')
  t.equal((await app.inject({ method: 'GET', url: link.pathname + link.search })).statusCode, 403, 'the link, moved to another group, is refused')
  const noScope = await app.inject({ method: 'GET', url: `/v2/lm/exports/${created.requestId}`, headers: await authHeaders({ scope: 'logs.read', groups: ['team-a'] }, 'team-a') })
  t.equal(noScope.statusCode, 403, 'logs.export is required')
  t.equal((await app.inject({ method: 'GET', url: '/v2/lm/exports' })).statusCode, 401, 'a token is required to list')
})

// Run labels: set by PATCH (a merge, null removes), taken from shipper records by COLLECTOR_RUN_LABELS,
// listed and filtered by GET /v2/lm/runs, selecting runs of an export and written to its execution.json.
import { readFile, rm } from 'node:fs/promises'
import path from 'node:path'
import t from 'tap'
import { authHeaders, buildTestApp } from './helpers/app.js'
import { expectError } from './helpers/errors.js'
import { linkPath, requestExport, unpack, waitForStatus, writeLines } from './helpers/exports.js'

const BASE = Date.now() - 30 * 60_000
const at = (ms: number): string => new Date(BASE + ms).toISOString()

const { app } = await buildTestApp(t, { env: { EXPORT_POLL_INTERVAL_MS: '50', COLLECTOR_RUN_LABELS: 'application=app.kubernetes.io/name,app.kubernetes.io/instance' } })
const headers = await authHeaders({}, 'team-l')

interface Run { kind: string, id: string, labels: Record<string, string> }

const patch = async (kind: string, id: string, labels: unknown, h = headers) =>
  await app.inject({ method: 'PATCH', url: `/v2/lm/${kind}/${id}`, headers: h, payload: { labels } })

async function listIds (query: string): Promise<string[]> {
  const res = await app.inject({ url: `/v2/lm/runs?${query}`, headers })
  if (res.statusCode !== 200) throw new Error(res.body)
  return res.json<{ resources: Run[] }>().resources.map((r) => r.id).sort()
}

await writeLines(app, headers, 'deployments', 'd-checkout', [{ timestamp: at(1000), msg: 'checkout up' }])
await writeLines(app, headers, 'deployments', 'd-billing', [{ timestamp: at(2000), msg: 'billing up' }])
await writeLines(app, headers, 'executions', 'e-train-1', [{ timestamp: at(3000), msg: 'training' }])

t.test('PATCH merges labels, null removes one, and the run is answered with its labels', async (t) => {
  let res = await patch('deployments', 'd-checkout', { application: 'shop', environment: 'prod', tag: 'v1' })
  t.equal(res.statusCode, 200, res.body)
  t.strictSame(res.json<Run>().labels, { application: 'shop', environment: 'prod', tag: 'v1' })
  res = await patch('deployments', 'd-checkout', { tag: null, service: 'checkout' })
  t.strictSame(res.json<Run>().labels, { application: 'shop', environment: 'prod', service: 'checkout' }, 'a merge; null removed tag')
  res = await patch('deployments', 'd-billing', { application: 'shop', environment: 'stage', service: 'billing' })
  t.equal(res.statusCode, 200)
  res = await patch('executions', 'e-train-1', { application: 'ml', triggeredBy: 'alice@example.com' })
  t.equal(res.statusCode, 200)
})

t.test('PATCH refuses bad labels, unknown runs and missing scope, changing nothing', async (t) => {
  expectError(t, await patch('deployments', 'd-checkout', { 'bad key!': 'x' }), 400, 'InvalidRequest')
  expectError(t, await patch('deployments', 'd-checkout', { application: 'x'.repeat(257) }), 400, 'InvalidRequest')
  expectError(t, await patch('deployments', 'd-checkout', { application: 5 }), 400, 'InvalidRequest')
  expectError(t, await app.inject({ method: 'PATCH', url: '/v2/lm/deployments/d-checkout', headers, payload: { labels: {}, other: 1 } }), 400, 'InvalidRequest')
  const many = Object.fromEntries(Array.from({ length: 70 }, (_, i) => [`k${i}`, 'v']))
  const full = expectError(t, await patch('deployments', 'd-checkout', many), 400, 'InvalidRequest')
  t.same(full.details, { limit: 64 })
  expectError(t, await patch('deployments', 'd-nowhere', { application: 'x' }), 404, 'NotFound')
  expectError(t, await patch('deployments', 'd-checkout', { application: 'x' }, await authHeaders({}, 'team-other')), 404, 'NotFound', 'another group sees no such run')
  expectError(t, await patch('deployments', 'd-checkout', { application: 'x' }, await authHeaders({ scope: 'logs.read' }, 'team-l')), 403, 'Forbidden')
  t.equal(await listIds('label=application=shop').then((ids) => ids.length), 2, 'labels unchanged')
  const runs = (await app.inject({ url: '/v2/lm/runs?label=service=checkout', headers })).json<{ resources: Run[] }>().resources
  t.strictSame(runs[0]?.labels, { application: 'shop', environment: 'prod', service: 'checkout' })
})

t.test('GET /v2/lm/runs filters by label=key=value, repeatable', async (t) => {
  t.same(await listIds('label=application=shop'), ['d-billing', 'd-checkout'])
  t.same(await listIds('label=application=shop&label=environment=prod'), ['d-checkout'], 'different keys: all must match')
  t.same(await listIds('label=environment=prod&label=environment=stage'), ['d-billing', 'd-checkout'], 'one key twice: either value')
  t.same(await listIds('label=triggeredBy=alice@example.com&kind=execution'), ['e-train-1'])
  t.same(await listIds('label=application=nothing'), [])
  t.same(await listIds('label=value=with=equals'), [], 'the value may hold =')
  expectError(t, await app.inject({ url: '/v2/lm/runs?label=noequals', headers }), 400, 'InvalidRequest')
  expectError(t, await app.inject({ url: '/v2/lm/runs?label==x', headers }), 400, 'InvalidRequest')
  const first = (await app.inject({ url: '/v2/lm/runs?label=application=shop&$top=1', headers })).json<{ resources: Run[], nextCursor: string }>()
  const next = await app.inject({ url: `/v2/lm/runs?cursor=${encodeURIComponent(first.nextCursor)}`, headers })
  t.same([first.resources[0]?.id, next.json<{ resources: Run[] }>().resources[0]?.id].sort(), ['d-billing', 'd-checkout'], 'the cursor keeps the label filter')
  expectError(t, await app.inject({ url: `/v2/lm/runs?cursor=${encodeURIComponent(first.nextCursor)}&label=application=ml`, headers }), 400, 'InvalidRequest')
})

t.test('shipper records give their runs labels by the operator\'s keys', async (t) => {
  const record = (msg: string, name: string) => ({
    date: (BASE + 4000) / 1000,
    log: msg,
    kubernetes: { pod_name: 'p', container_name: 'c', labels: { 'ai.sap.com/deploymentId': 'd-shipped', 'app.kubernetes.io/name': name, 'app.kubernetes.io/instance': 'blue', other: 'ignored' } }
  })
  const res = await app.inject({ method: 'POST', url: '/v2/lm/logs', headers, payload: [record('one', 'first'), record('two', 'payments')] })
  t.equal(res.statusCode, 200, res.body)
  const runs = (await app.inject({ url: '/v2/lm/runs?idPrefix=d-shipped', headers })).json<{ resources: Run[] }>().resources
  t.strictSame(runs[0]?.labels, { application: 'payments', 'app.kubernetes.io/instance': 'blue' }, 'renamed and kept keys; the later record wins')
})

t.test('exports select runs by label, and execution.json holds the labels', async (t) => {
  const created = await requestExport(app, headers, { labels: { application: 'shop', environment: ['prod', 'qa'] } })
  t.equal(created.totalExecutions, 1)
  const ready = await waitForStatus(app, headers, created.requestId, 'READY')
  t.same((ready as unknown as { filters: { labels: unknown } }).filters.labels, [
    { key: 'application', operator: 'IN', values: ['shop'] }, { key: 'environment', operator: 'IN', values: ['prod', 'qa'] }])
  const download = await app.inject({ url: linkPath(ready.downloadLink ?? '') })
  const root = await unpack(download.rawPayload)
  t.teardown(async () => { await rm(path.dirname(root), { recursive: true, force: true }) })
  const folder = `${at(1000).replaceAll(':', '-')}_deployment_d-checkout`
  const info = JSON.parse(await readFile(path.join(root, folder, 'execution.json'), 'utf8')) as { labels: unknown }
  t.strictSame(info.labels, { application: 'shop', environment: 'prod', service: 'checkout' })
  t.match(await readFile(path.join(root, 'README.md'), 'utf8'), /Label environment in: prod, qa/)
  const bad = await app.inject({ method: 'POST', url: '/v2/lm/exports', headers, payload: { filters: { labels: { 'no spaces': 'x' } } } })
  expectError(t, bad, 400, 'InvalidRequest')
})

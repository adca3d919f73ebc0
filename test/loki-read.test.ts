// Loki's read API as Grafana's Loki data source (Explore, logs volume, health check, live tail) and logcli
// (query, labels, series, --tail) call it, per Loki's HTTP API reference: the request sequences are
// replayed against the real service, with Go's query encoding ('+' for spaces), and answers checked exactly.
import type { LightMyRequestResponse } from 'fastify'
import t from 'tap'
import { WebSocket } from 'ws'
import { NS_PER_SECOND, parseRfc3339, type Instant } from '../src/time.js'
import { authHeaders, buildTestApp, token, type TokenClaims } from './helpers/app.js'

type Test = Parameters<Parameters<typeof t.test>[0]>[0]

const NOW: Instant = parseRfc3339('2024-06-15T12:00:00Z')
const ns = (rfc3339: string): string => String(parseRfc3339(rfc3339))
const seconds = (rfc3339: string): number => Number(parseRfc3339(rfc3339) / NS_PER_SECOND)

const LINES: Record<string, Array<{ timestamp: string, msg: string, pod: string, container: string, stream: string }>> = {
  'deployments/d-grafana1': [
    { timestamp: '2024-06-15T11:59:00.000000001Z', msg: 'GET /v1/models 200', pod: 'd-grafana1-pred', container: 'kserve', stream: 'stdout' },
    { timestamp: '2024-06-15T11:59:30Z', msg: 'ERROR: model failed', pod: 'd-grafana1-pred', container: 'kserve', stream: 'stderr' },
    { timestamp: '2024-06-15T11:59:45.5Z', msg: 'GET /v1/models 200 + cache', pod: 'd-grafana1-pred', container: 'kserve', stream: 'stdout' }
  ],
  'executions/e-trainer1': [
    { timestamp: '2024-06-15T11:58:00Z', msg: 'epoch 1', pod: 'trainer-1', container: 'main', stream: 'stdout' },
    { timestamp: '2024-06-15T11:59:00Z', msg: 'epoch 2', pod: 'trainer-1', container: 'main', stream: 'stdout' }
  ],
  'executions/e-trainer2': [
    { timestamp: '2024-06-15T11:58:30Z', msg: 'epoch 1', pod: 'trainer-2', container: 'main', stream: 'stdout' }
  ]
}

async function service (t: Test, opts: { env?: Record<string, string>, claims?: TokenClaims } = {}) {
  const { app } = await buildTestApp(t, { now: () => NOW, env: opts.env })
  const writer = await authHeaders({ scope: 'logs.write' })
  for (const [run, lines] of Object.entries(LINES)) {
    const res = await app.inject({ method: 'POST', url: `/v2/lm/${run}/logs`, headers: writer, payload: lines })
    t.equal(res.statusCode, 200, res.body)
  }
  const other = await app.inject({ method: 'POST', url: '/v2/lm/deployments/d-other01/logs', headers: { ...writer, 'ai-resource-group': 'team-b' }, payload: [{ timestamp: '2024-06-15T11:59:10Z', msg: 'team b only', pod: 'p', container: 'c', stream: 'stdout' }] })
  t.equal(other.statusCode, 200)
  const headers = await authHeaders({ scope: 'logs.read', ...opts.claims })
  /** A GET as Go's url.Values encodes it (what logcli and Grafana's backend send). */
  const get = async (path: string, params: Record<string, string | string[]>, extra: Record<string, string> = {}): Promise<LightMyRequestResponse> => {
    const query = new URLSearchParams()
    for (const [key, value] of Object.entries(params).sort()) for (const v of [value].flat()) query.append(key, v)
    return await app.inject({ method: 'GET', url: `${path}?${query.toString()}`, headers: { ...headers, ...extra } })
  }
  return { app, get, headers }
}

const ok = (t: Test, res: LightMyRequestResponse): any => {
  t.equal(res.statusCode, 200, res.body)
  const body = res.json()
  t.equal(body.status, 'success')
  return body.data
}

const GRAFANA_RANGE = { start: ns('2024-06-15T11:00:00Z'), end: ns('2024-06-15T12:00:00Z') }

t.test('Grafana Explore: query_range backward with a line filter answers streams with nanosecond strings and stats', async (t) => {
  const s = await service(t)
  const data = ok(t, await s.get('/loki/api/v1/query_range', { ...GRAFANA_RANGE, query: '{deployment_id="d-grafana1"} |= "GET" != "cache"', limit: '1000', direction: 'backward', step: '2s' }))
  t.equal(data.resultType, 'streams')
  t.strictSame(data.result, [
    { stream: { container: 'kserve', deployment_id: 'd-grafana1', pod: 'd-grafana1-pred', stream: 'stdout' }, values: [[ns('2024-06-15T11:59:00.000000001Z'), 'GET /v1/models 200']] }
  ])
  t.equal(data.stats.summary.totalEntriesReturned, 1)
  t.type(data.stats.summary.execTime, 'number')
  t.type(data.stats.querier.store.chunk.postFilterLines, 'number')

  const all = ok(t, await s.get('/loki/api/v1/query_range', { ...GRAFANA_RANGE, query: '{deployment_id="d-grafana1"}', limit: '2', direction: 'backward' }))
  t.strictSame(all.result.flatMap((r: any) => r.values.map((v: string[]) => v[1])), ['GET /v1/models 200 + cache', 'ERROR: model failed'], 'newest first, limit 2, a literal + kept')
})

t.test('a selector over many runs (pod=~"trainer-.*") merges their lines in time order; regex line filters', async (t) => {
  const s = await service(t)
  const data = ok(t, await s.get('/loki/api/v1/query_range', { ...GRAFANA_RANGE, query: '{pod=~"trainer-.*", container="main"}', limit: '2', direction: 'forward' }))
  t.strictSame(data.result, [
    { stream: { container: 'main', execution_id: 'e-trainer1', pod: 'trainer-1', stream: 'stdout' }, values: [[ns('2024-06-15T11:58:00Z'), 'epoch 1']] },
    { stream: { container: 'main', execution_id: 'e-trainer2', pod: 'trainer-2', stream: 'stdout' }, values: [[ns('2024-06-15T11:58:30Z'), 'epoch 1']] }
  ])
  const regex = ok(t, await s.get('/loki/api/v1/query_range', { ...GRAFANA_RANGE, query: '{execution_id=~"e-trainer.+"} |~ "epoch [2-9]"', direction: 'FORWARD' }))
  t.strictSame(regex.result.map((r: any) => r.values), [[[ns('2024-06-15T11:59:00Z'), 'epoch 2']]])
  const negative = ok(t, await s.get('/loki/api/v1/query_range', { ...GRAFANA_RANGE, query: '{pod=~"trainer-.*", pod!="trainer-1"} !~ "epoch 2"' }))
  t.strictSame(negative.result.map((r: any) => r.stream.pod), ['trainer-2'])
})

t.test('Grafana logs volume: sum by (level, detected_level) (count_over_time(... | drop __error__ [1m])) answers a matrix', async (t) => {
  const s = await service(t)
  const range = { start: ns('2024-06-15T11:57:00Z'), end: ns('2024-06-15T12:00:00Z'), step: '60' }
  const data = ok(t, await s.get('/loki/api/v1/query_range', { ...range, query: 'sum by (level, detected_level) (count_over_time({pod=~"trainer-.*"} | drop __error__[1m]))' }))
  t.equal(data.resultType, 'matrix')
  t.strictSame(data.result, [{ metric: {}, values: [[seconds('2024-06-15T11:58:00Z'), '1'], [seconds('2024-06-15T11:59:00Z'), '2']] }],
    'each point counts (t - 1m, t]; points without lines are left out')
  const rate = ok(t, await s.get('/loki/api/v1/query_range', { ...range, step: '1m', query: 'sum(rate({pod=~"trainer-.*"}[2m])) by (pod)' }))
  t.strictSame(rate.result, [
    { metric: { pod: 'trainer-1' }, values: [[seconds('2024-06-15T11:58:00Z'), String(1 / 120)], [seconds('2024-06-15T11:59:00Z'), String(2 / 120)], [seconds('2024-06-15T12:00:00Z'), String(1 / 120)]] },
    { metric: { pod: 'trainer-2' }, values: [[seconds('2024-06-15T11:59:00Z'), String(1 / 120)], [seconds('2024-06-15T12:00:00Z'), String(1 / 120)]] }
  ])
  const perStream = ok(t, await s.get('/loki/api/v1/query_range', { ...range, query: 'count_over_time({deployment_id="d-grafana1", stream="stderr"}[5m])' }))
  t.strictSame(perStream.result, [{
    metric: { container: 'kserve', deployment_id: 'd-grafana1', pod: 'd-grafana1-pred', stream: 'stderr' },
    values: [[seconds('2024-06-15T12:00:00Z'), '1']]
  }])
})

t.test('Grafana\'s health check (vector(1)+vector(1) at /query) and buildinfo; an instant metric query', async (t) => {
  const s = await service(t)
  const health = ok(t, await s.get('/loki/api/v1/query', { query: 'vector(1)+vector(1)', time: ns('2024-06-15T12:00:00Z'), limit: '1', direction: 'backward' }))
  t.strictSame(health, { resultType: 'vector', result: [{ metric: {}, value: [seconds('2024-06-15T12:00:00Z'), '2'] }], stats: health.stats })
  const build = await s.app.inject({ method: 'GET', url: '/loki/api/v1/status/buildinfo' })
  t.equal(build.statusCode, 200)
  t.match(build.json(), { version: /^\d+\.\d+\.\d+$/ })
  const instant = ok(t, await s.get('/loki/api/v1/query', { query: 'sum by (pod) (count_over_time({execution_id=~".+"}[10m]))', time: ns('2024-06-15T12:00:00Z') }))
  t.strictSame(instant.result, [
    { metric: { pod: 'trainer-1' }, value: [seconds('2024-06-15T12:00:00Z'), '2'] },
    { metric: { pod: 'trainer-2' }, value: [seconds('2024-06-15T12:00:00Z'), '1'] }
  ])
})

t.test('logcli labels, label values and series', async (t) => {
  const s = await service(t)
  const range = { start: ns('2024-06-15T11:00:00Z'), end: ns('2024-06-15T12:00:00Z') }
  t.strictSame(ok(t, await s.get('/loki/api/v1/labels', range)), ['container', 'deployment_id', 'execution_id', 'pod', 'stream'])
  t.strictSame(ok(t, await s.get('/loki/api/v1/label/execution_id/values', range)), ['e-trainer1', 'e-trainer2'])
  t.strictSame(ok(t, await s.get('/loki/api/v1/label/pod/values', { ...range, query: '{execution_id=~".+"}' })), ['trainer-1', 'trainer-2'])
  t.strictSame(ok(t, await s.get('/loki/api/v1/label/stream/values', range)), ['stderr', 'stdout'])
  t.strictSame(ok(t, await s.get('/loki/api/v1/label/namespace/values', range)), [], 'a label no line has: no values')
  t.strictSame(ok(t, await s.get('/loki/api/v1/series', { ...range, 'match[]': ['{deployment_id="d-grafana1"}', '{pod="trainer-2"}'] })), [
    { container: 'kserve', deployment_id: 'd-grafana1', pod: 'd-grafana1-pred', stream: 'stdout' },
    { container: 'kserve', deployment_id: 'd-grafana1', pod: 'd-grafana1-pred', stream: 'stderr' },
    { container: 'main', execution_id: 'e-trainer2', pod: 'trainer-2', stream: 'stdout' }
  ])
  const since = ok(t, await s.get('/loki/api/v1/labels', { since: '30s' }))
  t.strictSame(since, ['container', 'deployment_id', 'pod', 'stream'], 'since: only the runs with lines in the last 30 seconds')
})

t.test('index/stats and index/volume', async (t) => {
  const s = await service(t)
  const res = await s.get('/loki/api/v1/index/stats', { ...GRAFANA_RANGE, query: '{pod=~"trainer-.*"}' })
  t.equal(res.statusCode, 200)
  t.strictSame(res.json(), { streams: 2, chunks: 2, bytes: 21, entries: 3 }, 'pod matchers: counted from the lines')
  const estimate = await s.get('/loki/api/v1/index/stats', { ...GRAFANA_RANGE, query: '{execution_id=~".+"}' })
  t.strictSame(estimate.json(), { streams: 2, chunks: 2, bytes: 0, entries: 3 }, 'run labels only: the runs\' line counts')
  const volume = ok(t, await s.get('/loki/api/v1/index/volume', { ...GRAFANA_RANGE, query: '{execution_id=~".+"}', targetLabels: 'pod' }))
  t.equal(volume.resultType, 'vector')
  t.strictSame(volume.result, [
    { metric: { pod: 'trainer-1' }, value: [seconds('2024-06-15T12:00:00Z'), '14'] },
    { metric: { pod: 'trainer-2' }, value: [seconds('2024-06-15T12:00:00Z'), '7'] }
  ])
})

t.test('unsupported LogQL is a 400 in Loki\'s error shape that names what is not supported', async (t) => {
  const s = await service(t)
  for (const [query, named] of [
    ['{deployment_id="d-grafana1"} | json', '| json'],
    ['{namespace="prod"}', 'the label namespace'],
    ['avg_over_time({pod="x"} | unwrap latency [1m])', 'avg_over_time'],
    ['count_over_time({pod="x"}[1m]) > 2', 'binary operations'],
    ['{pod=~".*"}', 'at least one regexp or equality matcher'],
    ['{pod="x"', 'expected']
  ] as const) {
    const res = await s.get('/loki/api/v1/query_range', { ...GRAFANA_RANGE, query })
    t.equal(res.statusCode, 400, query)
    const body = res.json()
    t.equal(body.status, 'error')
    t.equal(body.code, 400)
    t.match(body.message, named, `${query}: ${body.message}`)
    t.equal(body.error.code, 'InvalidRequest', 'the contract\'s error beside it')
    t.equal(body.error.requestId, res.headers['x-request-id'])
  }
  const limit = await s.get('/loki/api/v1/query_range', { ...GRAFANA_RANGE, query: '{pod="x"}', limit: '5001' })
  t.match(limit.json().message, /max entries limit/)
  const long = await s.get('/loki/api/v1/query_range', { start: ns('2024-05-01T00:00:00Z'), end: ns('2024-06-15T00:00:00Z'), query: '{pod="x"}' })
  t.match(long.json().message, /LOKI_MAX_QUERY_HOURS/)
})

t.test('a regular expression with nested quantifiers runs in linear time (RE2 semantics), over a long line', async (t) => {
  const s = await service(t)
  const writer = await authHeaders({ scope: 'logs.write' })
  await s.app.inject({ method: 'POST', url: '/v2/lm/deployments/d-regex001/logs', headers: writer, payload: [{ timestamp: '2024-06-15T11:59:00Z', msg: 'a'.repeat(50_000) + '!' }] })
  const data = ok(t, await s.get('/loki/api/v1/query_range', { ...GRAFANA_RANGE, query: '{deployment_id="d-regex001"} |~ "^(a+)+$"' }))
  t.strictSame(data.result, [], 'no match, and an answer (a backtracking engine would not finish)')
  const bad = await s.get('/loki/api/v1/query_range', { ...GRAFANA_RANGE, query: '{deployment_id="d-regex001"} |~ "(?=a)"' })
  t.equal(bad.statusCode, 400)
  t.match(bad.json().message, /invalid regular expression/)
})

t.test('tenancy: bearer token with logs.read; X-Scope-OrgID (logcli --org-id) or AI-Resource-Group picks the group', async (t) => {
  const s = await service(t)
  const query = { ...GRAFANA_RANGE, query: '{deployment_id=~"d-.+"}' }
  const mine = ok(t, await s.get('/loki/api/v1/query_range', query))
  t.notOk(mine.result.some((r: any) => r.stream.deployment_id === 'd-other01'), 'the default group does not see team-b')
  const theirs = ok(t, await s.get('/loki/api/v1/query_range', query, { 'x-scope-orgid': 'team-b' }))
  t.strictSame(theirs.result.map((r: any) => r.stream.deployment_id), ['d-other01'])
  const anonymous = await s.app.inject({ method: 'GET', url: '/loki/api/v1/labels' })
  t.equal(anonymous.statusCode, 401)
  t.equal(anonymous.json().error.code, 'Unauthorized')
  const writeOnly = await s.get('/loki/api/v1/labels', {}, { authorization: `Bearer ${await token({ scope: 'logs.write' })}` })
  t.equal(writeOnly.statusCode, 403)
  const forbidden = await s.get('/loki/api/v1/labels', {}, { authorization: `Bearer ${await token({ scope: 'logs.read', groups: ['default'] })}`, 'x-scope-orgid': 'team-b' })
  t.equal(forbidden.statusCode, 403)
})

t.test('bounded: a selector over more runs than LOKI_MAX_RUNS, or more lines than LOKI_MAX_SCAN_LINES, is a 400 naming the setting', async (t) => {
  const s = await service(t, { env: { LOKI_MAX_RUNS: '1' } })
  const res = await s.get('/loki/api/v1/query_range', { ...GRAFANA_RANGE, query: '{pod=~"trainer-.*"}' })
  t.equal(res.statusCode, 400)
  t.match(res.json().message, /LOKI_MAX_RUNS/)
  ok(t, await s.get('/loki/api/v1/query_range', { ...GRAFANA_RANGE, query: '{execution_id="e-trainer1"}' }))
})

/** Messages of a WebSocket until `count` lines have come. */
async function linesFrom (socket: WebSocket, count: number): Promise<Array<[string, string, string]>> {
  const lines: Array<[string, string, string]> = []
  return await new Promise((resolve, reject) => {
    socket.on('message', (data) => {
      const message = JSON.parse(data.toString()) as { streams: Array<{ stream: { pod: string }, values: Array<[string, string]> }>, dropped_entries: null }
      for (const stream of message.streams) for (const [ts, line] of stream.values) lines.push([stream.stream.pod, ts, line])
      if (lines.length >= count) resolve(lines)
    })
    socket.on('error', reject)
    socket.on('close', (code, reason) => { if (lines.length < count) reject(new Error(`closed ${code} ${reason.toString()}`)) })
  })
}

t.test('live tail over WebSocket (logcli --tail, Grafana live): the newest limit lines since start, then new lines of every matching run', async (t) => {
  const s = await service(t)
  const base = (await s.app.listen({ host: '127.0.0.1', port: 0 })).replace('http', 'ws')
  const query = new URLSearchParams({ query: '{pod=~"trainer-.*"}', limit: '2', start: ns('2024-06-15T11:00:00Z'), delay_for: '0' })
  const socket = new WebSocket(`${base}/loki/api/v1/tail?${query.toString()}`, { headers: s.headers })
  t.teardown(() => { socket.close() })
  const received = linesFrom(socket, 4)
  await new Promise((resolve) => socket.once('open', resolve))
  await new Promise((resolve) => setTimeout(resolve, 300))
  const writer = await authHeaders({ scope: 'logs.write' })
  await s.app.inject({ method: 'POST', url: '/v2/lm/executions/e-trainer2/logs', headers: writer, payload: [{ timestamp: '2024-06-15T11:59:50Z', msg: 'epoch 2', pod: 'trainer-2', container: 'main' }] })
  await s.app.inject({ method: 'POST', url: '/v2/lm/executions/e-trainer1/logs', headers: writer, payload: [{ timestamp: '2024-06-15T11:58:10Z', msg: 'late line', pod: 'trainer-1', container: 'main' }] })
  const lines = await received
  t.strictSame(lines.slice(0, 2), [['trainer-2', ns('2024-06-15T11:58:30Z'), 'epoch 1'], ['trainer-1', ns('2024-06-15T11:59:00Z'), 'epoch 2']], 'history: the newest 2, oldest first')
  t.strictSame(lines.slice(2).sort(), [['trainer-1', ns('2024-06-15T11:58:10Z'), 'late line'], ['trainer-2', ns('2024-06-15T11:59:50Z'), 'epoch 2']], 'then each new line once, a late timestamp included')

  const refused = new WebSocket(`${base}/loki/api/v1/tail?query=${encodeURIComponent('{pod="x"} | json')}`, { headers: s.headers })
  const status = await new Promise<number>((resolve) => { refused.on('unexpected-response', (_req, res) => { resolve(res.statusCode ?? 0) }) })
  t.equal(status, 400, 'a bad query is refused before the upgrade')
})

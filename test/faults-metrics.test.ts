// /metrics: Prometheus' text format with the process's metrics and the service's own, after some traffic;
// optionally behind a token; off when METRICS_ENABLED=false.
import pg from 'pg'
import t from 'tap'
import { LogStore } from '../src/store/log-store.js'
import { Partitions } from '../src/store/partitions.js'
import { authHeaders, buildTestApp } from './helpers/app.js'
import { expectError } from './helpers/errors.js'

/** The value of one sample line, e.g. sample(text, 'runlogs_lines_ingested_total{kind="execution"}'). */
function sample (text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(series + ' '))
  return line === undefined ? undefined : Number(line.slice(series.length + 1))
}

t.test('after traffic, /metrics counts requests by route and status, lines in and out, exports, pools and tails', async (t) => {
  const { app } = await buildTestApp(t, { env: { EXPORT_WORKERS: '0' } })
  const headers = await authHeaders({}, 'metrics')
  const at = Date.now() - 60_000
  const lines = Array.from({ length: 30 }, (_, i) => ({ timestamp: new Date(at + i).toISOString(), msg: `line ${i}` }))
  t.equal((await app.inject({ method: 'POST', url: '/v2/lm/executions/e-metrics/logs', headers, payload: lines })).statusCode, 200)
  t.equal((await app.inject({ method: 'POST', url: '/v2/lm/deployments/d-metrics/logs', headers, payload: lines.slice(0, 5) })).statusCode, 200)
  const replay = { ...headers, 'idempotency-key': 'k-1' }
  for (let i = 0; i < 2; i++) t.equal((await app.inject({ method: 'POST', url: '/v2/lm/deployments/d-metrics/logs', headers: replay, payload: lines.slice(0, 2) })).statusCode, 200)
  const start = new Date(at - 1000).toISOString()
  const page = await app.inject({ url: `/v2/lm/executions/e-metrics/logs?$top=10&start=${start}`, headers })
  t.equal(page.json().data.result.length, 10)
  const stream = await app.inject({ url: `/v2/lm/executions/e-metrics/logs?start=${start}`, headers: { ...headers, accept: 'application/x-ndjson' } })
  t.equal(stream.body.trim().split('\n').length, 30)
  t.equal((await app.inject({ url: '/v2/lm/executions/e-unknown/logs', headers })).statusCode, 404)
  t.equal((await app.inject({ method: 'POST', url: '/v2/lm/exports', headers, payload: { filters: { start } } })).statusCode, 202)

  const res = await app.inject({ url: '/metrics' })
  t.equal(res.statusCode, 200)
  t.match(res.headers['content-type'], /^text\/plain; version=0\.0\.4/)
  const text = res.body
  t.match(text, /^process_resident_memory_bytes \d+/m, 'the process\'s default metrics')
  t.match(text, /^nodejs_eventloop_lag_seconds /m)
  const route = 'route="/v2/lm/executions/:executionId/logs"'
  t.equal(sample(text, `http_request_duration_seconds_count{method="GET",${route},status_code="200"}`), 2, 'reads by route template, not raw URL')
  t.equal(sample(text, `http_request_duration_seconds_count{method="GET",${route},status_code="404"}`), 1, 'and by status')
  t.equal(sample(text, 'http_request_duration_seconds_count{method="POST",route="/v2/lm/executions/:executionId/logs",status_code="200"}'), 1)
  t.match(text, /^http_request_duration_seconds_bucket\{le="0\.005",method="GET",route="\/v2\/lm\/executions\/:executionId\/logs",status_code="200"\} \d+/m, 'a histogram')
  t.notMatch(text, /route="\/v2\/lm\/executions\/e-metrics/, 'no raw URLs as labels')
  t.equal(sample(text, 'runlogs_lines_ingested_total{kind="execution"}'), 30)
  t.equal(sample(text, 'runlogs_lines_ingested_total{kind="deployment"}'), 7, 'a replayed write counts once')
  t.equal(sample(text, 'runlogs_lines_served_total{kind="execution"}'), 40, 'a page of 10 (its look-ahead line not counted) and a stream of 30')
  t.equal(sample(text, 'runlogs_export_jobs{status="QUEUED"}'), 1)
  t.equal(sample(text, 'runlogs_export_jobs{status="READY"}'), 0)
  t.ok((sample(text, 'runlogs_db_pool_connections{pool="primary"}') ?? 0) >= 1, 'the primary pool holds connections')
  t.type(sample(text, 'runlogs_db_pool_idle_connections{pool="exports"}'), 'number', 'the export pool is watched too')
  t.equal(sample(text, 'runlogs_db_pool_waiting_requests{pool="primary"}'), 0)
  t.equal(sample(text, 'runlogs_tails_open'), 0)
})

t.test('an open tail shows in runlogs_tails_open', async (t) => {
  const { app } = await buildTestApp(t)
  await app.listen({ host: '127.0.0.1', port: 0 })
  const base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`
  const headers = await authHeaders({}, 'metrics')
  const aborter = new AbortController()
  const tail = await fetch(`${base}/v2/lm/executions/e-tailed/logs?follow=true`, { headers, signal: aborter.signal })
  t.equal(tail.status, 200)
  const open = await (await fetch(`${base}/metrics`)).text()
  t.equal(sample(open, 'runlogs_tails_open'), 1)
  aborter.abort()
  await tail.body?.cancel().catch(() => undefined)
  let closed: number | undefined
  for (let i = 0; i < 100 && closed !== 0; i++) {
    await new Promise((resolve) => setTimeout(resolve, 20))
    closed = sample(await (await fetch(`${base}/metrics`)).text(), 'runlogs_tails_open')
  }
  t.equal(closed, 0, 'and leaves it when it ends')
})

t.test('METRICS_TOKEN: /metrics wants it as a bearer token', async (t) => {
  const metricsToken = 'a-metrics-token-of-some-length'
  const { app } = await buildTestApp(t, { env: { METRICS_TOKEN: metricsToken } })
  expectError(t, await app.inject({ url: '/metrics' }), 401, 'Unauthorized')
  expectError(t, await app.inject({ url: '/metrics', headers: { authorization: 'Bearer wrong' } }), 401, 'Unauthorized')
  const res = await app.inject({ url: '/metrics', headers: { authorization: `Bearer ${metricsToken}` } })
  t.equal(res.statusCode, 200)
  t.match(res.body, /runlogs_lines_ingested_total/)
})

t.test('METRICS_ENABLED=false: no /metrics route', async (t) => {
  const { app } = await buildTestApp(t, { env: { METRICS_ENABLED: 'false' } })
  expectError(t, await app.inject({ url: '/metrics' }), 404, 'NotFound')
})

t.test('with a read replica, lines a tail reads on the primary count like the rest', async (t) => {
  const pool = new pg.Pool({ max: 1 })
  const replica = new pg.Pool({ max: 1 })
  t.teardown(async () => { await Promise.all([pool.end(), replica.end()]) })
  const store = new LogStore(pool, new Partitions(pool), replica)
  t.not(store.primary, store, 'reads for tails go through a view on the primary')
  t.equal(store.primary.lineCounts, store.lineCounts, 'which counts into the same lines served and ingested')
})

// PostgreSQL stopped in the middle of a load and started again: while it is down every request that needs it
// answers 503 Unavailable with Retry-After (never a 500), /readyz says not ready, /healthz and /metrics
// still answer; once it is back the same process recovers by itself: writes, reads, the LISTEN connection
// under an open tail, and the export worker. The test runs its own PostgreSQL so that it can stop it.
import { chmod, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import pino from 'pino'
import t from 'tap'
import { startServiceProcess } from '../scripts/service-process.js'
import { freePort } from '../scripts/temporary-postgres.js'
import { startEmbeddedPostgres, type EmbeddedDatabase } from '../src/db/embedded.js'
import { toApiError } from '../src/errors.js'
import { migrate } from '../src/store/migrate.js'
import { authHeaders, TEST_SECRET } from './helpers/app.js'
import { storedMessages } from './helpers/database.js'
import { batchLines, expectFetchError, postBatch, sleep, type Outcome } from './helpers/load.js'

const CLIENTS = 4

t.test('what pg says when the database is away is Unavailable (503 with Retry-After), anything else stays a 500', async (t) => {
  const pgError = (code: string, message: string): Error => Object.assign(new Error(message), { code })
  const away: Array<[string, Error]> = [
    ['connection refused', pgError('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:5432')],
    ['admin shutdown', pgError('57P01', 'terminating connection due to administrator command')],
    ['starting up', pgError('57P03', 'the database system is starting up')],
    ['connection failure', pgError('08006', 'connection failure')],
    ['cannot connect', pgError('08001', 'could not connect')],
    ['pool connect timeout', new Error('timeout exceeded when trying to connect')],
    ['connection dropped', new Error('Connection terminated unexpectedly')],
    ['a client broken earlier', new Error('Client has encountered a connection error and is not queryable')]
  ]
  for (const [label, err] of away) {
    const apiError = toApiError(err)
    t.match(apiError, { statusCode: 503, code: 'Unavailable' }, label)
    t.ok(Number(apiError.headers?.['retry-after']) >= 1, `${label}: Retry-After`)
  }
  t.match(toApiError(pgError('42P01', 'relation "x" does not exist')), { statusCode: 500, code: 'InternalError' }, 'a broken query is not an outage')
})

t.test('a database outage: 503 Unavailable while it lasts, recovery without a restart', async (t) => {
  const pgDir = await mkdtemp(path.join(tmpdir(), 'run-logs-outage-pg-'))
  await chmod(pgDir, 0o755)
  const dataDir = await mkdtemp(path.join(tmpdir(), 'run-logs-outage-'))
  const pgPort = await freePort()
  const log = pino({ level: 'warn' })
  let database: EmbeddedDatabase | undefined = await startEmbeddedPostgres(pgDir, pgPort, log)
  t.teardown(async () => {
    await database?.stop()
    await rm(pgDir, { recursive: true, force: true })
    await rm(dataDir, { recursive: true, force: true })
  })
  const databaseUrl = database.url
  await migrate(databaseUrl)
  const service = await startServiceProcess({
    DATABASE_URL: databaseUrl, AUTH_JWT_SECRET: TEST_SECRET, DATA_DIR: dataDir, LOG_LEVEL: 'warn', EXPORT_POLL_INTERVAL_MS: '200'
  })
  t.teardown(() => {
    if (service.child.exitCode !== null && service.child.exitCode !== 0) console.error(service.output())
    service.child.kill('SIGKILL')
  })
  const base = service.baseUrl
  const headers = await authHeaders({}, 'outage')
  const at = Date.now() - 10 * 60_000
  const runUrl = (client: number): string => `${base}/v2/lm/executions/e-outage-${client}/logs`

  // A tail open across the outage: it must see a line written after it.
  const tailAbort = new AbortController()
  t.teardown(() => { tailAbort.abort() })
  const tail = await fetch(`${runUrl(0)}?follow=true&start=${new Date(at).toISOString()}`, { headers, signal: tailAbort.signal })
  t.equal(tail.status, 200, 'a tail is open')
  let tailed = ''
  const tailReading = (async () => {
    const decoder = new TextDecoder()
    for await (const chunk of tail.body as unknown as AsyncIterable<Uint8Array>) tailed += decoder.decode(chunk, { stream: true })
  })().catch(() => undefined)

  // Clients write batches and read pages without pause, each request recorded with the time it was sent.
  const outcomes: Outcome[] = []
  const reads: Array<{ status?: number, code?: string, retryAfter?: string | null, sentAt: number }> = []
  const load = { on: true }
  t.teardown(() => { load.on = false })
  const clients = Array.from({ length: CLIENTS }, async (_, client) => {
    for (let batch = 0; load.on; batch++) {
      outcomes.push(await postBatch(runUrl(client), headers, client, batch, batchLines('outage', client, batch, 50, at + batch * 50)))
      const sentAt = Date.now()
      try {
        const res = await fetch(`${runUrl(client)}?$top=20&start=${new Date(at).toISOString()}`, { headers })
        const body = await res.json() as { error?: { code: string } }
        reads.push({ status: res.status, code: body.error?.code, retryAfter: res.headers.get('retry-after'), sentAt })
      } catch {
        reads.push({ sentAt })
      }
    }
  })

  await sleep(1000)
  const before = outcomes.length
  t.ok(before > 0 && outcomes.every((o) => o.status === 200), `${before} writes before the outage, all 200`)

  await database.stop()
  database = undefined
  const downAt = Date.now()
  await sleep(1500) // the load goes on against a stopped database
  t.equal((await fetch(`${base}/healthz`)).status, 200, 'alive while the database is down')
  const notReady = await fetch(`${base}/readyz`)
  t.equal(notReady.headers.get('retry-after'), '5')
  await expectFetchError(t, notReady, 503, 'Unavailable', '/readyz while the database is down')
  const post = async (url: string, body: unknown): Promise<Response> =>
    await fetch(`${base}${url}`, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify(body) })
  const duringOutage: Array<[string, Response]> = [
    ['GET logs', await fetch(`${runUrl(1)}?$top=5`, { headers })],
    ['GET logs as NDJSON', await fetch(runUrl(1), { headers: { ...headers, accept: 'application/x-ndjson' } })],
    ['a new tail', await fetch(`${runUrl(2)}?follow=true`, { headers })],
    ['POST logs', await post('/v2/lm/deployments/d-outage/logs', [{ timestamp: new Date().toISOString(), msg: 'lost?' }])],
    ['POST /v2/lm/logs (Fluent Bit)', await post('/v2/lm/logs', [{ date: Date.now() / 1000, log: 'x', kubernetes: { labels: { 'ai.sap.com/executionId': 'e-shipped', 'ai.sap.com/resourceGroup': 'outage' } } }])],
    ['POST /loki/api/v1/push', await post('/loki/api/v1/push', { streams: [{ stream: { executionId: 'e-loki', resourceGroup: 'outage' }, values: [[String(Date.now() * 1e6), 'x']] }] })],
    ['POST /v2/lm/exports', await post('/v2/lm/exports', { filters: { start: new Date(at).toISOString() } })],
    ['GET /v2/lm/exports', await fetch(`${base}/v2/lm/exports`, { headers })]
  ]
  for (const [label, res] of duringOutage) {
    t.ok(Number(res.headers.get('retry-after')) >= 1, `${label}: Retry-After`)
    await expectFetchError(t, res, 503, 'Unavailable', label)
  }
  const metrics = await fetch(`${base}/metrics`)
  t.equal(metrics.status, 200, '/metrics answers while the database is down')
  t.match(await metrics.text(), /runlogs_db_pool_connections\{pool="primary"\}/)

  const upAt = Date.now()
  database = await startEmbeddedPostgres(pgDir, pgPort, log)
  let ready = 0
  for (let i = 0; i < 200 && ready !== 200; i++) {
    await sleep(100)
    ready = (await fetch(`${base}/readyz`)).status
  }
  t.equal(ready, 200, `ready again ${Date.now() - upAt} ms after the database was started again`)
  const readyAt = Date.now()
  await sleep(1000)
  load.on = false
  await Promise.all(clients)
  t.equal(service.child.exitCode, null, 'the same process, never restarted')

  const answered = [...outcomes, ...reads]
  t.equal(answered.filter((o) => o.status === undefined).length, 0, 'every request was answered')
  const failures = answered.filter((o) => o.status !== 200)
  t.ok(failures.length > 0, `${failures.length} requests failed during the outage`)
  t.same(failures.filter((o) => o.status !== 503 || o.code !== 'Unavailable' || o.retryAfter === null), [], 'every failure is 503 Unavailable with Retry-After, none a 500')
  t.same(answered.filter((o) => o.sentAt > downAt + 200 && o.sentAt < upAt && o.status !== 503), [], 'a request sent while the database was down is a 503')
  t.same(answered.filter((o) => o.sentAt > readyAt && o.status !== 200), [], 'once ready, every request succeeds')
  t.ok(outcomes.some((o) => o.sentAt > readyAt && o.status === 200), 'writes succeed after the outage')

  // What was acknowledged is stored, once; what was refused is not.
  const stored = new Map<string, number>()
  for (const msg of await storedMessages(databaseUrl)) if (msg.startsWith('outage-')) stored.set(msg, (stored.get(msg) ?? 0) + 1)
  const acked = outcomes.filter((o) => o.status === 200)
  t.ok(acked.every((o) => o.markers.every((m) => stored.get(m) === 1)), `all ${acked.length} acknowledged batches stored exactly once`)
  const refused = outcomes.filter((o) => o.status !== 200)
  t.ok(refused.every((o) => o.markers.every((m) => !stored.has(m))), `none of the ${refused.length} refused batches stored`)

  // The LISTEN connection came back: the tail opened before the outage sees a line written after it.
  const last = await post('/v2/lm/executions/e-outage-0/logs', [{ timestamp: new Date().toISOString(), msg: 'after the outage' }])
  t.equal(last.status, 200)
  for (let i = 0; i < 100 && !tailed.includes('after the outage'); i++) await sleep(50)
  t.match(tailed, /after the outage/, 'the tail opened before the outage gets new lines')

  // The export worker kept polling through the outage and builds again.
  const created = await post('/v2/lm/exports', { filters: { executionIds: ['e-outage-1'], start: new Date(at).toISOString() } })
  t.equal(created.status, 202)
  const { requestId } = await created.json() as { requestId: string }
  let status = ''
  for (let i = 0; i < 200 && status !== 'READY' && status !== 'FAILED'; i++) {
    await sleep(100)
    status = ((await (await fetch(`${base}/v2/lm/exports/${requestId}`, { headers })).json()) as { status: string }).status
  }
  t.equal(status, 'READY', 'an export requested after the outage is built')
  tailAbort.abort()
  await tailReading
  service.child.kill('SIGTERM')
  t.equal(await service.exited, 0)
})

// Load limits: per token subject and resource group, reads, writes and exports each have their own budget a
// minute (429 TooManyRequests with Retry-After); past a pressure threshold the service sheds load with 503
// Unavailable and Retry-After, while liveness and metrics still answer.
import type { FastifyInstance } from 'fastify'
import t from 'tap'
import { authHeaders, buildTestApp } from './helpers/app.js'
import { expectError } from './helpers/errors.js'

const LIMITS = { RATE_LIMIT_READS_PER_MINUTE: '3', RATE_LIMIT_WRITES_PER_MINUTE: '2', RATE_LIMIT_EXPORTS_PER_MINUTE: '1' }

t.test('reads past RATE_LIMIT_READS_PER_MINUTE: 429 with Retry-After and x-ratelimit-* headers', async (t) => {
  const { app } = await buildTestApp(t, { env: LIMITS })
  const headers = await authHeaders({ subject: 'alice' }, 'limited')
  const url = '/v2/lm/executions/e-limited/logs'
  for (let i = 0; i < 3; i++) {
    const res = await app.inject({ url, headers })
    t.equal(res.statusCode, 404, 'counted whatever the answer')
    t.equal(res.headers['x-ratelimit-limit'], '3')
    t.equal(res.headers['x-ratelimit-remaining'], String(2 - i))
  }
  const over = await app.inject({ url, headers })
  const error = expectError(t, over, 429, 'TooManyRequests')
  t.match(error.message, /3 a minute/)
  const retryAfter = Number(over.headers['retry-after'])
  t.ok(retryAfter >= 1 && retryAfter <= 60, `Retry-After in seconds (${retryAfter})`)
  t.equal(over.headers['x-ratelimit-remaining'], '0')

  t.equal((await app.inject({ url, headers: await authHeaders({ subject: 'bob' }, 'limited') })).statusCode, 404, 'another subject has its own budget')
  t.equal((await app.inject({ url, headers: await authHeaders({ subject: 'alice' }, 'other-group') })).statusCode, 404, 'so has another group')
  const write = await app.inject({ method: 'POST', url, headers, payload: [{ timestamp: new Date().toISOString(), msg: 'still writes' }] })
  t.equal(write.statusCode, 200, 'writes are counted apart from reads')
  t.equal((await app.inject({ url: '/readyz' })).statusCode, 200, 'probes are not limited')
  t.equal((await app.inject({ url: '/healthz' })).statusCode, 200)
})

t.test('writes and exports have their own limits; a request refused by auth is not counted', async (t) => {
  const { app } = await buildTestApp(t, { env: { ...LIMITS, EXPORT_WORKERS: '0' } })
  const headers = await authHeaders({ subject: 'carol' }, 'limited')
  const url = '/v2/lm/deployments/d-limited/logs'
  const line = [{ timestamp: new Date().toISOString(), msg: 'x' }]
  expectError(t, await app.inject({ method: 'POST', url, payload: line }), 401, 'Unauthorized')
  for (let i = 0; i < 2; i++) t.equal((await app.inject({ method: 'POST', url, headers, payload: line })).statusCode, 200)
  const over = await app.inject({ method: 'POST', url, headers, payload: line })
  expectError(t, over, 429, 'TooManyRequests')
  t.ok(Number(over.headers['retry-after']) >= 1)
  t.match(over.json().error.message, /writes/)

  const exportBody = { filters: { start: new Date(Date.now() - 60_000).toISOString() } }
  t.equal((await app.inject({ method: 'POST', url: '/v2/lm/exports', headers, payload: exportBody })).statusCode, 202)
  expectError(t, await app.inject({ url: '/v2/lm/exports', headers }), 429, 'TooManyRequests', 'reading exports shares the export budget')
  t.equal((await app.inject({ url: `${url}?$top=1`, headers })).statusCode, 200, 'reads still have theirs')
})

t.test('a limit of 0 is off', async (t) => {
  const { app } = await buildTestApp(t, { env: { ...LIMITS, RATE_LIMIT_READS_PER_MINUTE: '0' } })
  const headers = await authHeaders({}, 'limited')
  for (let i = 0; i < 10; i++) {
    const res = await app.inject({ url: '/v2/lm/executions/e-unlimited/logs', headers })
    t.equal(res.statusCode, 404)
    t.equal(res.headers['x-ratelimit-limit'], undefined, 'no rate-limit headers')
  }
})

t.test('under pressure (heap past PRESSURE_MAX_HEAP_USED_MIB): 503 Unavailable with Retry-After; liveness and metrics answer', async (t) => {
  const { app } = await buildTestApp(t, { env: { PRESSURE_MAX_EVENT_LOOP_DELAY_MS: '0', PRESSURE_MAX_HEAP_USED_MIB: '1', PRESSURE_SAMPLE_INTERVAL_MS: '100', PRESSURE_RETRY_AFTER_SECONDS: '7' } })
  const headers = await authHeaders({}, 'pressed')
  await new Promise((resolve) => setTimeout(resolve, 250)) // a sample of the heap has been taken
  const read = await app.inject({ url: '/v2/lm/executions/e-pressed/logs', headers })
  t.match(expectError(t, read, 503, 'Unavailable').message, /overloaded \(heap in use/)
  t.equal(read.headers['retry-after'], '7')
  const write = await app.inject({ method: 'POST', url: '/v2/lm/executions/e-pressed/logs', headers, payload: [] })
  expectError(t, write, 503, 'Unavailable')
  expectError(t, await app.inject({ url: '/readyz' }), 503, 'Unavailable', 'not ready: a balancer sends traffic elsewhere')
  t.equal((await app.inject({ url: '/healthz' })).statusCode, 200, 'alive')
  t.equal((await app.inject({ url: '/metrics' })).statusCode, 200, 'metrics still say why')
})

/** /readyz asked every 50 ms until it answers 200 (at most 5 s): its last status. */
async function readyWithin (app: FastifyInstance): Promise<number> {
  let status = 0
  for (let i = 0; i < 100 && status !== 200; i++) {
    if (i > 0) await new Promise((resolve) => setTimeout(resolve, 50))
    status = (await app.inject({ url: '/readyz' })).statusCode
  }
  return status
}

// The sampler measures this process's event loop, which other processes on a busy machine (tap runs two test
// files at a time) delay too: a free loop is one a sample finds under the limit within a few seconds, and a
// blocked one is blocked far past it (a 1.5 s block in a 0.2 s sample of 10 ms ticks is a mean of 70 ms or more).
t.test('under pressure (a blocked event loop past PRESSURE_MAX_EVENT_LOOP_DELAY_MS): 503, then back to normal', async (t) => {
  const { app } = await buildTestApp(t, { env: { PRESSURE_MAX_EVENT_LOOP_DELAY_MS: '50', PRESSURE_SAMPLE_INTERVAL_MS: '200' } })
  await new Promise((resolve) => setTimeout(resolve, 250)) // a sample of the loop has been taken
  t.equal(await readyWithin(app), 200, 'ready while the loop is free')
  let shed: number | undefined
  for (let attempt = 0; attempt < 20 && shed !== 503; attempt++) {
    const until = Date.now() + 1500
    while (Date.now() < until) { /* blocks the event loop, as a runaway computation would */ }
    await new Promise((resolve) => setTimeout(resolve, 10))
    shed = (await app.inject({ url: '/readyz' })).statusCode
  }
  t.equal(shed, 503, 'shed while the loop was blocked')
  t.equal(await readyWithin(app), 200, 'answered again once the loop is free')
})

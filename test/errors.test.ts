// The contract's "Errors": every non-2xx answer is {"error":{code,message,requestId,target,details?}}.
import { mkdtemp } from 'node:fs/promises'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import path from 'node:path'
import type { LightMyRequestResponse } from 'fastify'
import t from 'tap'
import { buildApp } from '../src/app.js'
import { parseConfig } from '../src/config.js'
import { authHeaders, buildTestApp, TEST_SECRET } from './helpers/app.js'
import { createTestDatabase } from './helpers/database.js'

type Test = Parameters<Parameters<typeof t.test>[0]>[0]

const LOGS = '/v2/lm/executions/e-0001/logs'

/** Checks the whole error body and returns it. */
function contractError (t: Test, res: LightMyRequestResponse, status: number, code: string, target: string): Record<string, unknown> {
  t.equal(res.statusCode, status, res.body)
  t.match(res.headers['content-type'], /^application\/json/)
  const body = res.json()
  t.same(Object.keys(body), ['error'], 'one top-level key')
  const error = body.error
  if (!t.ok(error !== null && typeof error === 'object', 'error is an object')) return {}
  const keys = Object.keys(error).sort()
  t.ok(['code', 'message', 'requestId', 'target'].every((k) => keys.includes(k)), `has code, message, requestId, target: ${keys.join(', ')}`)
  t.same(keys.filter((k) => !['code', 'message', 'requestId', 'target', 'details'].includes(k)), [], 'no other keys')
  t.equal(error.code, code)
  t.match(error.code, /^[A-Z][A-Za-z]+$/, 'code is a word')
  t.type(error.message, 'string')
  t.ok(error.message.length > 0, 'message says what to fix')
  t.type(res.headers['x-request-id'], 'string')
  t.equal(error.requestId, res.headers['x-request-id'], 'requestId is the X-Request-Id header')
  t.equal(error.target, target, 'target is the path without the query string')
  if ('details' in error) t.ok(error.details !== null && typeof error.details === 'object' && !Array.isArray(error.details), 'details is an object')
  return error
}

t.test('400 InvalidRequest', async (t) => {
  const { app } = await buildTestApp(t)
  const headers = await authHeaders()
  const top = await app.inject({ method: 'GET', url: `${LOGS}?$top=0&start=2024-01-01T00:00:00Z`, headers })
  t.ok(contractError(t, top, 400, 'InvalidRequest', LOGS).details, 'details names the parameter')

  const badId = await app.inject({ method: 'GET', url: '/v2/lm/executions/a!b/logs', headers })
  contractError(t, badId, 400, 'InvalidRequest', '/v2/lm/executions/a!b/logs')

  const group = await app.inject({ method: 'GET', url: LOGS, headers: { ...headers, 'ai-resource-group': 'x' } })
  contractError(t, group, 400, 'InvalidRequest', LOGS)

  const line = await app.inject({ method: 'POST', url: `${LOGS}?note=1`, headers, payload: [{ msg: 'no timestamp' }] })
  t.same(contractError(t, line, 400, 'InvalidRequest', LOGS).details, { index: 0, field: 'timestamp' })
})

t.test('400 for a run id longer than any router limit, still with the error body', async (t) => {
  const { app } = await buildTestApp(t)
  const headers = await authHeaders()
  for (const length of [65, 101, 500]) {
    const url = `/v2/lm/executions/${'a'.repeat(length)}/logs`
    const res = await app.inject({ method: 'GET', url, headers })
    contractError(t, res, 400, 'InvalidRequest', url)
  }
})

t.test('400 for a malformed URL, still with the error body', async (t) => {
  const { app } = await buildTestApp(t)
  const url = '/v2/lm/executions/%E0%A4%A/logs'
  const res = await app.inject({ method: 'GET', url: `${url}?x=1`, headers: await authHeaders() })
  contractError(t, res, 400, 'InvalidRequest', url)
})

t.test('401 Unauthorized, with WWW-Authenticate: Bearer', async (t) => {
  const { app } = await buildTestApp(t)
  const cases: Record<string, Record<string, string>> = {
    'no token': {},
    'a malformed header': { authorization: 'Basic dXNlcjpwYXNz' },
    'a token signed with another secret': await authHeaders({ secret: 'another-secret-that-is-at-least-32-chars' }),
    'an expired token': await authHeaders({ expiresIn: '-1m' })
  }
  for (const [name, headers] of Object.entries(cases)) {
    const res = await app.inject({ method: 'GET', url: `${LOGS}?$top=5`, headers })
    t.comment(name)
    contractError(t, res, 401, 'Unauthorized', LOGS)
    t.match(res.headers['www-authenticate'], /^Bearer/)
  }
})

t.test('403 Forbidden', async (t) => {
  const { app } = await buildTestApp(t)
  const noScope = await app.inject({ method: 'POST', url: LOGS, headers: await authHeaders({ scope: 'logs.read' }), payload: [] })
  contractError(t, noScope, 403, 'Forbidden', LOGS)
  const otherGroup = await app.inject({ method: 'GET', url: LOGS, headers: await authHeaders({ groups: ['team-a'] }, 'team-b') })
  contractError(t, otherGroup, 403, 'Forbidden', LOGS)
})

t.test('404 NotFound for an unknown run and an unknown route', async (t) => {
  const { app } = await buildTestApp(t)
  const headers = await authHeaders()
  const run = await app.inject({ method: 'GET', url: '/v2/lm/deployments/d-never/logs?$top=1', headers })
  contractError(t, run, 404, 'NotFound', '/v2/lm/deployments/d-never/logs')
  const route = await app.inject({ method: 'GET', url: '/v2/lm/nothing-here?x=1', headers })
  contractError(t, route, 404, 'NotFound', '/v2/lm/nothing-here')
  const method = await app.inject({ method: 'DELETE', url: LOGS, headers })
  contractError(t, method, 404, 'NotFound', LOGS)
})

t.test('413 PayloadTooLarge', async (t) => {
  const { app } = await buildTestApp(t, { env: { INGEST_MAX_BYTES: '2048' } })
  const payload = [{ timestamp: new Date().toISOString(), msg: 'x'.repeat(3000) }]
  const res = await app.inject({ method: 'POST', url: `${LOGS}?a=b`, headers: await authHeaders(), payload })
  contractError(t, res, 413, 'PayloadTooLarge', LOGS)
})

t.test('415 UnsupportedMediaType, for a content type and for a content encoding', async (t) => {
  const { app } = await buildTestApp(t)
  const headers = await authHeaders()
  const csv = await app.inject({ method: 'POST', url: LOGS, headers: { ...headers, 'content-type': 'text/csv' }, payload: 'a,b\n' })
  contractError(t, csv, 415, 'UnsupportedMediaType', LOGS)
  const br = await app.inject({ method: 'POST', url: LOGS, headers: { ...headers, 'content-type': 'application/json', 'content-encoding': 'br' }, payload: '[]' })
  contractError(t, br, 415, 'UnsupportedMediaType', LOGS)
})

t.test('503 Unavailable when the database is unreachable, with Retry-After and nothing internal', async (t) => {
  // buildTestApp would run partition upkeep at ready, which needs the database: build the app directly.
  const dataDir = await mkdtemp(path.join(tmpdir(), 'run-logs-errors-'))
  const config = parseConfig({ AUTH_JWT_SECRET: TEST_SECRET, LOG_LEVEL: 'silent', DATA_DIR: dataDir })
  const app = await buildApp(config, { databaseUrl: 'postgres://postgres@127.0.0.1:1/none', maintenance: false })
  t.teardown(async () => { await app.close() })
  await app.ready()
  const headers = await authHeaders()

  const requests = [
    { method: 'GET' as const, url: `${LOGS}?$top=3`, target: LOGS },
    { method: 'POST' as const, url: LOGS, target: LOGS, payload: [{ timestamp: new Date().toISOString(), msg: 'lost' }] },
    { method: 'GET' as const, url: '/readyz', target: '/readyz' }
  ]
  for (const { target, ...request } of requests) {
    const res = await app.inject({ ...request, headers })
    const error = contractError(t, res, 503, 'Unavailable', target)
    t.match(res.headers['retry-after'], /^\d+$/, 'Retry-After in seconds')
    t.notMatch(res.body, /ECONNREFUSED|127\.0\.0\.1|postgres|SELECT|INSERT|COPY|\bat \w|\.ts:|node_modules|stack/i, 'no driver, SQL or stack text')
    t.notOk('details' in error)
  }

  const health = await app.inject({ method: 'GET', url: '/healthz' })
  t.equal(health.statusCode, 200)
  t.same(health.json(), { status: 'ok' })
})

t.test('X-Request-Id: a sane incoming id is echoed, an insane one is replaced', async (t) => {
  const { app } = await buildTestApp(t)
  const sane = await app.inject({ method: 'GET', url: '/nowhere', headers: { 'x-request-id': 'abc-123' } })
  t.equal(sane.headers['x-request-id'], 'abc-123')
  contractError(t, sane, 404, 'NotFound', '/nowhere')

  const ok = await app.inject({ method: 'GET', url: '/healthz', headers: { 'x-request-id': 'trace.42:x_y' } })
  t.equal(ok.headers['x-request-id'], 'trace.42:x_y', 'also on a 2xx')

  const insane = ['x'.repeat(129), 'abc 123', 'abc\n123', 'a"b', '', 'abc/../123', '<script>']
  for (const id of insane) {
    const res = await app.inject({ method: 'GET', url: '/nowhere', headers: { 'x-request-id': id } })
    const error = contractError(t, res, 404, 'NotFound', '/nowhere')
    t.not(error.requestId, id, `${JSON.stringify(id)} is replaced`)
    t.match(error.requestId, /^[\w.:-]{1,128}$/, 'by a generated id')
  }

  const generated = await app.inject({ method: 'GET', url: '/nowhere' })
  const other = await app.inject({ method: 'GET', url: '/nowhere' })
  t.not(generated.headers['x-request-id'], other.headers['x-request-id'], 'generated ids differ')
})

t.test('503 Unavailable with the error body for a request that arrives while the service is closing', async (t) => {
  const config = parseConfig({ AUTH_JWT_SECRET: TEST_SECRET, LOG_LEVEL: 'silent', DATA_DIR: await mkdtemp(path.join(tmpdir(), 'run-logs-closing-')) })
  const app = await buildApp(config, { databaseUrl: await createTestDatabase(t), maintenance: false })
  // Hold the closing phase open, as a slow preClose step of a real shutdown would, while still listening.
  let release = (): void => {}
  app.addHook('preClose', async () => { await new Promise<void>((resolve) => { release = resolve }) })
  await app.listen({ host: '127.0.0.1', port: 0 })
  const { port } = app.server.address() as AddressInfo
  const closed = app.close()
  await new Promise((resolve) => setTimeout(resolve, 50))
  const res = await fetch(`http://127.0.0.1:${port}/healthz`)
  release()
  await closed
  t.equal(res.status, 503)
  t.equal(res.headers.get('connection'), 'close')
  t.ok(Number(res.headers.get('retry-after')) > 0, 'Retry-After')
  const { error } = await res.json() as { error: Record<string, string> }
  t.same(Object.keys(error).sort(), ['code', 'message', 'requestId', 'target'])
  t.equal(error.code, 'Unavailable')
  t.equal(error.target, '/healthz')
  t.equal(error.requestId, res.headers.get('x-request-id'))
})

// Error messages say what is wrong with the request, not something near it.
import t from 'tap'
import { authHeaders, buildTestApp } from './helpers/app.js'
import { expectError } from './helpers/errors.js'

t.test('an array body on POST /v2/lm/exports says the body must be an object', async (t) => {
  const { app } = await buildTestApp(t)
  const res = await app.inject({ method: 'POST', url: '/v2/lm/exports', headers: await authHeaders(), payload: [{ filters: {} }] })
  const error = expectError(t, res, 400, 'InvalidRequest')
  t.notMatch(error.message, /given once/)
  t.match(error.message, /object/)
})

t.test('an over-long integer says how large it may be, not that it is no whole number', async (t) => {
  const { app } = await buildTestApp(t)
  const res = await app.inject({ method: 'GET', url: '/v2/lm/exports?$skip=99999999999999999999', headers: await authHeaders() })
  const error = expectError(t, res, 400, 'InvalidRequest')
  t.match(error.message, /at most 2147483647\.$/, 'says the largest value taken')
})

t.test('a bad X-Scope-OrgID is reported as X-Scope-OrgID', async (t) => {
  const { app } = await buildTestApp(t)
  const res = await app.inject({
    method: 'POST', url: '/loki/api/v1/push', headers: { ...await authHeaders(), 'x-scope-orgid': 'x', 'content-type': 'application/json' }, payload: { streams: [] }
  })
  const error = expectError(t, res, 400, 'InvalidRequest')
  t.match(error.message, /X-Scope-OrgID/)
  t.same(error.details, { header: 'X-Scope-OrgID' })
})

t.test('a msg of exactly LINE_MAX_BYTES plus the newline ingest strips is stored', async (t) => {
  const { app } = await buildTestApp(t, { env: { LINE_MAX_BYTES: '16' } })
  const record = (log: string) => ({ log, time: new Date().toISOString(), kubernetes: { labels: { 'ai.sap.com/executionId': 'e-msg' } } })
  const headers = { ...await authHeaders(), 'content-type': 'application/json' }
  const fits = await app.inject({ method: 'POST', url: '/v2/lm/logs', headers, payload: [record('x'.repeat(16) + '\n')] })
  t.equal(fits.statusCode, 200, fits.body)
  const over = await app.inject({ method: 'POST', url: '/v2/lm/logs', headers, payload: [record('x'.repeat(17) + '\n')] })
  expectError(t, over, 400, 'InvalidRequest')
})

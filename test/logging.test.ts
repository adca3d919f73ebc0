// Each request's log lines carry its request id, resource group and run id, as JSON.
import { Writable } from 'node:stream'
import pino from 'pino'
import t from 'tap'
import { buildApp } from '../src/app.js'
import { parseConfig } from '../src/config.js'
import { authHeaders, TEST_SECRET } from './helpers/app.js'
import { createTestDatabase } from './helpers/database.js'

t.test('request log lines name the request, the group and the run', async (t) => {
  const records: Array<Record<string, unknown>> = []
  const sink = new Writable({ write (chunk: Buffer, _enc, done) { records.push(JSON.parse(chunk.toString())); done() } })
  const config = parseConfig({ AUTH_JWT_SECRET: TEST_SECRET, LOG_LEVEL: 'info' })
  const app = await buildApp(config, { databaseUrl: await createTestDatabase(t), loggerInstance: pino({ level: 'info' }, sink), maintenance: false })
  t.teardown(async () => { await app.close() })
  const res = await app.inject({
    method: 'POST',
    url: '/v2/lm/deployments/d-logged/logs',
    headers: { ...await authHeaders({}, 'team-a'), 'x-request-id': 'req-123' },
    payload: [{ timestamp: new Date().toISOString(), msg: 'x' }]
  })
  t.equal(res.statusCode, 200)
  const ingested = records.find((r) => r.msg === 'ingested')
  t.match(ingested, { requestId: 'req-123', group: 'team-a', runKind: 'deployment', runId: 'd-logged', lines: 1 })
  const completed = records.find((r) => r.msg === 'request completed')
  t.match(completed, { requestId: 'req-123', group: 'team-a', runId: 'd-logged' })
  t.notOk(JSON.stringify(records).includes(TEST_SECRET), 'no secret is logged')
  t.notOk(JSON.stringify(records).toLowerCase().includes('bearer '), 'no token is logged')
})

t.test('probes add no request lines, and the operator\'s level holds on them', async (t) => {
  for (const level of ['info', 'error']) {
    const records: Array<Record<string, unknown>> = []
    const sink = new Writable({ write (chunk: Buffer, _enc, done) { records.push(JSON.parse(chunk.toString())); done() } })
    const config = parseConfig({ AUTH_JWT_SECRET: TEST_SECRET, LOG_LEVEL: level })
    // No database answers here: /readyz fails, which is worth a warning, not more than the level allows.
    const app = await buildApp(config, { databaseUrl: 'postgres://postgres@127.0.0.1:1/none', loggerInstance: pino({ level }, sink), maintenance: false })
    t.teardown(async () => { await app.close() })
    t.equal((await app.inject({ url: '/healthz' })).statusCode, 200)
    t.equal((await app.inject({ url: '/readyz' })).statusCode, 503)
    t.notOk(records.some((r) => r.msg === 'incoming request' || r.msg === 'request completed'), `${level}: no request lines for probes`)
    const warnings = records.filter((r) => r.level === 40)
    if (level === 'info') t.ok(warnings.length > 0, 'info: the failed readiness check is a warning')
    else t.same(warnings, [], 'error: nothing below error is written')
  }
})

// Audit events of exports: each creation and each download, served or refused (altered link 403, expired
// 410, unknown 404), is one log object {audit: {event, at, subject, via, requestId, ip, exportId, group, ...}},
// also when the operator has quieted the log to warnings (docs/exports.md).
import { Writable } from 'node:stream'
import pino from 'pino'
import t, { type Test } from 'tap'
import { formatInstant, fromMillis, type Instant } from '../src/time.js'
import { authHeaders, buildTestApp } from './helpers/app.js'
import { linkPath, requestExport, waitForStatus, writeLines } from './helpers/exports.js'

interface AuditRecord { event: string, at: string, subject: string | null, via: string, requestId: string, ip: string, exportId: string, group: string, [fact: string]: unknown }

/** An app whose log lines are kept; audit() gives the audit objects logged so far. */
async function auditedApp (t: Test, level: string) {
  const lines: Array<Record<string, unknown>> = []
  const sink = new Writable({ write (chunk: Buffer, _encoding, done) { lines.push(JSON.parse(chunk.toString())); done() } })
  let clock: Instant = fromMillis(Date.now())
  const built = await buildTestApp(t, { now: () => clock, loggerInstance: pino({ level }, sink), env: { EXPORT_POLL_INTERVAL_MS: '50', EXPORT_TTL_HOURS: '1' } })
  const audits = (): AuditRecord[] => lines.filter((l) => l.audit !== undefined).map((l) => ({ ...(l.audit as AuditRecord), msg: l.msg, level: l.level }))
  return { ...built, audits, clock: () => clock, advance: (ms: number) => { clock += fromMillis(ms) } }
}

t.test('an export\'s creation and its downloads, served and refused, are audit events with one shape', async (t) => {
  const { app, audits, clock, advance } = await auditedApp(t, 'info')
  const headers = await authHeaders({ subject: 'auditor-7' }, 'audited')
  await writeLines(app, headers, 'deployments', 'd-audit-1', [{ timestamp: new Date(Date.now() - 60_000).toISOString(), msg: 'hello' }])
  const created = await requestExport(app, headers, { deploymentIds: ['d-audit-1'] })
  const [creation] = audits()
  t.match(creation, {
    event: 'export.created',
    msg: 'export.created',
    at: formatInstant(clock()),
    subject: 'auditor-7',
    via: 'token',
    exportId: created.requestId,
    group: 'audited',
    runs: 1,
    filters: { deploymentIds: ['d-audit-1'], executionIds: null }
  })
  t.type(creation?.requestId, 'string')
  t.equal(creation?.ip, '127.0.0.1')

  const ready = await waitForStatus(app, headers, created.requestId, 'READY')
  const link = new URL(ready.downloadLink ?? '')
  const served = await app.inject({ method: 'GET', url: linkPath(link.toString()), headers: { 'user-agent': 'curl/8.5.0' } })
  t.equal(served.statusCode, 200)
  const altered = new URL(link)
  altered.searchParams.set('group', 'someone-else')
  t.equal((await app.inject({ method: 'GET', url: altered.pathname + altered.search })).statusCode, 403)
  advance(2 * 3600_000)
  t.equal((await app.inject({ method: 'GET', url: linkPath(link.toString()) })).statusCode, 410)

  const [, download, forged, expired] = audits()
  t.match(download, {
    event: 'export.downloaded',
    subject: null,
    via: 'signed-link',
    exportId: created.requestId,
    group: 'audited',
    bytes: Number(served.headers['content-length']),
    sha256: served.headers['x-archive-sha256'],
    userAgent: 'curl/8.5.0',
    requestId: served.headers['x-request-id']
  })
  t.match(forged, { event: 'export.download_refused', exportId: created.requestId, group: 'someone-else', status: 403, reason: /altered/ })
  t.match(expired, { event: 'export.download_refused', exportId: created.requestId, group: 'audited', status: 410, reason: /expired/ })
  t.equal(audits().length, 4, 'reads of the export object are not audit events')
  for (const event of audits()) t.same(Object.keys(event).slice(0, 8), ['event', 'at', 'subject', 'via', 'requestId', 'ip', 'userAgent', 'exportId'], `${event.event}: the common keys, in order`)
})

t.test('audit events are logged when LOG_LEVEL is warn', async (t) => {
  const { app, audits } = await auditedApp(t, 'warn')
  const headers = await authHeaders({}, 'quiet')
  await requestExport(app, headers, { start: '2024-01-01T00:00:00Z' })
  const unknown = await app.inject({ method: 'GET', url: '/v2/lm/exports/00000000-0000-4000-8000-000000000000/download?group=quiet&expires=1&signature=AAAA' })
  t.equal(unknown.statusCode, 403)
  t.match(audits(), [{ event: 'export.created', level: 30 }, { event: 'export.download_refused', status: 403, level: 30 }])
})

// Notifying user groups of finished exports: email through a real SMTP server in this process, Slack through
// a local webhook; the messages carry the link, and the link downloads the archive. Deliveries are retried,
// recorded per recipient on the export, survive a restart, go out once across replicas and never fail the export.
import { mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { SignJWT } from 'jose'
import t from 'tap'
import { authHeaders, buildTestApp, TEST_SECRET } from './helpers/app.js'
import { createTestDatabase } from './helpers/database.js'
import { expectError } from './helpers/errors.js'
import { linkPath, SEED_MUTATION, waitForStatus, writeLines } from './helpers/exports.js'
import { startSlackServer, startSmtpServer } from './helpers/mail.js'

const BASE = Date.now() - 30 * 60_000
const at = (ms: number): string => new Date(BASE + ms).toISOString()
const GROUP_ID = 'HhsqnZRlSCyqTxhVNCqzfA'

interface Notification { target: string, status: string, attempts: number, lastError: string | null }
interface ExportBody { requestId: string, status: string, downloadLink: string | null, notifications: Notification[] }

const smtp = await startSmtpServer()
const slack = await startSlackServer([500])
t.teardown(smtp.close)
t.teardown(slack.close)

const dir = await mkdtemp(path.join(tmpdir(), 'run-logs-groups-'))
const groupsFile = path.join(dir, 'user-groups.json')
await writeFile(groupsFile, JSON.stringify([
  { id: GROUP_ID, name: 'Release auditors', emails: ['audit-1@example.com', 'audit-2@example.com'], slackWebhookUrl: slack.url },
  { id: 'dead-slack', name: 'Unreachable channel', emails: [], slackWebhookUrl: 'http://127.0.0.1:9/hook' },
  { id: 'other-team', name: 'Only for team-x', emails: ['x@example.com'], resourceGroups: ['team-x'] }
]))
const env = {
  EXPORT_POLL_INTERVAL_MS: '50',
  USER_GROUPS_FILE: groupsFile,
  SMTP_URL: smtp.url,
  SMTP_FROM: 'Logs <logs@example.com>',
  NOTIFY_POLL_INTERVAL_MS: '100',
  NOTIFY_RETRY_SECONDS: '1',
  NOTIFY_MAX_ATTEMPTS: '2',
  PUBLIC_BASE_URL: 'https://logs.example.test'
}
const databaseUrl = await createTestDatabase(t)
const { app } = await buildTestApp(t, { databaseUrl, env })
const headers = await authHeaders({}, 'notified')

await writeLines(app, headers, 'deployments', 'd-notify-1', [{ timestamp: at(1000), msg: 'deployed' }])
await app.inject({ method: 'PATCH', url: '/v2/lm/deployments/d-notify-1', headers, payload: { labels: { application: 'ekftWF9jQRewZt7FhM7KTw' } } })

async function settled (requestId: string, on = app): Promise<ExportBody> {
  for (let i = 0; i < 400; i++) {
    const body = (await on.inject({ url: `/v2/lm/exports/${requestId}`, headers })).json<ExportBody>()
    if (body.status !== 'QUEUED' && body.notifications.every((n) => n.status !== 'PENDING')) return body
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  throw new Error(`export ${requestId} did not settle`)
}

t.test('the seed mutation notifies the user group: both emails and Slack carry the link, which downloads the archive', async (t) => {
  const res = await app.inject({
    method: 'POST',
    url: '/graphql',
    headers,
    payload: {
      query: SEED_MUTATION('ekftWF9jQRewZt7FhM7KTw', GROUP_ID)
    }
  })
  t.equal(res.statusCode, 200, res.body)
  const requestId = res.json<{ data: { exportExecutions: { requestId: string } } }>().data.exportExecutions.requestId
  const done = await settled(requestId)
  t.equal(done.status, 'READY')
  t.same(done.notifications, [
    { target: 'audit-1@example.com', status: 'SENT', attempts: 1, lastError: null },
    { target: 'audit-2@example.com', status: 'SENT', attempts: 1, lastError: null },
    { target: `slack:${GROUP_ID}`, status: 'SENT', attempts: 2, lastError: null }
  ], 'recorded per recipient; Slack answered 500 once and was retried')

  const mails = smtp.mails.filter((m) => m.subject.includes(requestId))
  t.same(mails.map((m) => m.to).sort(), [['audit-1@example.com'], ['audit-2@example.com']], 'one email per address')
  for (const mail of mails) {
    t.match(mail.raw, /^From: Logs <logs@example\.com>/m)
    t.match(mail.text, 'Export Execution Logs')
    t.match(mail.text, `Download: ${done.downloadLink ?? ''}`, 'the text part has the link')
    t.match(mail.html, `href="${(done.downloadLink ?? '').replaceAll('&', '&amp;')}"`, 'the HTML part links it')
    t.match(mail.text, /Link expires at: \d{4}-/)
  }
  const mailed = /Download: (\S+)/.exec(mails[0]?.text ?? '')?.[1] ?? ''
  const download = await app.inject({ url: linkPath(mailed) })
  t.equal(download.statusCode, 200, 'the emailed link downloads the archive without a token')
  t.equal(download.headers['content-type'], 'application/gzip')

  const message = slack.messages.find((m) => m.text.includes(requestId))
  t.ok(message !== undefined, 'a Slack message')
  t.match(message?.text, `<${done.downloadLink ?? ''}|Download the logs>`)

  const status = await app.inject({ url: `/api/export-executions/status/${requestId}`, headers })
  t.same(status.json<{ resource: { notifications: Notification[] } }>().resource.notifications, done.notifications, 'Harness\'s status shows them too')
})

t.test('a delivery that keeps failing is recorded FAILED and never fails the export', async (t) => {
  const res = await app.inject({ method: 'POST', url: '/v2/lm/exports', headers, payload: { filters: { deploymentIds: ['d-notify-1'] }, userGroupIds: ['dead-slack'] } })
  t.equal(res.statusCode, 202, res.body)
  const done = await settled(res.json<ExportBody>().requestId)
  t.equal(done.status, 'READY')
  t.equal(done.notifications.length, 1)
  t.match(done.notifications[0], { target: 'slack:dead-slack', status: 'FAILED', attempts: 2 })
  t.match(done.notifications[0]?.lastError, /fetch failed|ECONNREFUSED/)
  t.notMatch(done.notifications[0]?.lastError, /127\.0\.0\.1:9\/hook/, 'the webhook URL is not shown')
})

t.test('notifyOnlyTriggeringUser emails the token\'s email claim alone', async (t) => {
  const withEmail = await new SignJWT({ scope: 'logs.export', resource_groups: ['*'], email: 'requester@example.com' })
    .setProtectedHeader({ alg: 'HS256' }).setSubject('requester').setExpirationTime('1h').sign(new TextEncoder().encode(TEST_SECRET))
  const h = { authorization: `Bearer ${withEmail}`, 'ai-resource-group': 'notified' }
  const res = await app.inject({ method: 'POST', url: '/graphql', headers: h, payload: { query: `mutation { exportExecutions(input: {filters: [{execution: {operator: IN, values: ["d-notify-1"]}}], notifyOnlyTriggeringUser: true, userGroupIds: ["${GROUP_ID}"]}) { requestId } }` } })
  const requestId = res.json<{ data: { exportExecutions: { requestId: string } } }>().data.exportExecutions.requestId
  const done = await settled(requestId)
  t.same(done.notifications.map((n) => [n.target, n.status]), [['requester@example.com', 'SENT']])
  t.same(smtp.mails.filter((m) => m.subject.includes(requestId)).map((m) => m.to), [['requester@example.com']])
  const without = await app.inject({ method: 'POST', url: '/v2/lm/exports', headers, payload: { filters: { deploymentIds: ['d-notify-1'] }, notifyOnlyTriggeringUser: true } })
  expectError(t, without, 400, 'InvalidRequest')
})

t.test('user groups come from the operator only: unknown or other groups\' ids are refused, nothing is created', async (t) => {
  const before = (await app.inject({ url: '/v2/lm/exports', headers })).json<{ count: number }>().count
  expectError(t, await app.inject({ method: 'POST', url: '/v2/lm/exports', headers, payload: { filters: { deploymentIds: ['d-notify-1'] }, userGroupIds: ['nope'] } }), 400, 'InvalidRequest')
  expectError(t, await app.inject({ method: 'POST', url: '/v2/lm/exports', headers, payload: { filters: { deploymentIds: ['d-notify-1'] }, userGroupIds: ['other-team'] } }), 400, 'InvalidRequest')
  const gql = await app.inject({ method: 'POST', url: '/graphql', headers, payload: { query: 'mutation { exportExecutions(input: {userGroupIds: "nope"}) { requestId } }' } })
  t.equal(gql.json<{ errors: Array<{ extensions: { code: string } }> }>().errors[0]?.extensions.code, 'InvalidRequest')
  t.equal((await app.inject({ url: '/v2/lm/exports', headers })).json<{ count: number }>().count, before)
  const listed = await app.inject({ url: '/v2/lm/user-groups', headers })
  t.same(listed.json(), { resources: [{ id: GROUP_ID, name: 'Release auditors', emailCount: 2, slack: true }, { id: 'dead-slack', name: 'Unreachable channel', emailCount: 0, slack: true }] },
    'the groups of this resource group, without addresses or URLs')
})

t.test('pending deliveries survive a restart and go out once across replicas', async (t) => {
  // A database of its own, so no other process delivers while the first one cannot.
  const db = await createTestDatabase(t)
  // The first process cannot reach the mail server: the attempt fails and stays pending.
  const down = await buildTestApp(t, { databaseUrl: db, env: { ...env, SMTP_URL: 'smtp://127.0.0.1:9', NOTIFY_MAX_ATTEMPTS: '5' } })
  await writeLines(down.app, headers, 'deployments', 'd-restart', [{ timestamp: at(1000), msg: 'deployed' }])
  const res = await down.app.inject({ method: 'POST', url: '/v2/lm/exports', headers, payload: { filters: { deploymentIds: ['d-restart'] }, userGroupIds: [GROUP_ID] } })
  const requestId = res.json<ExportBody>().requestId
  await waitForStatus(down.app, headers, requestId, 'READY')
  let failedOnce = false
  for (let i = 0; i < 200 && !failedOnce; i++) {
    const body = (await down.app.inject({ url: `/v2/lm/exports/${requestId}`, headers })).json<ExportBody>()
    failedOnce = body.notifications.some((n) => n.target.includes('@') && n.lastError !== null && n.status === 'PENDING')
    if (!failedOnce) await new Promise((resolve) => setTimeout(resolve, 50))
  }
  t.ok(failedOnce, 'the first attempt failed and is pending')
  await down.app.close()
  // Three replicas now poll the same table.
  const replicas = await Promise.all([1, 2, 3].map(async () => (await buildTestApp(t, { databaseUrl: db, env })).app))
  const done = await settled(requestId, replicas[1])
  t.same(done.notifications.map((n) => [n.target, n.status]), [['audit-1@example.com', 'SENT'], ['audit-2@example.com', 'SENT'], [`slack:${GROUP_ID}`, 'SENT']])
  t.ok((done.notifications[0]?.attempts ?? 0) >= 2, 'the first attempt failed, a later one was sent')
  await new Promise((resolve) => setTimeout(resolve, 500))
  t.equal(smtp.mails.filter((m) => m.subject.includes(requestId)).length, 2, 'one email per address, whatever the replicas')
  t.equal(slack.messages.filter((m) => m.text.includes(requestId)).length, 1, 'one Slack message')
})

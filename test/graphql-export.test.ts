// POST /graphql: Harness's exportExecutions mutation exactly as Harness documents it, its status query,
// Harness's REST status and download paths, its filters, and errors with the contract's code and requestId.
import { mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import t, { type Test } from 'tap'
import { authHeaders, buildTestApp } from './helpers/app.js'
import { expectError } from './helpers/errors.js'
import { linkPath, SEED_MUTATION as SEED, writeLines } from './helpers/exports.js'

const BASE = Date.now() - 30 * 60_000
const at = (ms: number): string => new Date(BASE + ms).toISOString()

// The seed's user group, configured by the operator (with no recipient: test/export-notifications.test.ts sends).
const groupsFile = path.join(await mkdtemp(path.join(tmpdir(), 'run-logs-groups-')), 'groups.json')
await writeFile(groupsFile, JSON.stringify([{ id: 'HhsqnZRlSCyqTxhVNCqzfA', name: 'Auditors', emails: [] }]))
const { app, databaseUrl } = await buildTestApp(t, { env: { EXPORT_POLL_INTERVAL_MS: '50', PUBLIC_BASE_URL: 'https://logs.example.test', USER_GROUPS_FILE: groupsFile } })
const headers = await authHeaders({}, 'harness-team')

interface Payload { clientMutationId: string | null, requestId: string, status: string, totalExecutions: number, triggeredAt: number, downloadLink: string | null, expiresAt: number | null, errorMessage: string | null }
interface GraphqlError { message: string, extensions: { code: string, requestId: string, details?: Record<string, unknown> } }
interface Answer { data: Record<string, Payload | null> | null, errors?: GraphqlError[] }

async function graphql (query: string, h: Record<string, string> = headers, variables?: Record<string, unknown>, on = app) {
  const res = await on.inject({ method: 'POST', url: '/graphql', headers: h, payload: { query, ...(variables === undefined ? {} : { variables }) } })
  return { res, body: res.json<Answer>() }
}

function expectGraphqlError (t: Test, res: Awaited<ReturnType<typeof graphql>>, code: string, mentions?: RegExp): GraphqlError {
  const error = res.body.errors?.[0]
  t.ok(error !== undefined, `an error: ${res.res.body}`)
  t.equal(error?.extensions.code, code)
  t.equal(error?.extensions.requestId, res.res.headers['x-request-id'], 'extensions.requestId is X-Request-Id')
  if (mentions !== undefined) t.match(error?.message, mentions)
  return error as GraphqlError
}

async function label (kind: string, id: string, labels: Record<string, string>): Promise<void> {
  const res = await app.inject({ method: 'PATCH', url: `/v2/lm/${kind}/${id}`, headers, payload: { labels } })
  if (res.statusCode !== 200) throw new Error(res.body)
}

await writeLines(app, headers, 'deployments', 'd-harness-1', [{ timestamp: at(1000), msg: 'deploy step 1' }, { timestamp: at(2000), msg: 'deploy step 2' }])
await writeLines(app, headers, 'executions', 'e-harness-2', [{ timestamp: at(3000), msg: 'workflow ran' }])
await writeLines(app, headers, 'deployments', 'd-other-app', [{ timestamp: at(4000), msg: 'another application' }])
await label('deployments', 'd-harness-1', { application: 'ekftWF9jQRewZt7FhM7KTw', service: 'svc-a', environment: 'prod', status: 'SUCCESS' })
await label('executions', 'e-harness-2', { application: 'ekftWF9jQRewZt7FhM7KTw', service: 'svc-b', environment: 'qa', status: 'FAILED' })
await label('deployments', 'd-other-app', { application: 'other' })

t.test('the seed mutation runs verbatim; status query, REST status and REST download follow it to the archive', async (t) => {
  const { res, body } = await graphql(SEED('ekftWF9jQRewZt7FhM7KTw', 'HhsqnZRlSCyqTxhVNCqzfA'))
  t.equal(res.statusCode, 200, res.body)
  t.equal(body.errors, undefined)
  const created = body.data?.exportExecutions as Payload
  t.equal(created.clientMutationId, 'gqahal-test')
  t.equal(created.status, 'QUEUED')
  t.equal(created.totalExecutions, 2, 'the two runs of that application')
  t.type(created.triggeredAt, 'number', 'epoch milliseconds')
  t.ok(Math.abs(created.triggeredAt - Date.now()) < 60_000)
  t.equal(created.downloadLink, null)

  let status: Payload | null = null
  for (let i = 0; i < 400; i++) {
    const polled = await graphql(`query { exportExecutionsStatus(requestId: "${created.requestId}") { requestId status totalExecutions downloadLink expiresAt errorMessage } }`)
    status = polled.body.data?.exportExecutionsStatus ?? null
    if (status?.status === 'READY') break
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
  t.equal(status?.status, 'READY')
  t.ok(status?.downloadLink?.startsWith(`https://logs.example.test/v2/lm/exports/${created.requestId}/download?`))
  t.ok((status?.expiresAt ?? 0) > Date.now() + 71 * 3600_000, 'expires in 72 h, in epoch ms')

  const rest = await app.inject({ url: `/api/export-executions/status/${created.requestId}?accountId=acc-1`, headers })
  t.equal(rest.statusCode, 200, rest.body)
  const resource = rest.json<{ resource: Payload & { statusLink: string }, responseMessages: unknown[] }>().resource
  t.equal(resource.status, 'READY')
  t.equal(resource.downloadLink, status?.downloadLink)
  t.equal(resource.statusLink, `https://logs.example.test/api/export-executions/status/${created.requestId}`)
  t.same(rest.json().responseMessages, [])

  const link = new URL(status?.downloadLink ?? '')
  const harnessPath = `/api/export-executions/download/${created.requestId}${link.search}`
  const download = await app.inject({ url: harnessPath })
  t.equal(download.statusCode, 200, 'Harness\'s download path takes the signed link, no token')
  t.equal(download.headers['content-type'], 'application/gzip')
  const same = await app.inject({ url: linkPath(status?.downloadLink ?? '') })
  t.equal(same.headers['x-archive-sha256'], download.headers['x-archive-sha256'])
  const altered = await app.inject({ url: harnessPath.replace('signature=', 'signature=x') })
  expectError(t, altered, 403, 'Forbidden')
  const list = await app.inject({ url: '/v2/lm/exports', headers })
  t.ok(list.json<{ resources: Array<{ requestId: string }> }>().resources.some((e) => e.requestId === created.requestId), 'the same export REST lists')
})

t.test('filters: labels with IN, NOT_IN, EQUALS; execution ids; run times', async (t) => {
  const count = async (filters: string): Promise<number | undefined> => {
    const { body, res } = await graphql(`mutation { exportExecutions(input: {filters: [${filters}]}) { totalExecutions } }`, await authHeaders({}, 'harness-filters'))
    if (body.errors !== undefined) throw new Error(res.body)
    return body.data?.exportExecutions?.totalExecutions
  }
  for (const [kind, id, offset, labels] of [['deployments', 'd-f-1', 1000, { service: 'a', tag: 'x' }], ['executions', 'e-f-2', 5000, { service: 'b' }]] as const) {
    const h = await authHeaders({}, 'harness-filters')
    const res = await app.inject({ method: 'POST', url: `/v2/lm/${kind}/${id}/logs`, headers: h, payload: [{ timestamp: at(offset), msg: 'x' }] })
    t.equal(res.statusCode, 200)
    await app.inject({ method: 'PATCH', url: `/v2/lm/${kind}/${id}`, headers: h, payload: { labels } })
  }
  t.equal(await count('{service: {operator: EQUALS, values: ["a"]}}'), 1)
  t.equal(await count('{service: {operator: NOT_IN, values: ["a"]}}'), 1)
  t.equal(await count('{tag: {operator: NOT_IN, values: ["x"]}}'), 1, 'NOT_IN holds for a run without the label')
  t.equal(await count('{execution: {operator: IN, values: ["e-f-2", "nope"]}}'), 1)
  t.equal(await count(`{startTime: {operator: AFTER, value: ${BASE + 3000}}}`), 1)
  t.equal(await count(`{startTime: {operator: EQUALS, value: ${BASE + 1000}}}`), 1)
  t.equal(await count(`{endTime: {operator: BEFORE, value: "${BASE + 3000}"}}`), 1, 'a numeric string is epoch ms too')
  t.equal(await count(`{creationTime: {operator: AFTER, value: ${Date.now() + 3600_000}}}`), 0)
  t.equal(await count('{service: {operator: IN, values: ["a", "b"]}}, {execution: {operator: NOT_IN, values: ["d-f-1"]}}'), 1, 'every filter must hold')
})

t.test('unsupported fields, operators and shapes are GraphQL errors naming them', async (t) => {
  const field = await graphql('mutation { exportExecutions(input: {filters: [{cloudProvider: {operator: IN, values: ["x"]}}]}) { requestId } }')
  t.equal(field.res.statusCode, 200, 'GraphQL over HTTP: a GraphQL request error answers 200')
  t.equal(field.body.data, null)
  expectGraphqlError(t, field, 'InvalidRequest', /cloudProvider/)
  const operator = await graphql('mutation { exportExecutions(input: {filters: [{application: {operator: LIKE, values: ["x"]}}]}) { requestId } }')
  expectGraphqlError(t, operator, 'InvalidRequest', /LIKE/)
  const timeOperator = await graphql('mutation { exportExecutions(input: {filters: [{startTime: {operator: IN, value: 1}}]}) { requestId } }')
  expectGraphqlError(t, timeOperator, 'InvalidRequest', /IN/)
  const two = await graphql('mutation { exportExecutions(input: {filters: [{application: {operator: IN, values: ["x"]}, service: {operator: IN, values: ["y"]}}]}) { requestId } }')
  t.equal(two.res.statusCode, 200, 'an execution error: data with a null field')
  t.equal(two.body.data?.exportExecutions, null)
  expectGraphqlError(t, two, 'InvalidRequest', /exactly one field.*application, service/)
  const badTime = await graphql('mutation { exportExecutions(input: {filters: [{startTime: {operator: AFTER, value: "yesterday"}}]}) { requestId } }')
  expectGraphqlError(t, badTime, 'InvalidRequest', /epoch milliseconds/)
  const syntax = await graphql('mutation { exportExecutions(')
  expectGraphqlError(t, syntax, 'InvalidRequest', /Syntax Error/)
  const unknown = await graphql('query { exportExecutionsStatus(requestId: "00000000-0000-4000-8000-000000000000") { status } }')
  expectGraphqlError(t, unknown, 'NotFound')
  expectGraphqlError(t, await graphql('query { exportExecutionsStatus(requestId: "nope") { status } }'), 'InvalidRequest')
})

t.test('the token, scope and group are checked as on REST, with REST\'s status and error body', async (t) => {
  const none = await graphql(SEED('x', 'y'), {})
  expectError(t, none.res, 401, 'Unauthorized')
  t.match(none.res.headers['www-authenticate'], /^Bearer/)
  const scope = await graphql(SEED('x', 'y'), await authHeaders({ scope: 'logs.read' }, 'harness-team'))
  t.match(expectError(t, scope.res, 403, 'Forbidden').message, /logs\.export/)
  const group = await graphql(SEED('x', 'y'), await authHeaders({ groups: ['elsewhere'] }, 'harness-team'))
  expectError(t, group.res, 403, 'Forbidden')
  const body = await app.inject({ method: 'POST', url: '/graphql', headers, payload: { nothing: 1 } })
  expectError(t, body, 400, 'InvalidRequest')
  const elsewhere = await app.inject({ url: '/api/export-executions/status/00000000-0000-4000-8000-000000000000', headers })
  expectError(t, elsewhere, 404, 'NotFound')
})

t.test('the export limits of REST apply: runs per export and exports per day', async (t) => {
  const limited = (await buildTestApp(t, { databaseUrl, env: { EXPORT_WORKERS: '0', EXPORT_DAILY_LIMIT: '6', EXPORT_MAX_RUNS: '3' } })).app
  const h = await authHeaders({}, 'harness-limits')
  for (const id of ['d-l-1', 'd-l-2', 'd-l-3', 'd-l-4']) {
    await writeLines(app, h, 'deployments', id, [{ timestamp: at(1000), msg: 'x' }])
  }
  const tooMany = await graphql('mutation { exportExecutions(input: {clientMutationId: "m"}) { requestId } }', h, undefined, limited)
  t.same(expectGraphqlError(t, tooMany, 'InvalidRequest', /more than 3 runs/).extensions.details, { limit: 3 })
  const one = 'mutation { exportExecutions(input: {filters: [{execution: {operator: IN, values: ["d-l-1"]}}]}) { requestId } }'
  for (let i = 0; i < 6; i++) t.equal((await graphql(one, h, undefined, limited)).body.errors, undefined)
  const over = await graphql(one, h, undefined, limited)
  expectGraphqlError(t, over, 'TooManyRequests', /6 exports of today/)
  const rest = await limited.inject({ method: 'POST', url: '/v2/lm/exports', headers: h, payload: { filters: { deploymentIds: ['d-l-1'] } } })
  expectError(t, rest, 429, 'TooManyRequests')
})

t.test('the schema is served by introspection', async (t) => {
  const { body } = await graphql('{ __type(name: "ExecutionFilter") { inputFields { name } } }')
  const names = ((body.data?.__type as unknown as { inputFields: Array<{ name: string }> }).inputFields).map((f) => f.name)
  t.same(names.sort(), ['application', 'creationTime', 'endTime', 'environment', 'execution', 'pipeline', 'service', 'startTime', 'status', 'tag', 'triggeredBy', 'workflow'])
})

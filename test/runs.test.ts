// GET /v2/lm/runs: a group's runs, most recently active first, with filters and cursor paging; the
// contract's error body on bad parameters, tokens and cursors.
import t from 'tap'
import { authHeaders, buildTestApp } from './helpers/app.js'
import { otherEncodings, signatureWithUrlAlphabet } from './helpers/encodings.js'
import { expectError } from './helpers/errors.js'

const at = (iso: string): bigint => BigInt(Date.parse(iso)) * 1_000_000n
const NOW = at('2025-03-10T12:00:00.000Z')
const minutesAgo = (m: number, extraNs = 0): string => {
  const ns = NOW - BigInt(m) * 60_000_000_000n + BigInt(extraNs)
  return `${new Date(Number(ns / 1_000_000n)).toISOString().slice(0, 19)}.${String(ns % 1_000_000_000n).padStart(9, '0')}Z`
}

interface Run { kind: string, id: string, firstTimestamp: string, lastTimestamp: string, lineCount: number }
interface Page { resources: Run[], nextCursor?: string }

const { app } = await buildTestApp(t, { now: () => NOW })
const teamA = await authHeaders({}, 'team-a')
const teamB = await authHeaders({}, 'team-b')

async function write (headers: Record<string, string>, kind: string, id: string, minutes: number[], extraNs = 0): Promise<void> {
  const payload = minutes.map((m, i) => ({ timestamp: minutesAgo(m, extraNs), msg: `line ${i}` }))
  const res = await app.inject({ method: 'POST', url: `/v2/lm/${kind}/${id}/logs`, headers, payload })
  if (res.statusCode !== 200) throw new Error(res.body)
}

async function list (query: string, headers = teamA): Promise<Page> {
  const res = await app.inject({ url: `/v2/lm/runs${query === '' ? '' : '?' + query}`, headers })
  if (res.statusCode !== 200) throw new Error(`${res.statusCode} ${res.body}`)
  return res.json<Page>()
}

const ids = (page: Page): string[] => page.resources.map((r) => `${r.kind}/${r.id}`)

async function listAll (query: string, top: number, between?: () => Promise<void>): Promise<string[]> {
  const seen: string[] = []
  let page = await list(`${query}&$top=${top}`)
  seen.push(...ids(page))
  if (between !== undefined) await between()
  while (page.nextCursor !== undefined) {
    page = await list(`cursor=${page.nextCursor}&$top=${top}`)
    seen.push(...ids(page))
  }
  return seen
}

// team-a: deployments active 50..10 minutes ago, executions older, one with ns-close ends; team-b: one run.
await write(teamA, 'deployments', 'd-alpha-1', [50, 40, 10])
await write(teamA, 'deployments', 'd-alpha-2', [45, 20])
await write(teamA, 'deployments', 'd-beta-1', [30])
await write(teamA, 'executions', 'e-old-1', [300, 200])
await write(teamA, 'executions', 'xx_1', [120])
await write(teamA, 'executions', 'xxa1', [120], 1)
await write(teamB, 'deployments', 'd-alpha-1', [5])

t.test('lists the group\'s runs newest first (by first line), with their span and line count', async (t) => {
  const page = await list('')
  t.same(ids(page), ['deployment/d-beta-1', 'deployment/d-alpha-2', 'deployment/d-alpha-1', 'execution/xxa1', 'execution/xx_1', 'execution/e-old-1'])
  t.same(page.resources[2], { kind: 'deployment', id: 'd-alpha-1', firstTimestamp: '2025-03-10T11:10:00.000+00:00', lastTimestamp: '2025-03-10T11:50:00.000+00:00', lineCount: 3, labels: {} })
  t.equal(page.resources[3]?.lastTimestamp, '2025-03-10T10:00:00.000000001+00:00', 'nanoseconds kept')
  t.equal(page.nextCursor, undefined, 'no cursor when nothing remains')
})

t.test('filters: kind, id prefix (no wildcards), time window, combined', async (t) => {
  t.same(ids(await list('kind=execution')), ['execution/xxa1', 'execution/xx_1', 'execution/e-old-1'])
  t.same(ids(await list('idPrefix=d-alpha')), ['deployment/d-alpha-2', 'deployment/d-alpha-1'])
  t.same(ids(await list('idPrefix=xx_')), ['execution/xx_1'], '_ is a plain character')
  t.same(ids(await list('idPrefix=d-alpha-1')), ['deployment/d-alpha-1'])
  t.same(ids(await list('idPrefix=zzz')), [])
  // Runs whose span meets [start, end): d-alpha-2 spans 45..20 minutes ago, d-beta-1 is at 30.
  t.same(ids(await list(`start=${minutesAgo(35)}&end=${minutesAgo(25)}`)), ['deployment/d-beta-1', 'deployment/d-alpha-2', 'deployment/d-alpha-1'])
  t.same(ids(await list(`start=${minutesAgo(15)}`)), ['deployment/d-alpha-1'])
  t.same(ids(await list(`end=${minutesAgo(120)}`)), ['execution/e-old-1'], 'end is exclusive: runs starting at end are out')
  t.same(ids(await list(`end=${minutesAgo(120, 1)}`)), ['execution/xx_1', 'execution/e-old-1'])
  t.same(ids(await list(`kind=deployment&idPrefix=d-&start=${minutesAgo(25)}`)), ['deployment/d-alpha-2', 'deployment/d-alpha-1'], 'd-beta-1 ended before start')
})

t.test('cursor paging: every run once, filters kept by the cursor', async (t) => {
  const all = ids(await list(''))
  for (const top of [1, 2, 4, 5]) t.same(await listAll('', top), all, `$top=${top}`)
  t.same(await listAll('kind=deployment', 1), ['deployment/d-beta-1', 'deployment/d-alpha-2', 'deployment/d-alpha-1'])
  const first = await list('kind=deployment&$top=1')
  t.same(ids(await list(`cursor=${first.nextCursor}&kind=deployment`)), ['deployment/d-alpha-2', 'deployment/d-alpha-1'], 'the same filter may be repeated')
})

t.test('paging is stable across writes: no run repeated or skipped, new runs start the next first page', async (t) => {
  const group = await authHeaders({}, 'team-paging')
  for (let i = 0; i < 12; i++) await write(group, 'executions', `run-${String(i).padStart(2, '0')}`, [100 - i])
  const before = ids(await list('$top=100', group))
  const seen: string[] = []
  let page = await list('$top=3', group)
  seen.push(...ids(page))
  // Meanwhile: a new run, lines for a run already listed, and lines for one not yet reached.
  await write(group, 'executions', 'run-new', [1])
  await write(group, 'executions', 'run-11', [2])
  await write(group, 'executions', 'run-03', [90], 7)
  while (page.nextCursor !== undefined) {
    page = await list(`cursor=${page.nextCursor}&$top=3`, group)
    seen.push(...ids(page))
  }
  t.equal(new Set(seen).size, seen.length, 'no run twice')
  t.notOk(seen.includes('execution/run-new'), 'a run that became active since the first page is on a fresh first page, not later')
  t.same(seen, before, 'lines added to runs passed and not yet reached change nothing')
  t.same(ids(await list('$top=3', group)).slice(0, 2), ['execution/run-new', 'execution/run-11'])
})

t.test('a group sees only its own runs', async (t) => {
  t.same(ids(await list('', teamB)), ['deployment/d-alpha-1'])
  t.equal((await list('', teamB)).resources[0]?.lineCount, 1)
  t.same(ids(await list('', await authHeaders({}, 'team-empty'))), [])
  const cursor = (await list('$top=1')).nextCursor as string
  const res = await app.inject({ url: `/v2/lm/runs?cursor=${cursor}`, headers: teamB })
  t.match(expectError(t, res, 400, 'InvalidRequest').details, { parameter: 'cursor' }, 'another group\'s cursor is refused')
})

t.test('bad parameters are a 400 naming them', async (t) => {
  const cases: Array<[string, string]> = [['kind=pod', 'kind'], ['$top=0', '$top'], ['$top=1001', '$top'], ['$top=ten', '$top'],
    ['idPrefix=a%20b', 'idPrefix'], [`idPrefix=${'a'.repeat(65)}`, 'idPrefix'], ['start=yesterday', 'start'], ['end=2025-03-10', 'end'],
    ['cursor=abc.def', 'cursor'], ['kind=deployment&kind=execution', 'kind']]
  for (const [query, parameter] of cases) {
    const error = expectError(t, await app.inject({ url: `/v2/lm/runs?${query}`, headers: teamA }), 400, 'InvalidRequest', query.slice(0, 40))
    t.equal(error.details?.parameter, parameter)
  }
  const unknown = expectError(t, await app.inject({ url: '/v2/lm/runs?sort=id', headers: teamA }), 400, 'InvalidRequest')
  t.same(unknown.details, { parameters: ['sort'] })
  const reversed = expectError(t, await app.inject({ url: `/v2/lm/runs?start=${minutesAgo(1)}&end=${minutesAgo(2)}`, headers: teamA }), 400, 'InvalidRequest')
  t.same(reversed.details, { parameters: ['start', 'end'] })
})

t.test('cursors: altered, from a read, or with filters that disagree are refused', async (t) => {
  const cursor = (await list('kind=deployment&$top=1')).nextCursor as string
  const [payload, signature] = cursor.split('.') as [string, string]
  const altered = Buffer.from(Buffer.from(payload, 'base64url').toString().replace('deployment', 'execution')).toString('base64url')
  const forged = expectError(t, await app.inject({ url: `/v2/lm/runs?cursor=${altered}.${signature}`, headers: teamA }), 400, 'InvalidRequest')
  t.equal(forged.details?.parameter, 'cursor')
  const read = await app.inject({ url: '/v2/lm/deployments/d-alpha-1/logs?$top=1&start=2025-03-10T11:00:00Z', headers: teamA })
  const readCursor = read.json<{ data: { nextCursor: string } }>().data.nextCursor
  t.ok(readCursor, 'a read cursor to try')
  expectError(t, await app.inject({ url: `/v2/lm/runs?cursor=${readCursor}`, headers: teamA }), 400, 'InvalidRequest', 'a read cursor is not a listing cursor')
  const readRes = await app.inject({ url: `/v2/lm/deployments/d-alpha-1/logs?cursor=${cursor}`, headers: teamA })
  expectError(t, readRes, 400, 'InvalidRequest', 'nor the other way round')
  const disagree = expectError(t, await app.inject({ url: `/v2/lm/runs?cursor=${cursor}&kind=execution&idPrefix=d`, headers: teamA }), 400, 'InvalidRequest')
  t.same(disagree.details, { parameters: ['kind', 'idPrefix'] })
})

t.test('a listing cursor has one form: other encodings of its signature are a 400', async (t) => {
  let ns = 0
  // The cursor signs its filters: another end each try gives another signature, until one has a - or _.
  const cursor = await signatureWithUrlAlphabet(async () => (await list(`$top=1&end=${minutesAgo(0, --ns)}`)).nextCursor as string,
    (c) => c.split('.')[1] as string)
  const [payload, signature] = cursor.split('.') as [string, string]
  t.equal((await app.inject({ url: `/v2/lm/runs?cursor=${cursor}`, headers: teamA })).statusCode, 200, 'the cursor as given works')
  for (const [what, sig] of Object.entries(otherEncodings(signature))) {
    expectError(t, await app.inject({ url: `/v2/lm/runs?cursor=${payload}.${sig}`, headers: teamA }), 400, 'InvalidRequest', `${what}: 400`)
  }
})

t.test('tokens: none or bad is a 401, without logs.read or the group a 403', async (t) => {
  const none = await app.inject({ url: '/v2/lm/runs' })
  expectError(t, none, 401, 'Unauthorized')
  t.match(none.headers['www-authenticate'], /^Bearer/)
  expectError(t, await app.inject({ url: '/v2/lm/runs', headers: { authorization: 'Bearer not-a-token' } }), 401, 'Unauthorized')
  const writeOnly = await authHeaders({ scope: 'logs.write logs.export' }, 'team-a')
  t.same(expectError(t, await app.inject({ url: '/v2/lm/runs', headers: writeOnly }), 403, 'Forbidden').details, { scope: 'logs.read' })
  const otherGroup = await authHeaders({ groups: ['team-b'] }, 'team-a')
  t.same(expectError(t, await app.inject({ url: '/v2/lm/runs', headers: otherGroup }), 403, 'Forbidden').details, { resourceGroup: 'team-a' })
})

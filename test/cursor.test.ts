// Cursors (contract, "Reading further"): paging never skips or repeats a line, even across thousands of
// equal timestamps, in both orders; a cursor is opaque and tamper-evident, and carries its range and filters.
import type { LightMyRequestResponse } from 'fastify'
import t from 'tap'
import { authHeaders, buildTestApp } from './helpers/app.js'
import { otherEncodings, signatureWithUrlAlphabet } from './helpers/encodings.js'
import { expectError } from './helpers/errors.js'

const at = (iso: string): bigint => BigInt(Date.parse(iso)) * 1_000_000n
const NOW = at('2025-03-10T12:00:00.000Z')
const rfc3339 = (ns: bigint): string =>
  `${new Date(Number(ns / 1_000_000n)).toISOString().slice(0, 19)}.${String(ns % 1_000_000_000n).padStart(9, '0')}Z`

interface Page { data: { result: Array<{ msg: string, timestamp: string }>, nextCursor?: string } }

// Five interleaved batches make five blocks that overlap wholly: until blocks are merged in the background,
// every page opens all five, and 6,000 pages take longer than the default file timeout on a busy machine.
t.setTimeout(600_000)
// Paging 10,000 lines one at a time is 10,000 reads in seconds: past the default rate limit, and on a busy
// machine past the load shedding's event-loop delay, neither of which is tested here.
const { app } = await buildTestApp(t, { now: () => NOW, env: { RATE_LIMIT_READS_PER_MINUTE: '0', PRESSURE_MAX_EVENT_LOOP_DELAY_MS: '0' } })
const headers = await authHeaders()
const get = async (url: string, extra: Record<string, string> = {}): Promise<LightMyRequestResponse> =>
  await app.inject({ method: 'GET', url, headers: { ...headers, ...extra } })

// 10,000 lines: 3,000 share one timestamp (so page boundaries fall inside the tie at every page size); the rest lie before and after it, some sharing other times,
// written in five batches whose times interleave, so ingestion order and time order differ.
const RUN = '/v2/lm/executions/paging-1'
const TIE = NOW - 30n * 60_000_000_000n
const lines = Array.from({ length: 10_000 }, (_, i) => {
  const ns = i % 10 < 3 ? TIE : TIE + BigInt((i * 7919) % 20_000 - 10_000) * 1000n + BigInt(i % 3)
  return { timestamp: rfc3339(ns), msg: `line ${i}`, ns, i }
})
for (let b = 0; b < 5; b++) {
  const batch = lines.slice(b * 2000, (b + 1) * 2000).map(({ timestamp, msg }) => ({ timestamp, msg }))
  const res = await app.inject({ method: 'POST', url: `${RUN}/logs`, headers, payload: batch })
  if (res.statusCode !== 200) throw new Error(res.body)
}
const expectedAsc = [...lines].sort((a, b) => (a.ns < b.ns ? -1 : a.ns > b.ns ? 1 : a.i - b.i)).map((l) => l.msg)
const RANGE = `start=${rfc3339(TIE - 3_600_000_000_000n)}&end=${rfc3339(NOW)}`

async function pageThrough (first: string, top: number): Promise<string[]> {
  const msgs: string[] = []
  let res = await get(`${first}&$top=${top}`)
  for (;;) {
    if (res.statusCode !== 200) throw new Error(res.body)
    const body = res.json() as Page
    for (const item of body.data.result) msgs.push(item.msg)
    if (body.data.nextCursor === undefined) return msgs
    res = await get(`${RUN}/logs?$top=${top}&cursor=${body.data.nextCursor}`)
  }
}

t.test('one full read holds the 10,000 lines in time order, ties in ingestion order', async (t) => {
  const full = await get(`${RUN}/logs?${RANGE}&$top=10000`, { accept: 'application/x-ndjson' })
  t.equal(full.statusCode, 200)
  const msgs = full.body.trimEnd().split('\n').map((line) => (JSON.parse(line) as { msg: string }).msg)
  t.same(msgs, expectedAsc)
})

// The six pagings only read, so they run side by side: each page waits on the database and on zstd's
// threads as much as on this process, and 9,500 pages one after another were most of this file's time.
t.test('paging in both orders at page sizes 3, 7 and 5000', { jobs: 6 }, async (t) => {
  for (const order of ['asc', 'desc'] as const) {
    for (const top of [3, 7, 5000]) {
      t.test(`paging ${order} with $top=${top}: the pages concatenated are one full read`, { timeout: 300_000 }, async (t) => {
        const got = await pageThrough(`${RUN}/logs?${RANGE}&$order=${order}`, top)
        t.equal(got.length, 10_000)
        t.ok(got.join() === (order === 'asc' ? expectedAsc : [...expectedAsc].reverse()).join(), 'no line skipped, repeated or out of order')
      })
    }
  }
})

t.test('nextCursor is present only while lines remain: the last page has none', async (t) => {
  const run = '/v2/lm/deployments/paging-2'
  await app.inject({ method: 'POST', url: `${run}/logs`, headers, payload: [1, 2, 3, 4].map((i) => ({ timestamp: rfc3339(NOW - BigInt(i) * 1000n), msg: `m${i}` })) })
  const exact = (await get(`${run}/logs?$top=4`)).json() as Page
  t.same(Object.keys(exact.data), ['result'], 'all four lines on one page: no cursor')
  const first = (await get(`${run}/logs?$top=3`)).json() as Page
  t.type(first.data.nextCursor, 'string')
  t.same(Object.keys(first.data), ['result', 'nextCursor'])
  const second = (await get(`${run}/logs?cursor=${first.data.nextCursor}&$top=3`)).json() as Page
  t.same(second.data.result.map((r) => r.msg), ['m1'])
  t.equal(second.data.nextCursor, undefined)
})

t.test('the cursor keeps the range frozen: lines written after the first page with times before its end come, later ones do not', async (t) => {
  const run = '/v2/lm/deployments/paging-3'
  let clock = NOW
  const { app: app2 } = await buildTestApp(t, { now: () => clock })
  const post = async (ns: bigint, msg: string): Promise<void> => {
    const res = await app2.inject({ method: 'POST', url: `${run}/logs`, headers, payload: [{ timestamp: rfc3339(ns), msg }] })
    t.equal(res.statusCode, 200)
  }
  await post(NOW - 3000n, 'a')
  await post(NOW - 2000n, 'b')
  const first = (await app2.inject({ url: `${run}/logs?$top=1`, headers })).json() as Page
  clock = NOW + 60_000_000_000n
  await post(NOW + 1000n, 'after the frozen end')
  await post(NOW - 1000n, 'late but inside')
  const rest = (await app2.inject({ url: `${run}/logs?cursor=${first.data.nextCursor}`, headers })).json() as Page
  t.same(rest.data.result.map((r) => r.msg), ['b', 'late but inside'])
})

t.test('an altered or foreign cursor is a 400', async (t) => {
  const page = (await get(`${RUN}/logs?${RANGE}&$top=2`)).json() as Page
  const cursor = page.data.nextCursor as string
  const [payload, signature] = cursor.split('.') as [string, string]
  const decoded = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<string, unknown>
  const forged = Buffer.from(JSON.stringify({ ...decoded, s: '0' })).toString('base64url')
  const flipped = `${signature.slice(0, -2)}${signature.endsWith('AA') ? 'BB' : 'AA'}`
  for (const bad of [`${forged}.${signature}`, `${payload}.${flipped}`, 'not-a-cursor', `${payload}.`, payload, 'a'.repeat(5000)]) {
    const res = await get(`${RUN}/logs?cursor=${encodeURIComponent(bad)}`)
    expectError(t, res, 400, 'InvalidRequest', bad.slice(0, 40))
    t.equal(res.json().error.details.parameter, 'cursor')
  }
  const elsewhere = await get(`/v2/lm/deployments/paging-2/logs?cursor=${cursor}`)
  t.equal(elsewhere.statusCode, 400, 'a cursor of another run')
  t.match(elsewhere.json().error.message, 'another run')
  const { app: other } = await buildTestApp(t, { now: () => NOW, env: { CURSOR_SECRET: 'another-secret-of-at-least-32-characters' } })
  const res = await other.inject({ url: `${RUN}/logs?cursor=${cursor}`, headers })
  t.equal(res.statusCode, 400, 'a service with another CURSOR_SECRET refuses it')
})

t.test('a cursor has one form: other encodings of its signature are a 400', async (t) => {
  let top = 1
  const cursor = await signatureWithUrlAlphabet(async () => (await get(`${RUN}/logs?${RANGE}&$top=${top++}`)).json<Page>().data.nextCursor as string,
    (c) => c.split('.')[1] as string)
  const [payload, signature] = cursor.split('.') as [string, string]
  t.equal((await get(`${RUN}/logs?cursor=${cursor}`)).statusCode, 200, 'the cursor as given works')
  for (const [what, sig] of Object.entries(otherEncodings(signature))) {
    const res = await get(`${RUN}/logs?cursor=${payload}.${sig}`)
    expectError(t, res, 400, 'InvalidRequest', `${what}: 400`)
  }
})

t.test('parameters sent with a cursor must agree with it: disagreeing ones are a 400 naming them; $top may change', async (t) => {
  const page = (await get(`${RUN}/logs?${RANGE}&$top=2&$order=desc`)).json() as Page
  const cursor = page.data.nextCursor as string
  const same = await get(`${RUN}/logs?${RANGE}&$order=desc&cursor=${cursor}&$top=5`)
  t.equal(same.statusCode, 200, 'the same range and order may be repeated')
  t.equal((same.json() as Page).data.result.length, 5)
  const res = await get(`${RUN}/logs?cursor=${cursor}&$order=asc&start=${rfc3339(TIE)}&stream=stderr`)
  t.equal(res.statusCode, 400)
  t.same(res.json().error.details.parameters, ['start', '$order', 'stream'])
})

// Generated query strings and headers against the real service: never a 5xx, every refusal in the
// contract's error body, and no answer ever carries a line of a group the token may not read. Every route of
// the OpenAPI document is covered, so routes added later are fuzzed too. The seed is fixed in CI (FUZZ_SEED
// or CI) and random locally, printed either way; this file asserts its share (8,000) of the 10,000 cases a
// run makes with fuzz-ingest.test.ts.
import { randomUUID } from 'node:crypto'
import type { AddressInfo } from 'node:net'
import fc from 'fast-check'
import { SignJWT } from 'jose'
import t from 'tap'
import { authHeaders, buildTestApp, TEST_SECRET, token } from './helpers/app.js'
import { decodedBody, fuzzSeed, instantOf, mustKeepContract, rawRequest, spell, spellingArb } from './helpers/fuzz.js'

const { seed, source } = fuzzSeed()
t.comment(`fuzz seed ${seed} (${source}); rerun with FUZZ_SEED=${seed}`)
const QUERY_RUNS = 5000
const HEADER_RUNS = 2400
const SOCKET_RUNS = 800
let cases = 0

const NOW = instantOf('2024-06-15T12:00:00Z')
const { app } = await buildTestApp(t, { now: () => NOW })

// The same run ids hold lines in the token's group and in a group it may not read; the marker must never show.
const SECRET = 'SECRET-LINE-OF-ANOTHER-GROUP'
const RUNS = ['deployments/d-fuzz-0001', 'executions/e-fuzz-0001']
const admin = await authHeaders()
for (const run of RUNS) {
  for (const [group, msg] of [['default', 'visible line'], ['fuzz-a', 'visible line of fuzz-a'], ['secret-group', SECRET]]) {
    const lines = Array.from({ length: 3 }, (_, i) => ({ timestamp: '2024-06-15T11:30:00.5Z', msg: `${msg} ${i}`, pod: 'p', container: 'c', stream: 'stdout' }))
    const res = await app.inject({ method: 'POST', url: `/v2/lm/${run}/logs`, headers: { ...admin, 'ai-resource-group': group }, payload: lines })
    if (res.statusCode !== 200) throw new Error(res.body)
  }
}
const reader = await token({ groups: ['default', 'fuzz-a'] })
const firstPage = await app.inject({ method: 'GET', url: `/v2/lm/${RUNS[0] as string}/logs?$top=1`, headers: { authorization: `Bearer ${reader}` } })
const realCursor = firstPage.json().data.nextCursor as string

/** Asserts the contract and that no other group's line leaked into a 2xx. */
function check (res: { statusCode: number, headers: Record<string, unknown>, rawPayload?: Buffer, body: string }, path: string, request: string): void {
  cases++
  mustKeepContract({ statusCode: res.statusCode, headers: res.headers as Record<string, string>, body: res.body, path }, request)
  if (res.statusCode < 300 && res.rawPayload !== undefined && decodedBody(res.rawPayload, res.headers['content-encoding']).includes(SECRET)) {
    throw new Error(`${request}: a line of secret-group was answered`)
  }
}

// --- query strings ---------------------------------------------------------------------------------------
const NAMES = ['start', 'end', '$top', 'top', '$order', 'order', 'cursor', 'container', 'pod', 'stream', 'contains', 'follow']
// Any instant, with the first and last hours of years 1 and 9999 (where arithmetic on them overflows) often.
const [FIRST, LAST, TWO_HOURS] = [instantOf('0001-01-01T00:00:00Z'), instantOf('9999-12-31T23:59:59.999Z') + 999_999n, 7_200_000_000_000n]
const timestampText = fc.tuple(fc.oneof(fc.bigInt({ min: FIRST, max: LAST }), fc.bigInt({ min: FIRST, max: FIRST + TWO_HOURS }), fc.bigInt({ min: LAST - TWO_HOURS, max: LAST })), spellingArb)
  .map(([ns, how]) => spell(ns, how).text)
const valueArb = fc.oneof(
  timestampText,
  timestampText.map((text) => text.replace('+', ' ')),
  fc.integer({ min: -10, max: 6000 }).map(String),
  fc.constantFrom('', 'asc', 'desc', 'ASC', 'stdout', 'stderr', 'false', '1e3', '0x10', ' 5', '5 ', '-0', 'NaN', '\u0000', 'a\u0000b',
    '9999-12-31T23:59:59-23:59', '0000-01-01T00:00:00Z', '0001-01-01T00:00:00+00:01', '2024-02-30T00:00:00Z', '2024-06-15T24:00:00Z',
    '2024-06-15T12:00:00+24:00', '2024-06-15 12:00:00Z', '2024-06-15T12:00:00.1234567890Z', '2024-06-15T12:00:60Z', realCursor,
    realCursor.slice(0, -1), `${realCursor}x`, realCursor.replace('.', '.A'), '.', 'a.', '.b'),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: 'grapheme-ascii', maxLength: 300 })
)
const nameArb = fc.oneof({ weight: 8, arbitrary: fc.constantFrom(...NAMES) }, { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 8 }) })
const percentBytes = fc.uint8Array({ maxLength: 12 }).map((bytes) => [...bytes].map((b) => `%${b.toString(16).padStart(2, '0')}`).join(''))

/** encodeURIComponent, with chars a script might send raw ('+', ':', '$', a stray '%') left raw at times. */
const encodePart = (text: string, raw: boolean): string => {
  const encoded = encodeURIComponent(text)
  return raw ? encoded.replace(/%2B/g, '+').replace(/%3A/g, ':').replace(/%24/g, '$').replace(/%25(?![0-9A-Fa-f]{2})/g, '%') : encoded
}
const pairArb = fc.oneof(
  { weight: 10, arbitrary: fc.tuple(nameArb, valueArb, fc.boolean()).map(([k, v, raw]) => `${encodePart(k, raw)}=${encodePart(v, raw)}`) },
  { weight: 1, arbitrary: fc.tuple(nameArb, percentBytes).map(([k, v]) => `${encodeURIComponent(k)}=${v}`) },
  { weight: 1, arbitrary: fc.constantFrom('', '=', '==', '&', 'start', '$top', '%', '%zz=1', 'a=%', 'top=1=2') }
)
const decodeLike = (part: string): string => { try { return decodeURIComponent(part) } catch { return part } }
/** follow=true keeps a response open; the fuzz asks for finished answers only. */
const notFollowing = (pair: string): string => decodeLike(pair.split('=')[0] ?? '') === 'follow' && decodeLike(pair.slice(pair.indexOf('=') + 1)) === 'true' ? 'follow=false' : pair
const ACCEPTS = ['application/json', 'application/x-ndjson', 'text/plain', 'text/event-stream', '*/*', 'text/html', 'application/xml', 'text/plain;q=0, */*;q=0']
const runArb = fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...RUNS, 'deployments/n-none-0001') }, { weight: 1, arbitrary: fc.stringMatching(/^(deployments|executions)\/[\w.-]{1,70}$/) })

t.test('generated query strings on the read routes: no 5xx, the error body, no other group\'s line', async () => {
  await fc.assert(fc.asyncProperty(runArb, fc.array(pairArb, { maxLength: 6 }), fc.constantFrom(...ACCEPTS), fc.constantFrom('gzip', 'br', 'identity', ''), async (run, pairs, accept, encoding) => {
    const url = `/v2/lm/${run}/logs?${pairs.map(notFollowing).join('&')}`
    const res = await app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${reader}`, accept, 'accept-encoding': encoding } })
    check(res, String(res.raw.req.url).split('?')[0] as string, `GET ${url} (Accept ${accept})`)
  }), { seed, numRuns: QUERY_RUNS })
})

// --- headers on every route of the OpenAPI document ------------------------------------------------------
const document = app.swagger() as { paths: Record<string, Record<string, unknown>> }
const operations = Object.entries(document.paths).flatMap(([path, methods]) =>
  Object.keys(methods).filter((m) => ['get', 'post', 'put', 'patch', 'delete'].includes(m)).map((method) => ({ method: method.toUpperCase() as 'GET', path })))
t.ok(operations.length >= 8, `the OpenAPI document lists the routes (${operations.length})`)

const otherSecret = new TextEncoder().encode('another-secret-that-is-also-32-characters')
const tokens = [
  reader,
  await token({ groups: ['fuzz-a'], scope: 'logs.read' }),
  await token({ groups: ['*'], expiresIn: '-1m' }),
  await new SignJWT({ scope: 'logs.read logs.write logs.export', resource_groups: ['*'] }).setProtectedHeader({ alg: 'HS256' }).setExpirationTime('1h').sign(otherSecret),
  `${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${Buffer.from('{"scope":"logs.read","resource_groups":["*"]}').toString('base64url')}.`,
  await new SignJWT({ scope: 'logs.read', resource_groups: 'secret-group' }).setProtectedHeader({ alg: 'HS256' }).setExpirationTime('1h').sign(new TextEncoder().encode(TEST_SECRET))
]
const headerText = fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 60 })
const authorizationArb = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...tokens).map((tk) => `Bearer ${tk}`) },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom(...tokens), fc.nat(), fc.constantFrom('A', '-', '.', '=')).map(([tk, at, c]) => `Bearer ${tk.slice(0, at % tk.length)}${c}${tk.slice((at % tk.length) + 1)}`) },
  { weight: 1, arbitrary: fc.constantFrom(...tokens).map((tk) => `bearer   ${tk}  `) },
  { weight: 1, arbitrary: headerText }
)
const GROUPS = ['default', 'fuzz-a', 'secret-group', 'DEFAULT', ' default', 'default ', 'default,secret-group', 'fuzz-a, secret-group', 'secret-group,default',
  'de fault', '', '..', 'a', 'x'.repeat(254), 'secret-group\t', 'fuzz-a secret-group']
const headersArb = fc.record({
  authorization: authorizationArb,
  'ai-resource-group': fc.oneof(fc.constantFrom(...GROUPS), headerText),
  accept: fc.oneof(fc.constantFrom(...ACCEPTS), headerText),
  'accept-encoding': fc.oneof(fc.constantFrom('gzip', 'br', 'deflate', 'gzip;q=0', '*'), headerText),
  'content-type': fc.oneof(fc.constantFrom('application/json', 'application/x-ndjson', 'application/x-protobuf', 'text/plain', 'application/json; charset=latin1'), headerText),
  'content-encoding': fc.oneof(fc.constantFrom('gzip', 'identity', 'br', 'GZIP '), headerText),
  'idempotency-key': headerText,
  'x-request-id': headerText,
  'last-event-id': headerText,
  'x-scope-orgid': fc.oneof(fc.constantFrom(...GROUPS), headerText)
}, { requiredKeys: [] })
const BODIES = [
  JSON.stringify([{ timestamp: '2024-06-15T11:59:00Z', msg: 'from the header fuzz' }]),
  JSON.stringify({ filters: { deploymentIds: ['d-fuzz-0001'] } }),
  JSON.stringify([{ log: 'record', date: 1718452740, kubernetes: { labels: { deploymentId: 'd-fuzz-0001' } } }]),
  JSON.stringify({ streams: [{ stream: { deploymentId: 'd-fuzz-0001' }, values: [['1718452740000000000', 'entry']] }] }),
  '{"timestamp":"2024-06-15T11:59:00Z","msg":"ndjson"}\n', '', 'null', '[', '\u0000'
]
const paramArb = fc.constantFrom('d-fuzz-0001', 'e-fuzz-0001', randomUUID(), 'not-a-uuid', '..', '%2e%2e', 'a%2Fb', '%00%00%00%00')

t.test('generated headers on every route: no 5xx, the error body, no other group\'s line', async () => {
  await fc.assert(fc.asyncProperty(fc.constantFrom(...operations), paramArb, headersArb, fc.constantFrom(...BODIES), async (op, param, headers, body) => {
    const url = op.path.replace(/\{[^}]+\}/g, param)
    const res = await app.inject({ method: op.method, url, headers, ...(op.method === 'GET' ? {} : { payload: body }) })
    check(res, String(res.raw.req.url).split('?')[0] as string, `${op.method} ${url} ${JSON.stringify(headers)}`)
  }), { seed, numRuns: HEADER_RUNS })
})

// --- raw bytes over a socket, through Node's own HTTP parser --------------------------------------------
t.test('raw query strings and repeated, re-cased group headers over a socket', async (t) => {
  await app.listen({ port: 0, host: '127.0.0.1' })
  const port = (app.server.address() as AddressInfo).port
  const queryByte = fc.oneof(
    { weight: 12, arbitrary: fc.integer({ min: 0x21, max: 0x7e }) },
    { weight: 1, arbitrary: fc.integer({ min: 0x80, max: 0xff }) },
    { weight: 1, arbitrary: fc.constantFrom(0x00, 0x09, 0x20, 0x7f) }
  ).map((c) => String.fromCharCode(c))
  const rawQuery = fc.oneof(
    fc.string({ unit: queryByte, maxLength: 80 }).map((query) => query.replace(/follow=true/gi, 'follow=false')),
    fc.array(pairArb, { maxLength: 5 }).map((pairs) => pairs.map(notFollowing).join('&')))
  const cased = (name: string, mask: number): string => [...name].map((c, i) => ((mask >> (i % 16)) & 1) === 1 ? c.toUpperCase() : c).join('')
  const groupLines = fc.array(fc.tuple(fc.nat(), fc.oneof(fc.constantFrom(...GROUPS), headerText)), { maxLength: 3 })
    .map((lines) => lines.map(([mask, value]) => `${cased('ai-resource-group', mask)}: ${value}`))
  await fc.assert(fc.asyncProperty(fc.constantFrom(...RUNS), rawQuery, groupLines, async (run, query, groups) => {
    const path = `/v2/lm/${run}/logs`
    const head = [`GET ${path}?${query} HTTP/1.1`, 'Host: 127.0.0.1', `Authorization: Bearer ${reader}`, ...groups].join('\r\n')
    const res = await rawRequest(port, head)
    check({ ...res, rawPayload: res.body, body: res.body.toString('utf8') }, path, JSON.stringify(head))
    // Two group headers are one comma-joined value for Node: never a valid group, never a read.
    if (groups.length > 1 && res.statusCode < 300) throw new Error(`${JSON.stringify(head)}: two AI-Resource-Group headers were accepted`)
  }), { seed, numRuns: SOCKET_RUNS })
  t.pass('every socket case kept the contract')
})

t.test('this file ran at least 8,000 generated cases (with fuzz-ingest, 10,000 a run)', async (t) => {
  t.comment(`generated request cases: ${cases}`)
  t.ok(cases >= 8000, `${cases} cases`)
})

// Generated ingest bodies against the real service: every accepted batch reads back exactly as sent (unicode,
// empty and huge messages, timestamps at every precision and offset, equal timestamps in ingestion order,
// retries stored once), and garbage never gets a 5xx, always the contract's error body, and stores nothing.
// Characters text cannot hold (NUL, unpaired surrogates, bytes that are not UTF-8) get a 400 naming the line.
// Seeded like fuzz-requests.test.ts; this file asserts its share (2,000) of the 10,000 cases of a run.
import { gzipSync } from 'node:zlib'
import fc from 'fast-check'
import t from 'tap'
import { authHeaders, buildTestApp } from './helpers/app.js'
import { expectError } from './helpers/errors.js'
import { apiTimestamp, fuzzSeed, instantOf, mustKeepContract, spell, spellingArb, type Spelling } from './helpers/fuzz.js'

const { seed, source } = fuzzSeed()
t.comment(`fuzz seed ${seed} (${source}); rerun with FUZZ_SEED=${seed}`)
const GARBAGE_RUNS = 1620
const NATIVE_RUNS = 220
const SHIPPER_RUNS = 160
let cases = 0

// Lines are kept forever (LOG_RETENTION_DAYS=0), so any year may be written; up to an hour ahead of NOW.
const NOW = instantOf('2024-06-15T12:00:00Z')
const { app } = await buildTestApp(t, { now: () => NOW, env: { LOG_RETENTION_DAYS: '0' } })
const headers = await authHeaders()

interface ReadLine { container: string, msg: string, pod: string, stream: string, timestamp: string }
type SentLine = ReadLine & { instant: bigint }

// A few days across the eras (each is one partition), the last one up to NOW + 1 h.
const HOUR = 3_600_000_000_000n
const DAYS = ['0001-01-01', '1582-10-15', '1969-12-31', '1970-01-01', '2000-02-29', '2024-06-14', '2024-06-15'].map((day) => instantOf(`${day}T00:00:00Z`))
const instantArb = fc.tuple(fc.integer({ min: 0, max: DAYS.length - 1 }), fc.bigInt({ min: 0n, max: 86_399n }),
  fc.oneof(fc.constantFrom(0n, 500_000_000n, 123_000_000n, 123_456_000n, 999_999_999n), fc.bigInt({ min: 0n, max: 999_999_999n })))
  .map(([day, seconds, fraction]) => {
    const ns = (DAYS[day] as bigint) + seconds * 1_000_000_000n + fraction
    return ns > NOW + HOUR ? NOW - seconds * 1_000_000_000n - fraction : ns
  })

const noNul = (text: string): string => text.replaceAll('\u0000', '\u2400')
const msgArb = fc.oneof(
  { weight: 6, arbitrary: fc.string({ unit: 'binary', maxLength: 120 }).map(noNul) },
  { weight: 2, arbitrary: fc.string({ unit: fc.constantFrom('\\', '\n', '\r', '\t', '\\.', '\\N', ' ', 'é', '😀', '\u200d', '\u2028', '"', 'a'), maxLength: 30 }) },
  { weight: 1, arbitrary: fc.constant('') },
  // Huge: up to LINE_MAX_BYTES (256 KiB) in UTF-8.
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom('x', 'é', '😀', 'ab\n'), fc.integer({ min: 1000, max: 60_000 })).map(([unit, n]) => unit.repeat(Math.min(n, Math.floor(262_144 / Buffer.byteLength(unit))))) }
)
const labelArb = fc.option(fc.string({ unit: 'binary', maxLength: 24 }).map(noNul), { nil: undefined })

/** Lines at a few instants of a pool (so many share a timestamp), each spelled its own way. */
const batchArb = fc.tuple(fc.array(instantArb, { minLength: 1, maxLength: 5 }),
  fc.array(fc.record({ pick: fc.nat(), how: spellingArb, msg: msgArb, container: labelArb, pod: labelArb, stream: labelArb }), { minLength: 1, maxLength: 60 }))

/** The lines as the API must read them back: by instant, equal instants in the order they were sent. */
function expected (lines: SentLine[]): ReadLine[] {
  return lines.map((line, i) => ({ line, i }))
    .sort((a, b) => (a.line.instant < b.line.instant ? -1 : a.line.instant > b.line.instant ? 1 : a.i - b.i))
    .map(({ line: { instant: _instant, ...read } }) => read)
}

async function readAll (run: string, lines: SentLine[], order: 'asc' | 'desc', ndjson = false): Promise<ReadLine[]> {
  const instants = lines.map((l) => l.instant)
  const min = instants.reduce((a, b) => (a < b ? a : b))
  const max = instants.reduce((a, b) => (a > b ? a : b))
  const url = `/v2/lm/${run}/logs?start=${encodeURIComponent(apiTimestamp(min))}&end=${encodeURIComponent(apiTimestamp(max + 1n))}&$top=5000&$order=${order}`
  const res = await app.inject({ method: 'GET', url, headers: { ...headers, accept: ndjson ? 'application/x-ndjson' : 'application/json' } })
  if (res.statusCode !== 200) throw new Error(`GET ${url}: ${res.statusCode} ${res.body}`)
  return ndjson ? res.body.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as ReadLine) : res.json().data.result
}

function sameLines (got: ReadLine[], want: ReadLine[], what: string): void {
  if (got.length !== want.length) throw new Error(`${what}: read ${got.length} lines, sent ${want.length}`)
  for (let i = 0; i < want.length; i++) {
    const [g, w] = [got[i] as ReadLine, want[i] as ReadLine]
    if (g.timestamp !== w.timestamp || g.msg !== w.msg || g.container !== w.container || g.pod !== w.pod || g.stream !== w.stream) {
      throw new Error(`${what}: line ${i} reads ${JSON.stringify(g).slice(0, 300)}, sent ${JSON.stringify(w).slice(0, 300)}`)
    }
  }
}

t.test('accepted native batches read back exactly, in both orders, as JSON and NDJSON; a retry with the Idempotency-Key is stored once', async () => {
  let n = 0
  const formArb = fc.record({ kind: fc.constantFrom('deployments', 'executions'), body: fc.constantFrom('array', 'read-body', 'ndjson'), gzip: fc.boolean(), retry: fc.boolean() })
  await fc.assert(fc.asyncProperty(batchArb, formArb, async ([pool, drafts], form) => {
    cases++
    const run = `${form.kind}/rt-${++n}-${seed}`
    const sent: SentLine[] = drafts.map((d) => {
      const { instant, text } = spell(pool[d.pick % pool.length] as bigint, d.how)
      return { instant, timestamp: text, msg: d.msg, container: d.container ?? '', pod: d.pod ?? '', stream: d.stream ?? '' }
    })
    const wire = drafts.map((d, i) => ({ timestamp: (sent[i] as SentLine).timestamp, msg: d.msg, container: d.container, pod: d.pod, stream: d.stream }))
    const text = form.body === 'ndjson' ? wire.map((l) => JSON.stringify(l)).join('\n') : JSON.stringify(form.body === 'array' ? wire : { data: { result: wire } })
    const request = {
      method: 'POST' as const,
      url: `/v2/lm/${run}/logs`,
      headers: {
        ...headers,
        'content-type': form.body === 'ndjson' ? 'application/x-ndjson' : 'application/json',
        ...(form.gzip ? { 'content-encoding': 'gzip' } : {}),
        ...(form.retry ? { 'idempotency-key': `key-${n}-${seed}` } : {})
      },
      payload: form.gzip ? gzipSync(text) : text
    }
    for (let attempt = 0; attempt < (form.retry ? 2 : 1); attempt++) {
      const res = await app.inject(request)
      if (res.statusCode !== 200 || res.json().accepted !== sent.length) throw new Error(`POST ${run} (attempt ${attempt}): ${res.statusCode} ${res.body.slice(0, 300)}`)
      if (attempt === 1 && res.headers['idempotent-replayed'] !== 'true') throw new Error(`POST ${run}: the retry was not a replay`)
    }
    const want = sent.map((line) => ({ ...line, timestamp: apiTimestamp(line.instant) }))
    sameLines(await readAll(run, sent, 'asc', n % 2 === 0), expected(want), `${run} asc`)
    sameLines(await readAll(run, sent, 'desc'), expected(want).reverse(), `${run} desc`)
  }), { seed, numRuns: NATIVE_RUNS })
})

// Shipper records: RFC 3339, epoch seconds as text (ns) or as a number (µs), or Fluent Bit's java_sql_timestamp.
type ShipperTime = 'rfc3339' | 'epoch-text' | 'epoch-number' | 'java-sql'
function shipperTime (ns: bigint, how: Spelling, form: ShipperTime): { instant: bigint, value: string | number } {
  if (ns < 0n || form === 'rfc3339') { const s = spell(ns, how); return { instant: s.instant, value: s.text } }
  if (form === 'epoch-text') return { instant: ns, value: `${ns / 1_000_000_000n}.${String(ns % 1_000_000_000n).padStart(9, '0')}` }
  if (form === 'epoch-number') {
    const micros = ns / 1000n
    return { instant: micros * 1000n, value: Number(`${micros / 1_000_000n}.${String(micros % 1_000_000n).padStart(6, '0')}`) }
  }
  const s = spell(ns, { ...how, offsetMinutes: 'Z', lower: false })
  return { instant: s.instant, value: s.text.replace('T', ' ').slice(0, -1) }
}

t.test('accepted shipper records read back exactly, run by run; records naming no run are counted, not stored', async () => {
  let n = 0
  const recordArb = fc.record({
    run: fc.integer({ min: 0, max: 2 }),
    pick: fc.nat(),
    how: spellingArb,
    time: fc.constantFrom<ShipperTime>('rfc3339', 'epoch-text', 'epoch-number', 'java-sql'),
    msg: msgArb,
    newline: fc.boolean(),
    pod: labelArb,
    container: labelArb,
    stream: labelArb,
    unmatched: fc.integer({ min: 0, max: 9 }).map((x) => x === 0)
  })
  await fc.assert(fc.asyncProperty(fc.array(instantArb, { minLength: 1, maxLength: 4 }), fc.array(recordArb, { minLength: 1, maxLength: 40 }), fc.boolean(), async (pool, drafts, ndjson) => {
    cases++
    n++
    const runs = [`deployments/sh-${n}-a-${seed}`, `executions/sh-${n}-b-${seed}`, `deployments/sh-${n}-c-${seed}`]
    const sent = new Map<string, SentLine[]>()
    const records = drafts.map((d) => {
      const { instant, value } = shipperTime(pool[d.pick % pool.length] as bigint, d.how, d.time)
      const [kind, id] = (runs[d.run] as string).split('/') as [string, string]
      const labels = d.unmatched ? { app: 'x' } : kind === 'deployments' ? { 'ai.sap.com/deploymentId': id } : { executionId: id }
      // A container runtime's line ends with a newline that is not part of the message: one is dropped.
      const log = d.newline ? `${d.msg}\n` : d.msg
      if (!d.unmatched) {
        const lines = sent.get(runs[d.run] as string) ?? []
        lines.push({ instant, timestamp: apiTimestamp(instant), msg: log.endsWith('\n') ? log.slice(0, -1) : log, pod: d.pod ?? '', container: d.container ?? '', stream: d.stream ?? '' })
        sent.set(runs[d.run] as string, lines)
      }
      return { log, date: value, stream: d.stream, kubernetes: { pod_name: d.pod, container_name: d.container, labels } }
    })
    const res = await app.inject({
      method: 'POST',
      url: '/v2/lm/logs',
      headers: { ...headers, 'content-type': ndjson ? 'application/x-ndjson' : 'application/json' },
      payload: ndjson ? records.map((r) => JSON.stringify(r)).join('\n') : JSON.stringify(records)
    })
    const unmatched = drafts.filter((d) => d.unmatched).length
    if (res.statusCode !== 200) throw new Error(`POST /v2/lm/logs: ${res.statusCode} ${res.body.slice(0, 300)}`)
    const answer = res.json()
    if (answer.accepted !== drafts.length - unmatched || answer.unmatched !== unmatched) throw new Error(`POST /v2/lm/logs answered ${res.body.slice(0, 300)}`)
    for (const [run, lines] of sent) sameLines(await readAll(run, lines, 'asc'), expected(lines), run)
  }), { seed, numRuns: SHIPPER_RUNS })
})

// --- garbage ---------------------------------------------------------------------------------------------
const good = { timestamp: '2024-06-15T11:00:00Z', msg: 'fine' }
/** A line text cannot hold, as raw JSON text (so escapes such as \ud800 reach the server as sent). */
const POISON: Array<{ json: string, field: string, says: RegExp }> = [
  { json: '{"timestamp":"2024-06-15T11:00:00Z","msg":"a\\u0000b"}', field: 'msg', says: /NUL/ },
  { json: '{"timestamp":"2024-06-15T11:00:00Z","msg":"ok","pod":"\\u0000"}', field: 'pod', says: /NUL/ },
  { json: '{"timestamp":"2024-06-15T11:00:00Z","msg":"half \\ud83d of an emoji"}', field: 'msg', says: /surrogate/ },
  { json: '{"timestamp":"2024-06-15T11:00:00Z","msg":"\\udc00"}', field: 'msg', says: /surrogate/ },
  { json: '{"timestamp":"2024-06-15T11:00:00Z","msg":"x","container":"\\udfff\\ud800"}', field: 'container', says: /surrogate/ },
  { json: '{"timestamp":"9999-12-31T23:59:59-23:59","msg":"x"}', field: 'timestamp', says: /9999/ }
]
const garbageArb = fc.oneof(
  fc.jsonValue().map((v) => ({ text: JSON.stringify(v) ?? 'null', poison: undefined })),
  fc.uint8Array({ maxLength: 64 }).map((bytes) => ({ text: Buffer.from(bytes), poison: undefined })),
  fc.array(fc.jsonValue(), { maxLength: 4 }).map((vs) => ({ text: vs.map((v) => JSON.stringify(v) ?? 'null').join('\n'), poison: undefined })),
  fc.tuple(fc.integer({ min: 0, max: 5 }), fc.constantFrom(...POISON.keys())).map(([index, p]) => ({
    text: `[${[...Array(index).fill(JSON.stringify(good)), (POISON[p] as typeof POISON[number]).json, JSON.stringify(good)].join(',')}]`, poison: { index, ...(POISON[p] as typeof POISON[number]) }
  })),
  fc.uint8Array({ minLength: 1, maxLength: 8 }).map((bytes) => ({ text: Buffer.concat([Buffer.from('[{"timestamp":"2024-06-15T11:00:00Z","msg":"'), Buffer.from(bytes.map((b) => b | 0x80)), Buffer.from('"}]')]), poison: undefined }))
)

t.test('garbage bodies: no 5xx, the error body, nothing stored on a refusal; unstorable text is a 400 naming the line', async () => {
  let n = 0
  await fc.assert(fc.asyncProperty(garbageArb, fc.constantFrom('native', '/v2/lm/logs', '/loki/api/v1/push'),
    fc.constantFrom('application/json', 'application/x-ndjson', 'text/plain', 'application/x-protobuf'), fc.constantFrom('none', 'gzip', 'bogus-gzip'),
    async (body, endpoint, contentType, encoding) => {
      cases++
      const run = `deployments/gb-${++n}-${seed}`
      const url = endpoint === 'native' ? `/v2/lm/${run}/logs` : endpoint
      const bytes = Buffer.isBuffer(body.text) ? body.text : Buffer.from(body.text)
      const res = await app.inject({
        method: 'POST',
        url,
        headers: { ...headers, 'content-type': contentType, ...(encoding === 'none' ? {} : { 'content-encoding': 'gzip' }) },
        payload: encoding === 'gzip' ? gzipSync(bytes) : bytes
      })
      const what = `POST ${url} ${contentType} ${encoding} ${bytes.toString('latin1').slice(0, 200)}`
      mustKeepContract({ ...res, headers: res.headers as Record<string, string>, path: url }, what)
      if (body.poison !== undefined && endpoint === 'native' && contentType === 'application/json' && encoding !== 'bogus-gzip') {
        const error = res.json().error
        if (res.statusCode !== 400 || error.details?.index !== body.poison.index || error.details?.field !== body.poison.field || !body.poison.says.test(error.message)) {
          throw new Error(`${what}: expected a 400 naming line ${body.poison.index} field ${body.poison.field}, got ${res.statusCode} ${res.body}`)
        }
      }
      if (endpoint === 'native' && res.statusCode >= 400) {
        const read = await app.inject({ method: 'GET', url: `/v2/lm/${run}/logs`, headers })
        if (read.statusCode !== 404) throw new Error(`${what}: refused with ${res.statusCode}, yet the run exists: ${read.body.slice(0, 200)}`)
      }
    }), { seed, numRuns: GARBAGE_RUNS })
})

t.test('bytes that are not UTF-8 are a 400, not U+FFFD stored in their place', async (t) => {
  const body = Buffer.concat([Buffer.from('[{"timestamp":"2024-06-15T11:00:00Z","msg":"caf'), Buffer.from([0xe9]), Buffer.from('"}]')])
  for (const [url, type] of [['/v2/lm/deployments/utf8-0001/logs', 'application/json'], ['/v2/lm/deployments/utf8-0001/logs', 'application/x-ndjson'], ['/v2/lm/logs', 'application/json']] as const) {
    const res = await app.inject({ method: 'POST', url, headers: { ...headers, 'content-type': type }, payload: body })
    t.match(expectError(t, res, 400, 'InvalidRequest', `${url} ${type}: 400`).message, /not valid UTF-8/)
  }
})

t.test('a POST with no body and no Content-Type is a 400 on every ingest route, not a 500', async (t) => {
  for (const url of ['/v2/lm/deployments/empty-0001/logs', '/v2/lm/executions/empty-0001/logs', '/v2/lm/logs', '/loki/api/v1/push']) {
    expectError(t, await app.inject({ method: 'POST', url, headers }), 400, 'InvalidRequest', `${url}: 400`)
  }
})

t.test('this file ran at least 2,000 generated cases (with fuzz-requests, 10,000 a run)', async (t) => {
  t.comment(`generated ingest cases: ${cases}`)
  t.ok(cases >= 2000, `${cases} cases`)
})

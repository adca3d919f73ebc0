// The contract's "Writing logs": POST /v2/lm/{deployments|executions}/{id}/logs, all or nothing.
import { randomBytes } from 'node:crypto'
import { Readable } from 'node:stream'
import { setTimeout as sleep } from 'node:timers/promises'
import { gzipSync } from 'node:zlib'
import type { InjectOptions, LightMyRequestResponse } from 'fastify'
import pg from 'pg'
import t from 'tap'
import { formatInstant, NS_PER_SECOND, parseRfc3339, type Instant } from '../src/time.js'
import { authHeaders, buildTestApp } from './helpers/app.js'
import { expectError } from './helpers/errors.js'
import { countStored } from './helpers/database.js'

type Test = Parameters<Parameters<typeof t.test>[0]>[0]

interface ReadLine { container: string, msg: string, pod: string, stream: string, timestamp: string }

/** The server's clock in every test: lines are written around it, so nothing depends on the real date. */
const NOW: Instant = parseRfc3339('2024-06-15T12:00:00Z')
const DAY = 86_400n * NS_PER_SECOND
const at = (offset: bigint): string => formatInstant(NOW + offset)
const line = (msg: string, offset = 0n): { timestamp: string, msg: string } => ({ timestamp: at(offset), msg })

const WIDE_RANGE = 'start=1800-01-01T00:00:00Z&end=2200-01-01T00:00:00Z&$top=5000'

/** An app on a fresh database with a fixed clock, and what a client and an operator use against it. */
async function service (t: Test, opts: { env?: Record<string, string>, now?: () => Instant } = {}) {
  const { app, databaseUrl } = await buildTestApp(t, { now: () => NOW, ...opts })
  const headers = await authHeaders()

  const post = async (run: string, payload: unknown, extra: Record<string, string> = {}): Promise<LightMyRequestResponse> =>
    await app.inject({ method: 'POST', url: `/v2/lm/${run}/logs`, headers: { ...headers, ...extra }, payload: payload as InjectOptions['payload'] })

  const get = async (run: string, query = WIDE_RANGE): Promise<LightMyRequestResponse> =>
    await app.inject({ method: 'GET', url: `/v2/lm/${run}/logs?${query}`, headers })

  const read = async (run: string, query = WIDE_RANGE): Promise<ReadLine[]> => {
    const res = await get(run, query)
    t.equal(res.statusCode, 200, `GET ${run}: ${res.body}`)
    return res.json().data.result
  }

  const stored = async (): Promise<{ runs: number, lines: number }> => await countStored(databaseUrl)

  return { app, databaseUrl, post, get, read, stored }
}

t.test('a JSON array of lines is accepted with {"accepted": N} and reads back', async (t) => {
  const s = await service(t)
  const lines = [
    { timestamp: at(-3n * NS_PER_SECOND), msg: 'first', container: 'c1', pod: 'p1', stream: 'stdout' },
    { timestamp: at(-2n * NS_PER_SECOND), msg: 'second', stream: 'stderr' },
    { timestamp: at(-1n * NS_PER_SECOND), msg: 'third' }
  ]
  const res = await s.post('executions/e-0001', lines)
  t.equal(res.statusCode, 200, res.body)
  t.same(res.json(), { accepted: 3 })
  t.strictSame(await s.read('executions/e-0001'), [
    { container: 'c1', msg: 'first', pod: 'p1', stream: 'stdout', timestamp: '2024-06-15T11:59:57.000+00:00' },
    { container: '', msg: 'second', pod: '', stream: 'stderr', timestamp: '2024-06-15T11:59:58.000+00:00' },
    { container: '', msg: 'third', pod: '', stream: '', timestamp: '2024-06-15T11:59:59.000+00:00' }
  ])

  const deployment = await s.post('deployments/d-0001', [line('to a deployment')])
  t.same(deployment.json(), { accepted: 1 })
  t.same((await s.read('deployments/d-0001')).map((l) => l.msg), ['to a deployment'])
})

t.test('the read body {"data":{"result":[...]}} can be written back unchanged', async (t) => {
  const s = await service(t)
  await s.post('executions/e-source', [
    { timestamp: '2024-06-15T11:00:00.123456789Z', msg: 'nanoseconds', container: 'c', pod: 'p', stream: 'stdout' },
    { timestamp: '2024-06-15T13:00:00.5+02:00', msg: 'an offset', stream: 'stderr' },
    { timestamp: '2024-06-15T11:30:00Z', msg: 'tab\there "quoted" \\ done' }
  ])
  const first = await s.get('executions/e-source')
  const copy = await s.post('deployments/d-copy', first.body, { 'content-type': 'application/json' })
  t.same(copy.json(), { accepted: 3 })
  const second = await s.get('deployments/d-copy')
  t.equal(second.body, first.body, 'what was read and written back reads the same')
})

t.test('application/x-ndjson: one line object per text line, blank lines ignored', async (t) => {
  const s = await service(t)
  const body = [
    JSON.stringify(line('one', -3n)),
    '',
    '   ',
    JSON.stringify({ ...line('two', -2n), pod: 'p' }) + '\r',
    JSON.stringify(line('three', -1n))
  ].join('\n') + '\n\n'
  const res = await s.post('executions/e-ndjson', body, { 'content-type': 'application/x-ndjson' })
  t.equal(res.statusCode, 200, res.body)
  t.same(res.json(), { accepted: 3 })
  const read = await s.read('executions/e-ndjson')
  t.same(read.map((l) => [l.msg, l.pod]), [['one', ''], ['two', 'p'], ['three', '']])
})

t.test('an NDJSON line that is not JSON is a 400 naming its index, and nothing is stored', async (t) => {
  const s = await service(t)
  const body = [JSON.stringify(line('a')), JSON.stringify(line('b')), '{"timestamp": "2024-06-15T11:00:00Z", msg: oops}', JSON.stringify(line('d'))].join('\n')
  const res = await s.post('executions/e-ndjson', body, { 'content-type': 'application/x-ndjson' })
  const error = expectError(t, res, 400, 'InvalidRequest')
  t.equal(error.details?.index, 2)
  t.match(error.message, /Line 2/)
  t.same(await s.stored(), { runs: 0, lines: 0 })
})

t.test('Content-Encoding: gzip is accepted for a JSON body', async (t) => {
  const s = await service(t)
  const payload = gzipSync(JSON.stringify([line('zipped one', -2n), line('zipped two', -1n)]))
  const res = await s.post('executions/e-gzip', payload, { 'content-type': 'application/json', 'content-encoding': 'gzip' })
  t.equal(res.statusCode, 200, res.body)
  t.same(res.json(), { accepted: 2 })
  t.same((await s.read('executions/e-gzip')).map((l) => l.msg), ['zipped one', 'zipped two'])
})

t.test('Content-Encoding: gzip is accepted for an NDJSON body', async (t) => {
  const s = await service(t)
  const payload = gzipSync([line('nd one', -2n), line('nd two', -1n)].map((l) => JSON.stringify(l)).join('\n'))
  const res = await s.post('executions/e-gzip', payload, { 'content-type': 'application/x-ndjson', 'content-encoding': 'gzip' })
  t.equal(res.statusCode, 200, res.body)
  t.same(res.json(), { accepted: 2 })
  t.same((await s.read('executions/e-gzip')).map((l) => l.msg), ['nd one', 'nd two'])
})

t.test('a corrupt gzip body is a 400 with the error body, and nothing is stored', async (t) => {
  const s = await service(t)
  const whole = gzipSync(JSON.stringify([line('never stored')]))
  const bodies = {
    'not gzip at all': Buffer.from('this is not gzip'),
    'cut short': whole.subarray(0, whole.length - 10),
    'a flipped byte': Buffer.from(whole.map((b, i) => (i === 20 ? b ^ 0xff : b)))
  }
  for (const [name, payload] of Object.entries(bodies)) {
    const res = await s.post('executions/e-gzip', payload, { 'content-type': 'application/json', 'content-encoding': 'gzip' })
    t.equal(res.statusCode, 400, `${name}: ${res.body}`)
    expectError(t, res, 400, 'InvalidRequest')
  }
  t.same(await s.stored(), { runs: 0, lines: 0 })
})

t.test('an unsupported Content-Encoding is a 415', async (t) => {
  const s = await service(t)
  for (const encoding of ['br', 'compress', 'zstd']) {
    const res = await s.post('executions/e-enc', Buffer.from(JSON.stringify([line('x')])), { 'content-type': 'application/json', 'content-encoding': encoding })
    const error = expectError(t, res, 415, 'UnsupportedMediaType')
    t.match(error.message, encoding)
  }
  t.same(await s.stored(), { runs: 0, lines: 0 })
})

t.test('an unsupported Content-Type is a 415 with the error body', async (t) => {
  const s = await service(t)
  for (const type of ['text/csv', 'text/plain', 'application/x-www-form-urlencoded', 'application/xml', 'application/octet-stream']) {
    const res = await s.post('executions/e-type', 'timestamp,msg\n2024-06-15T11:00:00Z,hi\n', { 'content-type': type })
    const error = expectError(t, res, 415, 'UnsupportedMediaType')
    t.match(error.message, /application\/json or application\/x-ndjson/, 'says which types are accepted')
  }
  t.same(await s.stored(), { runs: 0, lines: 0 })
})

t.test('a body larger than INGEST_MAX_BYTES is a 413, and nothing is stored', async (t) => {
  const s = await service(t, { env: { INGEST_MAX_BYTES: '2048' } })
  const big = JSON.stringify([line('x'.repeat(2100))])
  expectError(t, await s.post('executions/e-big', big, { 'content-type': 'application/json' }), 413, 'PayloadTooLarge')
  const ndjson = JSON.stringify(line('x'.repeat(2100)))
  expectError(t, await s.post('executions/e-big', ndjson, { 'content-type': 'application/x-ndjson' }), 413, 'PayloadTooLarge')
  t.same(await s.stored(), { runs: 0, lines: 0 })
})

t.test('a body of exactly INGEST_MAX_BYTES is accepted, one byte more is not', async (t) => {
  const s = await service(t, { env: { INGEST_MAX_BYTES: '2048' } })
  const sized = (bytes: number): string => {
    const empty = JSON.stringify([line('')])
    return JSON.stringify([line('y'.repeat(bytes - empty.length))])
  }
  t.equal(Buffer.byteLength(sized(2048)), 2048)
  const exact = await s.post('executions/e-edge', sized(2048), { 'content-type': 'application/json' })
  t.same(exact.json(), { accepted: 1 })
  expectError(t, await s.post('executions/e-edge', sized(2049), { 'content-type': 'application/json' }), 413, 'PayloadTooLarge')
  const zipped = await s.post('executions/e-edge', gzipSync(sized(2048)), { 'content-type': 'application/json', 'content-encoding': 'gzip' })
  t.same(zipped.json(), { accepted: 1 })
  expectError(t, await s.post('executions/e-edge', gzipSync(sized(2049)), { 'content-type': 'application/json', 'content-encoding': 'gzip' }), 413, 'PayloadTooLarge')
})

t.test('INGEST_MAX_BYTES counts the decompressed body: a gzip bomb is a 413 and nothing is stored', async (t) => {
  const s = await service(t, { env: { INGEST_MAX_BYTES: String(1024 * 1024) } })
  const zeros = gzipSync(Buffer.alloc(5 * 1024 * 1024))
  t.ok(zeros.length < 1024 * 1024, 'the compressed body is well under the limit')
  expectError(t, await s.post('executions/e-bomb', zeros, { 'content-type': 'application/json', 'content-encoding': 'gzip' }), 413, 'PayloadTooLarge')

  // A valid body too: only its size makes it too large.
  const validButHuge = gzipSync(JSON.stringify([line('z'.repeat(5 * 1024 * 1024))]))
  expectError(t, await s.post('executions/e-bomb', validButHuge, { 'content-type': 'application/json', 'content-encoding': 'gzip' }), 413, 'PayloadTooLarge')
  const ndjsonBomb = gzipSync(`${JSON.stringify(line('n'))}\n`.repeat(200_000))
  expectError(t, await s.post('executions/e-bomb', ndjsonBomb, { 'content-type': 'application/x-ndjson', 'content-encoding': 'gzip' }), 413, 'PayloadTooLarge')
  t.same(await s.stored(), { runs: 0, lines: 0 })
})

t.test('a gzip bomb stops inflating at the limit: no work goes on after the 413', async (t) => {
  const s = await service(t, { env: { INGEST_MAX_BYTES: String(1024 * 1024) } })
  // 500 gzip members of 1 MiB of zeros: about 500 KB that would inflate to 500 MiB.
  const member = gzipSync(Buffer.alloc(1024 * 1024))
  const bomb = Buffer.concat(Array.from({ length: 500 }, () => member))
  expectError(t, await s.post('executions/e-bomb', bomb, { 'content-type': 'application/json', 'content-encoding': 'gzip' }), 413, 'PayloadTooLarge')
  const before = process.cpuUsage()
  await sleep(1000)
  const used = process.cpuUsage(before)
  const ms = (used.user + used.system) / 1000
  t.ok(ms < 500, `the second after the answer took ${ms} ms of CPU (inflating the rest takes seconds)`)
  t.same(await s.stored(), { runs: 0, lines: 0 })
})

t.test('a streamed gzip body (no Content-Length) past the limit is a 413, even when it is corrupt further on', async (t) => {
  const s = await service(t, { env: { INGEST_MAX_BYTES: String(1024 * 1024) } })
  // Incompressible, so the encoded bytes pass the limit first; the broken CRC comes after the answer.
  const zipped = gzipSync(randomBytes(1536 * 1024))
  zipped[zipped.length - 5] = (zipped[zipped.length - 5] as number) ^ 0xff
  const chunks = Array.from({ length: Math.ceil(zipped.length / 16384) }, (_, i) => zipped.subarray(i * 16384, (i + 1) * 16384))
  const res = await s.post('executions/e-stream', Readable.from(chunks), { 'content-type': 'application/json', 'content-encoding': 'gzip' })
  expectError(t, res, 413, 'PayloadTooLarge')
  await sleep(500) // the decoder meets the bad CRC after the answer: the service must survive it
  t.equal((await s.get('executions/e-stream')).statusCode, 404, 'still serving, and nothing was stored')
})

t.test('all or nothing: one bad line among 100 rejects the batch, names index 57, and stores nothing', async (t) => {
  const s = await service(t)
  const batch: unknown[] = Array.from({ length: 100 }, (_, i) => line(`line ${i}`, BigInt(i - 100) * NS_PER_SECOND))
  batch[57] = { timestamp: at(-43n * NS_PER_SECOND) }
  const res = await s.post('executions/e-batch', batch)
  const error = expectError(t, res, 400, 'InvalidRequest')
  t.equal(error.details?.index, 57)
  t.match(error.message, /Line 57/)
  t.same(await s.stored(), { runs: 0, lines: 0 }, 'no line and no run row')
  t.equal((await s.get('executions/e-batch')).statusCode, 404, 'the run was never created')

  // Into a run that already has lines: nothing is added to it either.
  t.same((await s.post('executions/e-batch', [line('kept', -200n * NS_PER_SECOND)])).json(), { accepted: 1 })
  expectError(t, await s.post('executions/e-batch', batch), 400, 'InvalidRequest')
  t.same((await s.read('executions/e-batch')).map((l) => l.msg), ['kept'])
  t.same(await s.stored(), { runs: 1, lines: 1 })
})

t.test('each kind of bad line is a 400 naming the line, never a 500', async (t) => {
  const s = await service(t)
  const good = line('good', -1n)
  const cases: Array<[string, unknown, string | undefined]> = [
    ['missing timestamp', { msg: 'no time' }, 'timestamp'],
    ['a timestamp with a space and no zone', { ...good, timestamp: '2024-01-01 00:00:00' }, 'timestamp'],
    ['a timestamp without a zone', { ...good, timestamp: '2024-06-15T11:00:00' }, 'timestamp'],
    ['month 13', { ...good, timestamp: '2024-13-01T00:00:00Z' }, 'timestamp'],
    ['February 30', { ...good, timestamp: '2024-02-30T00:00:00Z' }, 'timestamp'],
    ['hour 24', { ...good, timestamp: '2024-06-15T24:00:00Z' }, 'timestamp'],
    ['a bare time 24:00:00', { ...good, timestamp: '24:00:00' }, 'timestamp'],
    ['ten fractional digits', { ...good, timestamp: '2024-06-15T11:00:00.1234567890Z' }, 'timestamp'],
    ['epoch milliseconds', { ...good, timestamp: Number(NOW / 1_000_000n) }, 'timestamp'],
    ['an empty timestamp', { ...good, timestamp: '' }, 'timestamp'],
    ['missing msg', { timestamp: good.timestamp }, 'msg'],
    ['msg null', { ...good, msg: null }, 'msg'],
    ['msg a number', { ...good, msg: 42 }, 'msg'],
    ['msg an object', { ...good, msg: { text: 'hi' } }, 'msg'],
    ['msg an array', { ...good, msg: ['hi'] }, 'msg'],
    ['container a number', { ...good, container: 1 }, 'container'],
    ['pod an object', { ...good, pod: {} }, 'pod'],
    ['stream a boolean', { ...good, stream: true }, 'stream'],
    ['an unknown field', { ...good, level: 'info' }, 'level'],
    ['a NUL character in msg', { ...good, msg: 'before\u0000after' }, 'msg'],
    ['a NUL character in pod', { ...good, pod: 'p\u0000' }, 'pod'],
    ['a string', 'just text', undefined],
    ['a number', 7, undefined],
    ['null', null, undefined],
    ['an array', [good.timestamp, 'msg'], undefined]
  ]
  for (const [name, bad, field] of cases) {
    const res = await s.post('executions/e-bad', [good, bad, good])
    t.equal(res.statusCode, 400, `${name}: ${res.body}`)
    const error = expectError(t, res, 400, 'InvalidRequest')
    t.equal(error.details?.index, 1, `${name}: index`)
    if (field !== undefined) t.equal(error.details?.field, field, `${name}: field`)
    t.match(error.message, /Line 1\b/, `${name}: message`)
  }
  const ndjson = await s.post('executions/e-bad', `${JSON.stringify(good)}\n${JSON.stringify({ ...good, msg: 'nul\u0000' })}\n`, { 'content-type': 'application/x-ndjson' })
  t.equal(expectError(t, ndjson, 400, 'InvalidRequest').details?.index, 1, 'NDJSON lines are checked the same way')
  t.same(await s.stored(), { runs: 0, lines: 0 })
})

t.test('a body that is neither an array of lines nor {"data":{"result":[...]}} is a 400', async (t) => {
  const s = await service(t)
  const bodies = ['{}', '{"data":{}}', '{"data":{"result":{}}}', '{"data":[]}', '{"result":[]}', '{"lines":[]}', '"text"', '42', 'null', 'true']
  for (const body of bodies) {
    const res = await s.post('executions/e-shape', body, { 'content-type': 'application/json' })
    t.equal(res.statusCode, 400, `${body}: ${res.body}`)
    expectError(t, res, 400, 'InvalidRequest')
  }
  t.same(await s.stored(), { runs: 0, lines: 0 })
})

t.test('invalid JSON is a 400 with the error body', async (t) => {
  const s = await service(t)
  for (const body of ['[{"timestamp": ', '[1, 2,]', "[{'msg': 'x'}]", '[{"__proto__": {"x": 1}, "timestamp": "2024-06-15T11:00:00Z", "msg": "m"}]']) {
    const res = await s.post('executions/e-json', body, { 'content-type': 'application/json' })
    t.equal(res.statusCode, 400, `${body}: ${res.body}`)
    expectError(t, res, 400, 'InvalidRequest')
  }
  const empty = await s.app.inject({ method: 'POST', url: '/v2/lm/executions/e-json/logs', headers: { ...(await authHeaders()), 'content-type': 'application/json' } })
  expectError(t, empty, 400, 'InvalidRequest')
  t.same(await s.stored(), { runs: 0, lines: 0 })
})

t.test('a line older than LOG_RETENTION_DAYS (default 30) is a bad line', async (t) => {
  const s = await service(t)
  const oldest = -30n * DAY
  const res = await s.post('executions/e-old', [line('fine', -1n), line('too old', oldest - 1n)])
  const error = expectError(t, res, 400, 'InvalidRequest')
  t.same(error.details, { index: 1, field: 'timestamp' })
  t.match(error.message, /Line 1 .*retention/)
  t.same(await s.stored(), { runs: 0, lines: 0 })

  const edge = await s.post('executions/e-old', [line('exactly 30 days old', oldest)])
  t.same(edge.json(), { accepted: 1 }, 'a line exactly at the retention bound is kept')
  t.same((await s.read('executions/e-old')).map((l) => l.msg), ['exactly 30 days old'])
})

t.test('a line more than MAX_FUTURE_SKEW_SECONDS (default 3600) ahead is a bad line', async (t) => {
  const s = await service(t)
  const skew = 3600n * NS_PER_SECOND
  const res = await s.post('executions/e-future', [line('now'), line('too far ahead', skew + 1n)])
  const error = expectError(t, res, 400, 'InvalidRequest')
  t.same(error.details, { index: 1, field: 'timestamp' })
  t.match(error.message, /Line 1 .*future/)
  t.same(await s.stored(), { runs: 0, lines: 0 })

  const edge = await s.post('executions/e-future', [line('exactly an hour ahead', skew)])
  t.same(edge.json(), { accepted: 1 }, 'a line exactly at the skew bound is kept')
  t.same((await s.read('executions/e-future')).map((l) => l.timestamp), ['2024-06-15T13:00:00.000+00:00'])
})

t.test('with LOG_RETENTION_DAYS=0 a line of any year is stored: partitions are made as needed', async (t) => {
  const s = await service(t, { env: { LOG_RETENTION_DAYS: '0' } })
  const lines = [
    { timestamp: '1850-03-04T05:06:07.123456789Z', msg: 'from 1850' },
    { timestamp: '1969-12-31T23:59:59.999999999Z', msg: 'just before the epoch' },
    { timestamp: '1999-12-31T23:59:59.5-01:00', msg: 'from 1999' },
    line('today')
  ]
  const res = await s.post('executions/e-ancient', lines)
  t.same(res.json(), { accepted: 4 }, res.body)
  t.strictSame((await s.read('executions/e-ancient')).map((l) => [l.timestamp, l.msg]), [
    ['1850-03-04T05:06:07.123456789+00:00', 'from 1850'],
    ['1969-12-31T23:59:59.999999999+00:00', 'just before the epoch'],
    ['2000-01-01T00:59:59.500+00:00', 'from 1999'],
    ['2024-06-15T12:00:00.000+00:00', 'today']
  ])
  const only1850 = await s.read('executions/e-ancient', 'start=1850-01-01T00:00:00Z&end=1851-01-01T00:00:00Z')
  t.same(only1850.map((l) => l.msg), ['from 1850'])
})

t.test('a batch spanning several days is stored whole', async (t) => {
  const s = await service(t)
  const days = [-29n, -17n, -5n, -1n, 0n]
  const lines = days.map((d) => line(`day ${d}`, d * DAY))
  lines.push({ timestamp: '2024-06-14T23:59:59.999999999Z', msg: 'last nanosecond of a day' })
  lines.push({ timestamp: '2024-06-15T01:30:00+02:00', msg: 'an offset across midnight' })
  const res = await s.post('executions/e-days', lines)
  t.same(res.json(), { accepted: 7 }, res.body)
  t.same((await s.read('executions/e-days')).map((l) => l.msg), [
    'day -29', 'day -17', 'day -5', 'day -1', 'an offset across midnight', 'last nanosecond of a day', 'day 0'
  ])
})

t.test('a msg over LINE_MAX_BYTES is a bad line', async (t) => {
  const s = await service(t, { env: { LINE_MAX_BYTES: '16' } })
  const res = await s.post('executions/e-long', [line('x'.repeat(16)), line('x'.repeat(17))])
  const error = expectError(t, res, 400, 'InvalidRequest')
  t.same(error.details, { index: 1, field: 'msg' })
  t.match(error.message, /Line 1 .*16 bytes/)
  const bytes = await s.post('executions/e-long', [line('€€€€€€')])
  t.equal(expectError(t, bytes, 400, 'InvalidRequest').details?.index, 0, 'counted in UTF-8 bytes: six euro signs are 18 bytes')
  t.same(await s.stored(), { runs: 0, lines: 0 })
  t.same((await s.post('executions/e-long', [line('x'.repeat(16))])).json(), { accepted: 1 })
})

t.test('messages round-trip exactly, whatever characters they hold', async (t) => {
  const s = await service(t)
  const messages = [
    'tab\tseparated\tvalues',
    'two\nlines',
    'carriage\r\nreturn',
    'back\\slash and \\N and \\t literally',
    '"double" and \'single\' quotes',
    'unicode: größe, 日本語, Ελληνικά',
    'emoji: 🚀🔥👩‍💻',
    '  leading and trailing spaces  ',
    '{"json":"inside","n":[1,2]}',
    '\\',
    '\u0001\u001f\u007f controls'
  ]
  const lines = messages.map((msg, i) => ({ ...line(msg, BigInt(i - 20) * NS_PER_SECOND), container: 'c\tx', pod: 'p\\y', stream: 's\nz' }))
  t.same((await s.post('executions/e-chars', lines)).json(), { accepted: messages.length })
  const read = await s.read('executions/e-chars')
  t.strictSame(read.map((l) => l.msg), messages)
  t.strictSame(read.map((l) => [l.container, l.pod, l.stream]), messages.map(() => ['c\tx', 'p\\y', 's\nz']))

  const ndjson = messages.map((msg, i) => JSON.stringify(line(msg, BigInt(i - 20) * NS_PER_SECOND))).join('\n')
  t.same((await s.post('executions/e-chars-nd', ndjson, { 'content-type': 'application/x-ndjson' })).json(), { accepted: messages.length })
  t.strictSame((await s.read('executions/e-chars-nd')).map((l) => l.msg), messages)
})

t.test('an empty msg "" is stored', async (t) => {
  const s = await service(t)
  t.same((await s.post('executions/e-empty-msg', [line('')])).json(), { accepted: 1 })
  t.strictSame(await s.read('executions/e-empty-msg'), [{ container: '', msg: '', pod: '', stream: '', timestamp: '2024-06-15T12:00:00.000+00:00' }])
})

t.test('an empty batch is {"accepted":0} and creates nothing', async (t) => {
  const s = await service(t)
  t.same((await s.post('executions/e-none', [])).json(), { accepted: 0 })
  t.same((await s.post('executions/e-none', { data: { result: [] } })).json(), { accepted: 0 })
  const ndjson = await s.post('executions/e-none', '\n\n', { 'content-type': 'application/x-ndjson' })
  t.same(ndjson.json(), { accepted: 0 }, ndjson.body)
  t.same(await s.stored(), { runs: 0, lines: 0 })
  t.equal((await s.get('executions/e-none')).statusCode, 404, 'no run was created')
})

t.test('a 2xx means committed: another connection sees the lines as soon as the POST returns', async (t) => {
  const s = await service(t)
  const lines = Array.from({ length: 250 }, (_, i) => line(`committed ${i}`, BigInt(i - 250) * NS_PER_SECOND))
  const res = await s.post('executions/e-commit', lines)
  t.same(res.json(), { accepted: 250 })
  const client = new pg.Client({ connectionString: s.databaseUrl })
  await client.connect()
  t.teardown(async () => { await client.end() })
  const { rows } = await client.query(`SELECT r.line_count::int AS count, (SELECT sum(line_count)::int FROM log_blocks l WHERE l.run_id = r.run_id) AS rows
    FROM runs r WHERE r.resource_group = 'default' AND r.run_kind = 'execution' AND r.run_id = 'e-commit'`)
  t.same(rows, [{ count: 250, rows: 250 }])
})

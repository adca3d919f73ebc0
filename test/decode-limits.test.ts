// Item limits hold while a body is decoded: a small compressed body that expands to millions of items
// stops at INGEST_MAX_LINES + 1 (413) in every decoder, and blocks the event loop no longer than a
// legitimate batch of INGEST_MAX_LINES lines does. The longest stall of each is printed.
import { gzipSync } from 'node:zlib'
import type { FastifyInstance, InjectOptions } from 'fastify'
import { compressSync } from 'snappy'
import t from 'tap'
import { authHeaders, buildTestApp } from './helpers/app.js'
import { expectError } from './helpers/errors.js'

const { app, config } = await buildTestApp(t)
const headers = await authHeaders()
const MAX = config.ingestMaxLines

/** The answer, and the longest the event loop went without running a 1 ms timer while it was made. */
async function measured (app: FastifyInstance, options: InjectOptions): Promise<{ status: number, body: string, stallMs: number }> {
  let last = performance.now()
  let stallMs = 0
  const timer = setInterval(() => { const now = performance.now(); stallMs = Math.max(stallMs, now - last); last = now }, 1)
  const res = await app.inject(options)
  clearInterval(timer)
  stallMs = Math.max(stallMs, performance.now() - last)
  return { status: res.statusCode, body: res.body, stallMs }
}

/** A protobuf varint. */
function varint (n: number): number[] {
  const bytes: number[] = []
  while (n > 0x7f) { bytes.push((n & 0x7f) | 0x80); n = Math.floor(n / 128) }
  bytes.push(n)
  return bytes
}

/** logproto.PushRequest with one stream of `count` empty entries (2 bytes each on the wire). */
function emptyEntriesPush (count: number): Buffer {
  const labels = Buffer.from('{app="bomb"}')
  const entries = Buffer.alloc(count * 2)
  for (let i = 0; i < count; i++) entries[i * 2] = 0x12 // field 2, length-delimited, length 0
  const stream = Buffer.concat([Buffer.from([0x0a, ...varint(labels.length)]), labels, entries])
  return Buffer.concat([Buffer.from([0x0a, ...varint(stream.length)]), stream])
}

const stalls: Record<string, number> = {}
// Made once, with little garbage: a collection during a measurement would be counted as its stall.
const EMPTY_OBJECTS = '{},'.repeat(3_300_000) + '{}'
const EMPTY_ARRAYS = '[],'.repeat(3_300_000) + '[]'

t.test('a legitimate batch of INGEST_MAX_LINES lines within INGEST_MAX_BYTES is stored', async (t) => {
  const at = new Date(Date.now() - 60_000).toISOString()
  const payload = JSON.stringify(Array.from({ length: MAX }, (_, i) => ({ timestamp: at, msg: `line ${i}`, pod: 'pod-1', container: 'main' })))
  t.ok(payload.length < config.ingestMaxBytes, `${payload.length} bytes`)
  const res = await measured(app, { method: 'POST', url: '/v2/lm/executions/e-maximal/logs', headers: { ...headers, 'content-type': 'application/json' }, payload })
  t.equal(res.status, 200, res.body.slice(0, 200))
  stalls.legitimate = res.stallMs
})

const hostile: Record<string, () => { url: string, payload: Buffer, headers: Record<string, string> }> = {
  'Loki protobuf: 4.9 M empty entries in snappy': () => ({
    url: '/loki/api/v1/push', payload: compressSync(emptyEntriesPush(4_900_000)), headers: { 'content-type': 'application/x-protobuf' }
  }),
  'Fluent Bit JSON: 3.3 M {} in gzip': () => ({
    url: '/v2/lm/logs', payload: gzipSync(`[${EMPTY_OBJECTS}]`), headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' }
  }),
  'Vector NDJSON: 3.3 M {} lines in gzip': () => ({
    url: '/v2/lm/logs', payload: gzipSync('{}\n'.repeat(3_300_000)), headers: { 'content-type': 'application/x-ndjson', 'content-encoding': 'gzip' }
  }),
  'native JSON: 3.3 M {} in gzip': () => ({
    url: '/v2/lm/executions/e-bomb/logs', payload: gzipSync(`[${EMPTY_OBJECTS}]`), headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' }
  }),
  'native JSON: 3.3 M {} under data.result, in gzip': () => ({
    url: '/v2/lm/executions/e-bomb/logs', payload: gzipSync(`{"data":{"result":[${EMPTY_OBJECTS}]}}`), headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' }
  }),
  'native NDJSON: 3.3 M {} lines in gzip': () => ({
    url: '/v2/lm/executions/e-bomb/logs', payload: gzipSync('{}\n'.repeat(3_300_000)), headers: { 'content-type': 'application/x-ndjson', 'content-encoding': 'gzip' }
  }),
  'Loki JSON: 3.3 M entries in gzip': () => ({
    url: '/loki/api/v1/push', payload: gzipSync(`{"streams":[{"stream":{"app":"bomb"},"values":[${EMPTY_ARRAYS}]}]}`), headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' }
  }),
  'nesting outside the items: {"x":[3.3 M {}]} in gzip': () => ({
    url: '/v2/lm/executions/e-bomb/logs', payload: gzipSync(`{"x":[${EMPTY_OBJECTS}]}`), headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' }
  })
}

for (const [what, make] of Object.entries(hostile)) {
  t.test(`${what}: 413 while decoding, no longer a stall than the legitimate batch`, async (t) => {
    const { url, payload, headers: extra } = make()
    t.ok(payload.length < 500 * 1024, `${payload.length} bytes on the wire`)
    const res = await measured(app, { method: 'POST', url, headers: { ...headers, ...extra }, payload })
    t.equal(res.status, 413, res.body.slice(0, 300))
    t.match(JSON.parse(res.body).error.message, /INGEST_MAX_LINES|INGEST_MAX_BYTES/)
    stalls[what] = res.stallMs
    t.comment(`longest event-loop stall: ${what} ${res.stallMs.toFixed(0)} ms; legitimate batch of ${MAX} lines ${stalls.legitimate?.toFixed(0)} ms`)
    // A shared machine's timers are noisy: the bound is the legitimate stall, with room for that noise.
    t.ok(res.stallMs <= Math.max((stalls.legitimate ?? 0) * 1.25, (stalls.legitimate ?? 0) + 100), `${res.stallMs.toFixed(0)} ms <= the legitimate batch's ${stalls.legitimate?.toFixed(0)} ms`)
  })
}

t.test('INGEST_MAX_LINES + 1 is refused and INGEST_MAX_LINES accepted, in every decoder', async (t) => {
  const { app } = await buildTestApp(t, { env: { INGEST_MAX_LINES: '3' } })
  const at = new Date(Date.now() - 60_000).toISOString()
  const line = { timestamp: at, msg: 'm' }
  const record = { time: at, log: 'm', kubernetes: { labels: { executionId: 'e-count' } } }
  const ns = String(BigInt(Date.now() - 60_000) * 1_000_000n)
  const bodies = (n: number): Array<[string, string, string | Buffer]> => [
    ['/v2/lm/executions/e-count/logs', 'application/json', JSON.stringify(Array(n).fill(line))],
    ['/v2/lm/executions/e-count/logs', 'application/json', JSON.stringify({ data: { result: Array(n).fill(line) } })],
    ['/v2/lm/executions/e-count/logs', 'application/x-ndjson', Array(n).fill(JSON.stringify(line)).join('\n')],
    ['/v2/lm/logs', 'application/json', JSON.stringify(Array(n).fill(record))],
    ['/v2/lm/logs', 'application/x-ndjson', Array(n).fill(JSON.stringify(record)).join('\n')],
    // Entries spread over two streams count together.
    ['/loki/api/v1/push', 'application/json', JSON.stringify({ streams: [{ stream: { executionId: 'e-count' }, values: Array(n - 1).fill([ns, 'm']) }, { stream: { executionId: 'e-count' }, values: [[ns, 'm']] }] })],
    ['/loki/api/v1/push', 'application/x-protobuf', compressSync(emptyEntriesPush(n))]
  ]
  for (const [url, type, payload] of bodies(4)) {
    const res = await app.inject({ method: 'POST', url, headers: { ...headers, 'content-type': type }, payload })
    expectError(t, res, 413, 'PayloadTooLarge', `${url} ${type}: 4 items`)
    t.same(res.json().error.details, { maxLines: 3 })
  }
  for (const [url, type, payload] of bodies(3)) {
    const res = await app.inject({ method: 'POST', url, headers: { ...headers, 'content-type': type }, payload })
    t.not(res.statusCode, 413, `${url} ${type}: 3 items are not too many (${res.statusCode})`)
  }
})

// Output formats (contract, "Reading further"): NDJSON and text equal the JSON result line for line, SSE
// carries the same items, gzip and br decode to the same bytes, and SAP's clients still get JSON.
import { brotliDecompressSync, gunzipSync } from 'node:zlib'
import type { LightMyRequestResponse } from 'fastify'
import t from 'tap'
import { authHeaders, buildTestApp } from './helpers/app.js'
import { expectError } from './helpers/errors.js'

const at = (iso: string): bigint => BigInt(Date.parse(iso)) * 1_000_000n
const NOW = at('2025-03-10T12:00:00.000Z')
const rfc3339 = (ns: bigint): string =>
  `${new Date(Number(ns / 1_000_000n)).toISOString().slice(0, 19)}.${String(ns % 1_000_000_000n).padStart(9, '0')}Z`

interface Item { container: string, msg: string, pod: string, stream: string, timestamp: string }

const { app } = await buildTestApp(t, { now: () => NOW, env: { STREAM_MAX_LINES: '6000' } })
const headers = await authHeaders()
const RUN = '/v2/lm/deployments/formats-1'
const lines = Array.from({ length: 5500 }, (_, i) => ({
  timestamp: rfc3339(NOW - 50n * 60_000_000_000n + BigInt(Math.floor(i / 4)) * 1_000_001n),
  msg: i % 100 === 0 ? `tricky "quotes" \\ tab\there é ✓ ${i}` : `line ${i}`,
  pod: `pod-${i % 3}`,
  container: i % 2 === 0 ? 'main' : 'sidecar',
  stream: i % 5 === 0 ? 'stderr' : 'stdout'
}))
for (let b = 0; b < lines.length; b += 2000) {
  const res = await app.inject({ method: 'POST', url: `${RUN}/logs`, headers, payload: lines.slice(b, b + 2000) })
  if (res.statusCode !== 200) throw new Error(res.body)
}

const get = async (query: string, extra: Record<string, string> = {}): Promise<LightMyRequestResponse> =>
  await app.inject({ url: `${RUN}/logs?${query}`, headers: { ...headers, ...extra } })
const jsonResult = async (query: string): Promise<Item[]> => (await get(query)).json().data.result as Item[]
const ndjsonItems = (body: string): Item[] => body.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Item)

t.test('NDJSON is the JSON result, one item per line, byte for byte', async (t) => {
  for (const query of ['$top=5000', '$top=17&$order=desc', 'stream=stderr&$top=300']) {
    const json = await get(query)
    const ndjson = await get(query, { accept: 'application/x-ndjson' })
    t.equal(ndjson.statusCode, 200)
    t.match(ndjson.headers['content-type'], /^application\/x-ndjson/)
    const items = (json.json().data.result as Item[]).map((i) => JSON.stringify(i))
    t.equal(ndjson.body, items.map((i) => i + '\n').join(''), query)
  }
})

t.test('text/plain is <timestamp> <stream> <msg>, line for line with the JSON result', async (t) => {
  const json = await jsonResult('$top=1000')
  const text = await get('$top=1000', { accept: 'text/plain' })
  t.match(text.headers['content-type'], /^text\/plain/)
  t.equal(text.body, json.map((i) => `${i.timestamp} ${i.stream} ${i.msg}\n`).join(''))
})

t.test('SSE without follow sends the range as events, each with a cursor id, then ends', async (t) => {
  const json = await jsonResult('$top=30')
  const sse = await get('$top=30', { accept: 'text/event-stream' })
  t.match(sse.headers['content-type'], /^text\/event-stream/)
  const events = sse.body.split('\n\n').filter((e) => e !== '')
  t.same(events.map((e) => JSON.parse(e.split('\n').find((l) => l.startsWith('data: '))?.slice(6) ?? '') as Item), json)
  const id = events[9]?.split('\n')[0]?.replace(/^id: /, '') ?? ''
  t.same(await jsonResult(`$top=20&cursor=${id}`), json.slice(10), 'an event id continues after its line')
})

t.test('streamed formats go past 5000 lines, up to STREAM_MAX_LINES, in keyset batches; JSON stays at 5000', async (t) => {
  const all = ndjsonItems((await get('$top=6000', { accept: 'application/x-ndjson' })).body)
  t.equal(all.length, 5500)
  t.same(all.slice(0, 5000), await jsonResult('$top=5000'))
  const desc = ndjsonItems((await get('$top=5200&$order=desc', { accept: 'application/x-ndjson' })).body)
  t.same(desc, [...all].reverse().slice(0, 5200))
  const tooMany = await get('$top=5001')
  t.equal(tooMany.statusCode, 400)
  t.equal(tooMany.json().error.message, 'Invalid query parameter $top: must be an integer from 1 to 5000.')
  t.equal((await get('$top=6001', { accept: 'application/x-ndjson' })).statusCode, 400, 'past STREAM_MAX_LINES')
})

t.test('gzip and br bodies decode to the same bytes, for every format; Vary names what was negotiated', async (t) => {
  for (const accept of ['application/json', 'application/x-ndjson', 'text/plain', 'text/event-stream']) {
    const plain = await get('$top=2000', { accept })
    t.equal(plain.headers['content-encoding'], undefined)
    t.match(plain.headers.vary, /Accept-Encoding/)
    const gz = await get('$top=2000', { accept, 'accept-encoding': 'gzip, deflate' })
    t.equal(gz.headers['content-encoding'], 'gzip', accept)
    t.equal(gunzipSync(gz.rawPayload).toString(), plain.body, `${accept} gzip`)
    const br = await get('$top=2000', { accept, 'accept-encoding': 'br;q=1, gzip;q=0.5' })
    t.equal(br.headers['content-encoding'], 'br', accept)
    t.equal(brotliDecompressSync(br.rawPayload).toString(), plain.body, `${accept} br`)
    t.ok(br.rawPayload.length < plain.rawPayload.length / 3, 'smaller')
  }
  const none = await get('$top=5', { 'accept-encoding': 'identity, gzip;q=0' })
  t.equal(none.headers['content-encoding'], undefined, 'gzip;q=0 is refused')
})

t.test('SAP clients\' Accept values and unknown ones get the JSON body', async (t) => {
  const json = (await get('$top=3')).body
  for (const accept of ['application/json', '*/*', 'application/json, text/plain, */*', 'text/html', 'application/xml', 'application/x-ndjson;q=0, application/json']) {
    const res = await get('$top=3', { accept })
    t.match(res.headers['content-type'], /^application\/json/, accept)
    t.equal(res.body, json, accept)
  }
  t.match((await get('$top=3', { accept: 'application/json;q=0.5, text/plain' })).headers['content-type'], /^text\/plain/, 'the higher q wins')
})

t.test('a streamed read of a run never seen is a 404 with the error body, not an empty stream', async (t) => {
  const res = await app.inject({ url: '/v2/lm/deployments/never-seen/logs', headers: { ...headers, accept: 'application/x-ndjson' } })
  expectError(t, res, 404, 'NotFound')
})

// Shippers' stock outputs: Fluent Bit and Vector to POST /v2/lm/logs, Promtail and Alloy to Loki's push API.
// Each fixture (test/fixtures/README.md) is ingested and read back through the GET endpoints.
import { readFileSync } from 'node:fs'
import { setTimeout as sleep } from 'node:timers/promises'
import { gzipSync } from 'node:zlib'
import type { InjectOptions, LightMyRequestResponse } from 'fastify'
import { compressSync } from 'snappy'
import t from 'tap'
import { PushRequest } from '../src/ingest/loki-proto.js'
import { parseRfc3339, type Instant } from '../src/time.js'
import { authHeaders, buildTestApp, type TokenClaims } from './helpers/app.js'
import { expectError } from './helpers/errors.js'
import { countStored } from './helpers/database.js'

type Test = Parameters<Parameters<typeof t.test>[0]>[0]

const NOW: Instant = parseRfc3339('2024-06-15T12:00:00Z')
const WIDE_RANGE = 'start=2024-06-15T00:00:00Z&end=2024-06-16T00:00:00Z&$top=5000'
const fixture = (name: string): Buffer => readFileSync(new URL(`fixtures/${name}`, import.meta.url))

interface ReadLine { container: string, msg: string, pod: string, stream: string, timestamp: string }

async function service (t: Test, opts: { env?: Record<string, string>, claims?: TokenClaims } = {}) {
  const { app, databaseUrl } = await buildTestApp(t, { now: () => NOW, env: opts.env })
  const headers = await authHeaders(opts.claims)
  const post = async (url: string, payload: InjectOptions['payload'], extra: Record<string, string>): Promise<LightMyRequestResponse> =>
    await app.inject({ method: 'POST', url, headers: { ...headers, ...extra }, payload })
  const read = async (run: string, group: string): Promise<ReadLine[]> => {
    const res = await app.inject({ method: 'GET', url: `/v2/lm/${run}/logs?${WIDE_RANGE}`, headers: { ...(await authHeaders()), 'ai-resource-group': group } })
    t.equal(res.statusCode, 200, `GET ${run} in ${group}: ${res.body}`)
    return res.json().data.result
  }
  const stored = async (): Promise<{ runs: number, lines: number }> => await countStored(databaseUrl)
  return { app, post, read, stored }
}

const JSON_TYPE = { 'content-type': 'application/json' }
const NDJSON_TYPE = { 'content-type': 'application/x-ndjson' }
const PROTOBUF_TYPE = { 'content-type': 'application/x-protobuf' }

/** What Fluent Bit's fixtures read back as: microseconds, as Fluent Bit prints its record time. */
async function expectFluentBitLines (t: Test, s: Awaited<ReturnType<typeof service>>): Promise<void> {
  t.strictSame(await s.read('deployments/d-fb0001', 'team-a'), [
    { container: 'kserve-container', msg: 'loading model weights from /mnt/models', pod: 'd-fb0001-predictor-7d9c5b-x2x7q', stream: 'stdout', timestamp: '2024-06-15T11:59:57.123456+00:00' },
    { container: 'kserve-container', msg: 'WARNING: GPU not found, using CPU', pod: 'd-fb0001-predictor-7d9c5b-x2x7q', stream: 'stderr', timestamp: '2024-06-15T11:59:57.999999+00:00' }
  ], 'the deployment\'s lines, in its label\'s group, to the microsecond; the runtime\'s trailing newline dropped')
  t.strictSame(await s.read('executions/e-fb0002', 'default'), [
    { container: 'main', msg: 'step 1/3 "prepare" done', pod: 'e-fb0002-step-1-2718281828', stream: 'stdout', timestamp: '2024-06-15T11:59:58.000001+00:00' }
  ], 'a pod without a group label writes to the request\'s group')
}

t.test('Fluent Bit, Format json with json_date_format double: records land in their runs with microseconds', async (t) => {
  const s = await service(t)
  const res = await s.post('/v2/lm/logs', fixture('fluent-bit-json.json'), JSON_TYPE)
  t.equal(res.statusCode, 200, res.body)
  t.strictSame(res.json(), { accepted: 3, unmatched: 1, unmatchedSamples: [{ index: 3, reason: 'no deployment or execution id label' }] })
  await expectFluentBitLines(t, s)
})

t.test('Fluent Bit, Format json_lines with json_date_format iso8601, gzip', async (t) => {
  const s = await service(t)
  const res = await s.post('/v2/lm/logs', gzipSync(fixture('fluent-bit-json-lines.ndjson')), { ...NDJSON_TYPE, 'content-encoding': 'gzip' })
  t.equal(res.statusCode, 200, res.body)
  t.strictSame(res.json(), { accepted: 3, unmatched: 1, unmatchedSamples: [{ index: 3, reason: 'no deployment or execution id label' }] })
  await expectFluentBitLines(t, s)
})

async function expectVectorLines (t: Test, s: Awaited<ReturnType<typeof service>>): Promise<void> {
  t.strictSame(await s.read('deployments/d-vc0001', 'team-a'), [
    { container: 'kserve-container', msg: 'loading model weights from /mnt/models', pod: 'd-vc0001-predictor-5f6d7c-abcde', stream: 'stdout', timestamp: '2024-06-15T11:59:57.123456789+00:00' },
    { container: 'kserve-container', msg: 'WARNING: GPU not found, using CPU', pod: 'd-vc0001-predictor-5f6d7c-abcde', stream: 'stderr', timestamp: '2024-06-15T11:59:57.999999512+00:00' }
  ], 'nanoseconds, as Vector sends them')
  t.strictSame(await s.read('executions/e-vc0002', 'default'), [
    { container: 'main', msg: 'step 1/3 "prepare" done', pod: 'e-vc0002-step-1-3141592653', stream: 'stdout', timestamp: '2024-06-15T11:59:58.000001+00:00' }
  ])
}

t.test('Vector, http sink with the json codec (an array): runs, pods, containers, streams, nanoseconds', async (t) => {
  const s = await service(t)
  const res = await s.post('/v2/lm/logs', fixture('vector-json.json'), JSON_TYPE)
  t.equal(res.statusCode, 200, res.body)
  t.strictSame(res.json(), { accepted: 3, unmatched: 1, unmatchedSamples: [{ index: 3, reason: 'no deployment or execution id label' }] })
  await expectVectorLines(t, s)
})

t.test('Vector, http sink with newline_delimited framing', async (t) => {
  const s = await service(t)
  const res = await s.post('/v2/lm/logs', fixture('vector-ndjson.ndjson'), NDJSON_TYPE)
  t.equal(res.statusCode, 200, res.body)
  t.equal(res.json().accepted, 3)
  await expectVectorLines(t, s)
})

async function expectLokiLines (t: Test, s: Awaited<ReturnType<typeof service>>): Promise<void> {
  t.strictSame(await s.read('deployments/d-lk0001', 'team-a'), [
    { container: 'kserve-container', msg: 'loading model weights from /mnt/models', pod: 'd-lk0001-predictor-6b7c8d-fghij', stream: 'stdout', timestamp: '2024-06-15T11:59:57.123456789+00:00' },
    { container: 'kserve-container', msg: 'WARNING: GPU not found, using CPU', pod: 'd-lk0001-predictor-6b7c8d-fghij', stream: 'stderr', timestamp: '2024-06-15T11:59:57.500000001+00:00' },
    { container: 'kserve-container', msg: 'serving on :8080', pod: 'd-lk0001-predictor-6b7c8d-fghij', stream: 'stdout', timestamp: '2024-06-15T11:59:57.999999512+00:00' }
  ], 'all 9 digits of Loki\'s nanosecond strings')
  t.strictSame(await s.read('executions/e-lk0002', 'default'), [
    { container: 'main', msg: 'step 1/3 "prepare" done', pod: 'e-lk0002-step-1-1414213562', stream: 'stdout', timestamp: '2024-06-15T11:59:58.000001+00:00' }
  ])
}

const LOKI_ANSWER = { accepted: 4, unmatched: 2, unmatchedSamples: [{ index: 3, reason: 'no deployment or execution id label' }] }

t.test('Loki push API, JSON body with gzip: stream labels name the run', async (t) => {
  const s = await service(t)
  const res = await s.post('/loki/api/v1/push', gzipSync(fixture('loki-push.json')), { ...JSON_TYPE, 'content-encoding': 'gzip' })
  t.equal(res.statusCode, 200, res.body)
  t.strictSame(res.json(), LOKI_ANSWER, 'unmatched counts entries; the sample names the stream')
  await expectLokiLines(t, s)
})

t.test('Loki push API, snappy-compressed protobuf as Promtail and Alloy send it', async (t) => {
  const s = await service(t)
  const res = await s.post('/loki/api/v1/push', fixture('loki-push.pb.snappy'), PROTOBUF_TYPE)
  t.equal(res.statusCode, 200, res.body)
  t.strictSame(res.json(), LOKI_ANSWER)
  await expectLokiLines(t, s)
})

t.test('Loki\'s tenant header X-Scope-OrgID names the group when AI-Resource-Group is absent', async (t) => {
  const s = await service(t)
  const body = { streams: [{ stream: { deploymentId: 'd-tenant1', pod: 'p' }, values: [['1718452790000000000', 'hello']] }] }
  const res = await s.post('/loki/api/v1/push', JSON.stringify(body), { ...JSON_TYPE, 'x-scope-orgid': 'tenant-b' })
  t.equal(res.json().accepted, 1, res.body)
  t.same((await s.read('deployments/d-tenant1', 'tenant-b')).map((l) => l.msg), ['hello'])
})

t.test('a group label the token does not allow is unmatched, never stored; the header group must be allowed (403)', async (t) => {
  const s = await service(t, { claims: { groups: ['team-a'] } })
  const records = [
    { date: 1718452790.5, log: 'mine', kubernetes: { labels: { deploymentId: 'd-group1', resourceGroup: 'team-a' } } },
    { date: 1718452790.5, log: 'theirs', kubernetes: { labels: { deploymentId: 'd-group1', resourceGroup: 'team-b' } } }
  ]
  const res = await s.post('/v2/lm/logs', JSON.stringify(records), { ...JSON_TYPE, 'ai-resource-group': 'team-a' })
  t.strictSame(res.json(), { accepted: 1, unmatched: 1, unmatchedSamples: [{ index: 1, reason: 'the token may not act in resource group team-b' }] })
  t.same((await s.read('deployments/d-group1', 'team-a')).map((l) => l.msg), ['mine'])
  const other = await s.app.inject({ method: 'GET', url: `/v2/lm/deployments/d-group1/logs?${WIDE_RANGE}`, headers: { ...(await authHeaders()), 'ai-resource-group': 'team-b' } })
  t.equal(other.statusCode, 404, 'nothing of the run in team-b')
  expectError(t, await s.post('/v2/lm/logs', JSON.stringify(records), { ...JSON_TYPE, 'ai-resource-group': 'team-b' }), 403, 'Forbidden')
  expectError(t, await s.post('/v2/lm/logs', JSON.stringify(records), JSON_TYPE), 403, 'Forbidden')
})

t.test('each reason a record names no run it may store to is counted and reported', async (t) => {
  const s = await service(t)
  const at = { date: 1718452790 }
  const records = [
    { ...at, log: 'no labels' },
    { ...at, log: 'bad id', kubernetes: { labels: { deploymentId: 'x' } } },
    { ...at, log: 'bad group', kubernetes: { labels: { deploymentId: 'd-reason1', resourceGroup: '-' } } },
    { ...at, log: 'stored', kubernetes: { labels: { executionId: 'e-reason1' } } },
    { ...at, log: 42, kubernetes: { labels: {} } }
  ]
  const res = await s.post('/v2/lm/logs', JSON.stringify(records), JSON_TYPE)
  t.strictSame(res.json(), {
    accepted: 1,
    unmatched: 4,
    unmatchedSamples: [
      { index: 0, reason: 'no deployment or execution id label' },
      { index: 1, reason: 'the run id label is not 4 to 64 letters, digits, underscores, dots or dashes' },
      { index: 2, reason: 'the resource group label is not a valid resource group' },
      { index: 4, reason: 'no deployment or execution id label' }
    ]
  }, 'an unmatched record is not checked further (its log is not a string)')
  t.same(await s.stored(), { runs: 1, lines: 1 })
})

t.test('a record that cannot be stored rejects the batch with its index, and nothing is stored', async (t) => {
  const s = await service(t)
  const good = { date: 1718452790.25, log: 'fine', kubernetes: { labels: { deploymentId: 'd-bad001' } } }
  const cases: Array<[unknown, string | undefined]> = [
    ['not an object', undefined],
    [{ ...good, log: undefined, message: undefined }, 'message'],
    [{ ...good, log: 42 }, 'message'],
    [{ ...good, date: undefined }, 'timestamp'],
    [{ ...good, date: 'yesterday' }, 'timestamp'],
    [{ ...good, date: 1518452790 }, 'timestamp'], // past retention
    [{ ...good, date: 1818452790 }, 'timestamp'], // far in the future
    [{ ...good, kubernetes: { labels: good.kubernetes.labels, pod_name: ['x'] } }, 'pod'],
    [{ ...good, log: 'nul \u0000 inside' }, 'message']
  ]
  for (const [bad, field] of cases) {
    const res = await s.post('/v2/lm/logs', JSON.stringify([good, good, bad, good]), JSON_TYPE)
    const error = expectError(t, res, 400, 'InvalidRequest')
    t.strictSame(error.details, field === undefined ? { index: 2 } : { index: 2, field }, error.message)
    t.match(error.message, /^Record 2 /)
  }
  const notJson = await s.post('/v2/lm/logs', `${JSON.stringify(good)}\n{"log": \n`, NDJSON_TYPE)
  t.strictSame(expectError(t, notJson, 400, 'InvalidRequest').details, { index: 1 })
  const lokiBad = { streams: [{ stream: { deploymentId: 'd-bad001' }, values: [['1718452790000000000', 'ok'], ['17184527.9', 'bad time']] }] }
  t.strictSame(expectError(t, await s.post('/loki/api/v1/push', JSON.stringify(lokiBad), JSON_TYPE), 400, 'InvalidRequest').details, { stream: 0, index: 1 })
  t.same(await s.stored(), { runs: 0, lines: 0 })
})

t.test('a message over LINE_MAX_BYTES is a 400 naming the record, in every format', async (t) => {
  const s = await service(t, { env: { LINE_MAX_BYTES: '1000' } })
  const labels = { deploymentId: 'd-long01' }
  const records = [{ date: 1718452790, log: 'x'.repeat(1000), kubernetes: { labels } }, { date: 1718452790, log: 'y'.repeat(1001), kubernetes: { labels } }]
  const res = await s.post('/v2/lm/logs', JSON.stringify(records), JSON_TYPE)
  t.strictSame(expectError(t, res, 400, 'InvalidRequest').details, { index: 1, field: 'message' })
  const loki = { streams: [{ stream: labels, values: [['1718452790000000000', 'z'.repeat(1001)]] }] }
  t.strictSame(expectError(t, await s.post('/loki/api/v1/push', JSON.stringify(loki), JSON_TYPE), 400, 'InvalidRequest').details, { stream: 0, index: 0 })
  const proto = compressSync(Buffer.from(PushRequest.encode(PushRequest.fromObject({
    streams: [{ labels: '{deploymentId="d-long01"}', entries: [{ timestamp: { seconds: 1718452790, nanos: 0 }, line: 'p'.repeat(1001) }] }]
  })).finish()))
  t.strictSame(expectError(t, await s.post('/loki/api/v1/push', proto, PROTOBUF_TYPE), 400, 'InvalidRequest').details, { stream: 0, index: 0 })
  t.same(await s.stored(), { runs: 0, lines: 0 })
})

t.test('a gzip bomb is refused with 413 without inflating it all, on both collector endpoints', async (t) => {
  const s = await service(t, { env: { INGEST_MAX_BYTES: String(1024 * 1024) } })
  // 10 MB of zeros compresses to about 10 KB; 100 such members would inflate to 1 GB.
  const member = gzipSync(Buffer.alloc(10 * 1024 * 1024))
  t.ok(member.length < 20_000, `${member.length} bytes on the wire`)
  const bomb = Buffer.concat(Array.from({ length: 100 }, () => member))
  for (const [url, type] of [['/v2/lm/logs', JSON_TYPE], ['/v2/lm/logs', NDJSON_TYPE], ['/loki/api/v1/push', JSON_TYPE]] as const) {
    const started = performance.now()
    const res = await s.post(url, bomb, { ...type, 'content-encoding': 'gzip' })
    const ms = performance.now() - started
    expectError(t, res, 413, 'PayloadTooLarge')
    t.ok(ms < 1000, `${url} answered in ${Math.round(ms)} ms (inflating 1 GB takes seconds)`)
    const before = process.cpuUsage()
    await sleep(300)
    const used = process.cpuUsage(before)
    t.ok((used.user + used.system) / 1000 < 200, 'and inflates no further after answering')
  }
  t.same(await s.stored(), { runs: 0, lines: 0 })
})

t.test('a snappy body declaring more than INGEST_MAX_BYTES is refused before it is decompressed', async (t) => {
  const s = await service(t, { env: { INGEST_MAX_BYTES: String(64 * 1024) } })
  const big = compressSync(Buffer.alloc(1024 * 1024))
  t.ok(big.length < 64 * 1024, 'small on the wire')
  expectError(t, await s.post('/loki/api/v1/push', big, PROTOBUF_TYPE), 413, 'PayloadTooLarge')
  // A header that lies (4 GiB declared, a few bytes given) is refused on the header alone.
  expectError(t, await s.post('/loki/api/v1/push', Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f, 0x00]), PROTOBUF_TYPE), 413, 'PayloadTooLarge')
  expectError(t, await s.post('/loki/api/v1/push', Buffer.from('not snappy at all'), PROTOBUF_TYPE), 400, 'InvalidRequest')
})

t.test('INGEST_MAX_LINES bounds the records of one batch (413)', async (t) => {
  const s = await service(t, { env: { INGEST_MAX_LINES: '3' } })
  const record = { date: 1718452790, log: 'm', kubernetes: { labels: { deploymentId: 'd-many01' } } }
  expectError(t, await s.post('/v2/lm/logs', JSON.stringify([record, record, record, record]), JSON_TYPE), 413, 'PayloadTooLarge')
  t.equal((await s.post('/v2/lm/logs', JSON.stringify([record, record, record]), JSON_TYPE)).json().accepted, 3)
  const loki = { streams: [{ stream: { deploymentId: 'd-many01' }, values: [['1718452790000000000', 'a'], ['1718452790000000001', 'b']] }] }
  expectError(t, await s.post('/loki/api/v1/push', JSON.stringify({ streams: [...loki.streams, ...loki.streams] }), JSON_TYPE), 413, 'PayloadTooLarge')
})

t.test('concurrent batches spanning the same runs in different orders are all stored, with no deadlock', async (t) => {
  const s = await service(t)
  const runs = Array.from({ length: 8 }, (_, i) => `d-conc${String(i).padStart(2, '0')}`)
  const batches = Array.from({ length: 12 }, (_, b) => {
    const order = b % 2 === 0 ? runs : [...runs].reverse()
    return order.flatMap((id) => Array.from({ length: 25 }, (_, i) => ({ date: 1718452790 + i / 1000, log: `b${b} ${id} ${i}`, kubernetes: { labels: { deploymentId: id } } })))
  })
  const answers = await Promise.all(batches.map(async (batch) => await s.post('/v2/lm/logs', JSON.stringify(batch), JSON_TYPE)))
  t.same(answers.map((r) => r.statusCode), batches.map(() => 200))
  t.same(await s.stored(), { runs: 8, lines: 12 * 8 * 25 })
  const lines = await s.read('deployments/d-conc00', 'default')
  t.equal(lines.length, 12 * 25)
})

t.test('the field mapping is configurable through COLLECTOR_* settings', async (t) => {
  const s = await service(t, {
    env: {
      COLLECTOR_LABEL_FIELDS: 'meta.tags',
      COLLECTOR_DEPLOYMENT_ID_LABELS: 'app.run',
      COLLECTOR_MESSAGE_FIELDS: 'body.text',
      COLLECTOR_TIMESTAMP_FIELDS: '@timestamp',
      COLLECTOR_POD_FIELDS: 'host.name',
      COLLECTOR_CONTAINER_FIELDS: 'svc',
      COLLECTOR_STREAM_FIELDS: 'level'
    }
  })
  const record = { '@timestamp': '2024-06-15T11:00:00.5Z', body: { text: 'custom' }, meta: { tags: { 'app.run': 'd-custom1' } }, host: { name: 'h1' }, svc: 'api', level: 'info' }
  t.equal((await s.post('/v2/lm/logs', JSON.stringify([record]), JSON_TYPE)).json().accepted, 1)
  t.strictSame(await s.read('deployments/d-custom1', 'default'), [
    { container: 'api', msg: 'custom', pod: 'h1', stream: 'info', timestamp: '2024-06-15T11:00:00.500+00:00' }
  ])
})

t.test('the collector endpoints need logs.write and answer 415 for a type they do not take', async (t) => {
  const s = await service(t, { claims: { scope: 'logs.read' } })
  expectError(t, await s.post('/v2/lm/logs', fixture('vector-json.json'), JSON_TYPE), 403, 'Forbidden')
  const writer = await service(t)
  expectError(t, await writer.post('/v2/lm/logs', fixture('loki-push.pb.snappy'), PROTOBUF_TYPE), 415, 'UnsupportedMediaType')
  expectError(t, await writer.post('/loki/api/v1/push', fixture('vector-ndjson.ndjson'), NDJSON_TYPE), 415, 'UnsupportedMediaType')
  expectError(t, await writer.post('/v2/lm/logs', 'text', { 'content-type': 'text/plain' }), 415, 'UnsupportedMediaType')
})

// OTLP/HTTP logs ingest, POST /v1/logs: the OpenTelemetry JS SDK's own exporters (protobuf and JSON) send to
// the listening service and the lines read back exactly; partial success, limits, errors and tenancy.
import { gzipSync } from 'node:zlib'
import { SeverityNumber } from '@opentelemetry/api-logs'
import { OTLPLogExporter as HttpJsonExporter } from '@opentelemetry/exporter-logs-otlp-http'
import { OTLPLogExporter as ProtobufExporter } from '@opentelemetry/exporter-logs-otlp-proto'
import { resourceFromAttributes } from '@opentelemetry/resources'
import { LoggerProvider, SimpleLogRecordProcessor, type LogRecordExporter } from '@opentelemetry/sdk-logs'
import type { LightMyRequestResponse } from 'fastify'
import t from 'tap'
import { NS_PER_SECOND, parseRfc3339, type Instant } from '../src/time.js'
import { authHeaders, buildTestApp, type TokenClaims } from './helpers/app.js'
import { countStored } from './helpers/database.js'
import { expectError } from './helpers/errors.js'
import { attr, encodeLogsRequest, ExportLogsServiceResponse, RpcStatus } from './helpers/otlp.js'

type Test = Parameters<Parameters<typeof t.test>[0]>[0]

const NOW: Instant = parseRfc3339('2024-06-15T12:00:00Z')
const SECONDS = Number(NOW / NS_PER_SECOND)
const WIDE_RANGE = 'start=2024-06-15T00:00:00Z&end=2024-06-16T00:00:00Z&$top=5000'
const PROTOBUF = { 'content-type': 'application/x-protobuf' }
const JSON_TYPE = { 'content-type': 'application/json' }

async function service (t: Test, opts: { env?: Record<string, string>, claims?: TokenClaims } = {}) {
  const { app, databaseUrl } = await buildTestApp(t, { now: () => NOW, env: opts.env })
  const headers = await authHeaders(opts.claims)
  const post = async (url: string, payload: Buffer | string, extra: Record<string, string>): Promise<LightMyRequestResponse> =>
    await app.inject({ method: 'POST', url, headers: { ...headers, ...extra }, payload })
  const read = async (run: string, group = 'default') => {
    const res = await app.inject({ method: 'GET', url: `/v2/lm/${run}/logs?${WIDE_RANGE}`, headers: { ...(await authHeaders()), 'ai-resource-group': group } })
    t.equal(res.statusCode, 200, `GET ${run} in ${group}: ${res.body}`)
    return res.json().data.result
  }
  return { app, headers, post, read, stored: async () => await countStored(databaseUrl) }
}

/** Emits records through the SDK's LoggerProvider into `exporter`, and waits until they are exported. */
async function emitThrough (exporter: LogRecordExporter, resource: Record<string, string>, records: Parameters<ReturnType<LoggerProvider['getLogger']>['emit']>[0][]): Promise<void> {
  const provider = new LoggerProvider({ resource: resourceFromAttributes(resource), processors: [new SimpleLogRecordProcessor({ exporter })] })
  const logger = provider.getLogger('trainer', '1.0.0')
  for (const record of records) logger.emit(record)
  await provider.forceFlush()
  await provider.shutdown()
}

const POD = { 'k8s.pod.name': 'e-otel0001-step-1-abc', 'k8s.container.name': 'main', 'k8s.pod.labels.ai.sap.com/executionId': 'e-otel0001' }

const SDK_RECORDS = [
  { timestamp: [SECONDS - 3, 123456789] as [number, number], severityNumber: SeverityNumber.INFO, body: 'epoch 1 loss=0.42' },
  { timestamp: [SECONDS - 2, 1] as [number, number], severityNumber: SeverityNumber.ERROR, body: 'CUDA out of memory' },
  { timestamp: [SECONDS - 1, 500000000] as [number, number], severityNumber: SeverityNumber.WARN, body: { step: 3, ok: true, tags: ['a', 'b'] }, attributes: { 'log.iostream': 'stderr' } }
]

const SDK_LINES = [
  { container: 'main', msg: 'epoch 1 loss=0.42', pod: 'e-otel0001-step-1-abc', stream: 'stdout', timestamp: '2024-06-15T11:59:57.123456789+00:00' },
  { container: 'main', msg: 'CUDA out of memory', pod: 'e-otel0001-step-1-abc', stream: 'stderr', timestamp: '2024-06-15T11:59:58.000000001+00:00' },
  { container: 'main', msg: '{"step":3,"ok":true,"tags":["a","b"]}', pod: 'e-otel0001-step-1-abc', stream: 'stderr', timestamp: '2024-06-15T11:59:59.500+00:00' }
]

for (const [name, Exporter, compression] of [
  ['protobuf (exporter-logs-otlp-proto)', ProtobufExporter, 'none'],
  ['JSON (exporter-logs-otlp-http), gzip', HttpJsonExporter, 'gzip']
] as const) {
  t.test(`the OpenTelemetry SDK's ${name} exporter: lines land in the pod label's run, nanoseconds exact`, async (t) => {
    const s = await service(t)
    const base = await s.app.listen({ host: '127.0.0.1', port: 0 })
    const exporter = new Exporter({ url: `${base}/v1/logs`, headers: { ...s.headers, 'ai-resource-group': 'team-otel' }, compression: compression as never })
    await emitThrough(exporter, POD, SDK_RECORDS)
    t.strictSame(await s.read('executions/e-otel0001', 'team-otel'), SDK_LINES,
      'string bodies as is, others as compact JSON; stream from log.iostream, else stderr for ERROR')
  })
}

t.test('/otlp/v1/logs serves the same, for a Collector whose otlphttp endpoint ends in /otlp', async (t) => {
  const s = await service(t)
  const base = await s.app.listen({ host: '127.0.0.1', port: 0 })
  await emitThrough(new ProtobufExporter({ url: `${base}/otlp/v1/logs`, headers: s.headers }), { ...POD, 'k8s.pod.labels.ai.sap.com/executionId': 'e-otel0002' }, SDK_RECORDS.slice(0, 1))
  t.same((await s.read('executions/e-otel0002')).map((l: { msg: string }) => l.msg), ['epoch 1 loss=0.42'])
})

/** A Collector-style request: a resource per pod, records with attributes, as OTLP's JSON mapping. */
function collectorRequest (records: object[], resource: object[] = [attr('k8s.pod.name', 'd-col0001-pred'), attr('k8s.container.name', 'kserve')]) {
  return { resourceLogs: [{ resource: { attributes: resource }, scopeLogs: [{ scope: {}, logRecords: records }] }] }
}

const TS = (ns: Instant) => String(ns)

t.test('partial success: records naming no run, or too old, are rejected and counted; the others are stored (JSON)', async (t) => {
  const s = await service(t)
  const body = collectorRequest([
    { timeUnixNano: TS(NOW - NS_PER_SECOND), body: { stringValue: 'kept' }, attributes: [attr('ai.sap.com/deploymentId', 'd-col0001')] },
    { timeUnixNano: TS(NOW), body: { stringValue: 'no run' } },
    { timeUnixNano: '0', observedTimeUnixNano: TS(NOW - 40n * 86_400n * NS_PER_SECOND), body: { stringValue: 'too old' }, attributes: [attr('deploymentId', 'd-col0001')] },
    { timeUnixNano: '0', observedTimeUnixNano: TS(NOW - 2n), body: { intValue: '9007199254740993' }, attributes: [attr('deploymentId', 'd-col0001')] }
  ])
  const res = await s.post('/v1/logs', JSON.stringify(body), JSON_TYPE)
  t.equal(res.statusCode, 200, res.body)
  t.match(res.headers['content-type'], /^application\/json/)
  const answer = res.json()
  t.equal(answer.partialSuccess.rejectedLogRecords, '2', 'int64 as a string')
  t.match(answer.partialSuccess.errorMessage, /record 1: no deployment or execution id label; record 2: timestamp is older than the retention period/)
  t.strictSame(await s.read('deployments/d-col0001'), [
    { container: 'kserve', msg: 'kept', pod: 'd-col0001-pred', stream: 'stdout', timestamp: '2024-06-15T11:59:59.000+00:00' },
    { container: 'kserve', msg: '9007199254740993', pod: 'd-col0001-pred', stream: 'stdout', timestamp: '2024-06-15T11:59:59.999999998+00:00' }
  ], 'observedTimeUnixNano when timeUnixNano is 0; int64 bodies exact')
})

t.test('protobuf: the answer is an ExportLogsServiceResponse in protobuf; all stored means no partial_success', async (t) => {
  const s = await service(t)
  const records = [{ timeUnixNano: TS(NOW - 5n), severityNumber: 17, body: { stringValue: 'boom' }, attributes: [attr('executionId', 'e-col0002')] }]
  const ok = await s.post('/v1/logs', encodeLogsRequest(collectorRequest(records)), PROTOBUF)
  t.equal(ok.statusCode, 200)
  t.equal(ok.headers['content-type'], 'application/x-protobuf')
  t.strictSame(ExportLogsServiceResponse.toObject(ExportLogsServiceResponse.decode(ok.rawPayload)), {}, 'empty response')
  t.same((await s.read('executions/e-col0002')).map((l: { stream: string }) => l.stream), ['stderr'])

  const partial = await s.post('/v1/logs', encodeLogsRequest(collectorRequest([{ timeUnixNano: TS(NOW), body: { stringValue: 'x' } }])), PROTOBUF)
  const decoded = ExportLogsServiceResponse.toObject(ExportLogsServiceResponse.decode(partial.rawPayload), { longs: String })
  t.equal(decoded.partialSuccess.rejectedLogRecords, '1')
  t.match(decoded.partialSuccess.errorMessage, /record 0: no deployment or execution id label/)
})

t.test('gzip request bodies, JSON and protobuf', async (t) => {
  const s = await service(t)
  const body = collectorRequest([{ timeUnixNano: TS(NOW - 1n), body: { stringValue: 'zipped' }, attributes: [attr('deploymentId', 'd-gzip0001')] }])
  t.equal((await s.post('/v1/logs', gzipSync(JSON.stringify(body)), { ...JSON_TYPE, 'content-encoding': 'gzip' })).statusCode, 200)
  t.equal((await s.post('/v1/logs', gzipSync(encodeLogsRequest(body)), { ...PROTOBUF, 'content-encoding': 'gzip' })).statusCode, 200)
  t.same((await s.read('deployments/d-gzip0001')).map((l: { msg: string }) => l.msg), ['zipped', 'zipped'])
})

t.test('INGEST_MAX_LINES counts records while decoding: one past it is 413 and nothing is stored', async (t) => {
  const s = await service(t, { env: { INGEST_MAX_LINES: '2' } })
  const record = { timeUnixNano: TS(NOW), body: { stringValue: 'x' }, attributes: [attr('deploymentId', 'd-limit001')] }
  const body = collectorRequest([record, record, record])
  expectError(t, await s.post('/v1/logs', JSON.stringify(body), JSON_TYPE), 413, 'PayloadTooLarge')
  const proto = await s.post('/v1/logs', encodeLogsRequest(body), PROTOBUF)
  t.equal(proto.statusCode, 413)
  const status = RpcStatus.toObject(RpcStatus.decode(proto.rawPayload)) as { code: number, message: string }
  t.equal(status.code, 11, 'OUT_OF_RANGE')
  t.match(status.message, /INGEST_MAX_LINES/)
  t.equal((await s.post('/v1/logs', JSON.stringify(collectorRequest([record, record])), JSON_TYPE)).statusCode, 200, 'two are fine')
  t.same(await s.stored(), { runs: 1, lines: 2 })
})

t.test('a malformed body is a 400 that is not retried: a google.rpc.Status for protobuf, the error body for JSON', async (t) => {
  const s = await service(t)
  const proto = await s.post('/v1/logs', Buffer.from([0x0a, 0xff, 0x01, 0x02]), PROTOBUF)
  t.equal(proto.statusCode, 400)
  t.equal(proto.headers['content-type'], 'application/x-protobuf')
  t.equal((RpcStatus.toObject(RpcStatus.decode(proto.rawPayload)) as { code: number }).code, 3, 'INVALID_ARGUMENT')
  expectError(t, await s.post('/v1/logs', '{"resourceLogs": 5}', JSON_TYPE), 400, 'InvalidRequest')
  expectError(t, await s.post('/v1/logs', JSON.stringify(collectorRequest([{ timeUnixNano: 'soon' }])), JSON_TYPE), 400, 'InvalidRequest')
  t.same(await s.stored(), { runs: 0, lines: 0 })
})

t.test('tenancy: a bearer token with logs.write; X-Scope-OrgID or AI-Resource-Group names the group', async (t) => {
  const s = await service(t, { claims: { groups: ['team-a'] } })
  const body = JSON.stringify(collectorRequest([{ timeUnixNano: TS(NOW), body: { stringValue: 'hi' }, attributes: [attr('deploymentId', 'd-tenant01')] }]))
  const anonymous = await s.app.inject({ method: 'POST', url: '/v1/logs', headers: JSON_TYPE, payload: body })
  expectError(t, anonymous, 401, 'Unauthorized')
  expectError(t, await s.post('/v1/logs', body, { ...JSON_TYPE, 'ai-resource-group': 'team-b' }), 403, 'Forbidden')
  t.equal((await s.post('/v1/logs', body, { ...JSON_TYPE, 'x-scope-orgid': 'team-a' })).statusCode, 200)
  t.same((await s.read('deployments/d-tenant01', 'team-a')).map((l: { msg: string }) => l.msg), ['hi'])
})

t.test('Idempotency-Key: a retried export is stored once and answered the same', async (t) => {
  const s = await service(t)
  const body = encodeLogsRequest(collectorRequest([{ timeUnixNano: TS(NOW), body: { stringValue: 'once' }, attributes: [attr('deploymentId', 'd-idem0001')] }]))
  const first = await s.post('/v1/logs', body, { ...PROTOBUF, 'idempotency-key': 'otlp-1' })
  const again = await s.post('/v1/logs', body, { ...PROTOBUF, 'idempotency-key': 'otlp-1' })
  t.equal(again.statusCode, 200)
  t.equal(again.headers['idempotent-replayed'], 'true')
  t.same(again.rawPayload, first.rawPayload)
  t.same(await s.stored(), { runs: 1, lines: 1 })
})

t.test('other media types are 415', async (t) => {
  const s = await service(t)
  expectError(t, await s.post('/v1/logs', '{}', { 'content-type': 'application/x-ndjson' }), 415, 'UnsupportedMediaType')
})

t.test('?dedupe=body: without a key, a retried batch (the same bytes) is stored once', async (t) => {
  const s = await service(t)
  const body = encodeLogsRequest(collectorRequest([{ timeUnixNano: TS(NOW), body: { stringValue: 'retried' }, attributes: [attr('deploymentId', 'd-dedupe01')] }]))
  t.equal((await s.post('/v1/logs?dedupe=body', body, PROTOBUF)).statusCode, 200)
  const again = await s.post('/v1/logs?dedupe=body', body, PROTOBUF)
  t.equal(again.headers['idempotent-replayed'], 'true')
  t.same(await s.stored(), { runs: 1, lines: 1 })
})

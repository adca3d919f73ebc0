// Endpoints shippers point their stock outputs at: POST /v2/lm/logs (Fluent Bit http output, Vector http
// sink) and POST /loki/api/v1/push (Promtail, Grafana Alloy). Each record names its run through labels;
// one batch may span many runs and is stored in one transaction. See docs/shippers.md.
import type { FastifyInstance, FastifyRequest, onRequestAsyncHookHandler } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { mayActIn } from '../../auth/tokens.js'
import { retentionDaysOf, type Config } from '../../config.js'
import { errors } from '../../errors.js'
import { decodeContentEncoding } from '../../http/content-encoding.js'
import { hashKey, storeOnce } from '../../ingest/idempotency.js'
import { lokiJsonStreams, mapLokiStreams } from '../../ingest/loki.js'
import { lokiProtobufStreams } from '../../ingest/loki-proto.js'
import { bodyDocumentedOnly, keepRawBodies, mediaTypeOf, rawBodyOf } from '../../ingest/raw-body.js'
import { mapRecords, recordFields, recordsOf } from '../../ingest/records.js'
import { RunMapper } from '../../ingest/run-mapper.js'
import { checkLineCount, ingestLimits, parseJsonBody, parseNdjson } from '../../logs/ingest-body.js'
import { errorResponse } from '../logs/schemas.js'
import { collectorBody, collectorHeaders, collectorQuery, collectorResponse, lokiBody, lokiHeaders } from './schemas.js'

const RESPONSES = { 200: collectorResponse, 400: errorResponse, 401: errorResponse, 403: errorResponse, 409: errorResponse, 413: errorResponse, 415: errorResponse }

// Promtail's tenant_id and Alloy's tenant_id send X-Scope-OrgID; without AI-Resource-Group it names the group.
const tenantAsGroup: onRequestAsyncHookHandler = async (request) => {
  const tenant = request.headers['x-scope-orgid']
  if (request.headers['ai-resource-group'] === undefined && typeof tenant === 'string') request.headers['ai-resource-group'] = tenant
}

export default async function collectorRoutes (app: FastifyInstance, opts: { config: Config }): Promise<void> {
  const { config } = opts
  const fields = recordFields(config.collector)
  keepRawBodies(app, ['application/json', 'application/x-ndjson', 'application/x-protobuf'], config.ingestMaxBytes)

  const begin = (request: FastifyRequest, dedupe: 'body' | undefined) => {
    const body = rawBodyOf(request)
    const principal = request.principal
    return {
      body,
      limits: ingestLimits(app.now(), retentionDaysOf(config, request.resourceGroup), config.maxFutureSkewSeconds, config.lineMaxBytes),
      mapper: new RunMapper(config.collector, request.resourceGroup, (group) => principal !== null && mayActIn(principal, group)),
      key: dedupe === 'body' && request.headers['idempotency-key'] === undefined ? hashKey(body) : undefined
    }
  }
  const common = {
    preParsing: decodeContentEncoding,
    bodyLimit: config.ingestMaxBytes,
    validatorCompiler: bodyDocumentedOnly
  }

  app.withTypeProvider<ZodTypeProvider>().post('/v2/lm/logs', {
    ...common,
    onRequest: app.requireScope('logs.write'),
    schema: {
      operationId: 'collector.post_logs',
      summary: 'Write records of many runs, as Fluent Bit and Vector send them',
      description: 'Each record names its run through labels (COLLECTOR_* settings, docs/shippers.md). All or nothing: a record that ' +
        'cannot be stored rejects the batch (400 naming its index). Records naming no run are counted in unmatched, not stored. Scope logs.write.',
      tags: ['Collector'],
      security: [{ bearerAuth: [] }],
      consumes: ['application/json', 'application/x-ndjson'],
      querystring: collectorQuery,
      headers: collectorHeaders,
      body: collectorBody,
      response: RESPONSES
    }
  }, async (request, reply) => {
    const { body, limits, mapper, key } = begin(request, request.query.dedupe)
    if (mediaTypeOf(request) === 'application/x-protobuf') throw errors.unsupportedMediaType('This endpoint takes application/json or application/x-ndjson; Loki protobuf goes to /loki/api/v1/push.')
    const records = mediaTypeOf(request) === 'application/x-ndjson' ? parseNdjson(body) : recordsOf(parseJsonBody(body))
    checkLineCount(records.length, config.ingestMaxLines)
    mapRecords(records, fields, mapper, limits)
    const { runs, answer } = mapper.result()
    await storeOnce(app, request, reply, { runs, answer, body, ttlHours: config.idempotencyTtlHours, key })
    request.log.info({ lines: answer.accepted, unmatched: answer.unmatched, runs: runs.length }, 'ingested')
    return reply
  })

  app.withTypeProvider<ZodTypeProvider>().post('/loki/api/v1/push', {
    ...common,
    onRequest: [tenantAsGroup, app.requireScope('logs.write')],
    schema: {
      operationId: 'loki.push',
      summary: 'Loki push API, as Promtail and Grafana Alloy send it',
      description: 'JSON or snappy-compressed protobuf. Stream labels name the run (docs/shippers.md). Answers 200 with the counts ' +
        '(Promtail and Alloy accept any 2xx). Scope logs.write.',
      tags: ['Collector'],
      security: [{ bearerAuth: [] }],
      consumes: ['application/json', 'application/x-protobuf'],
      querystring: collectorQuery,
      headers: lokiHeaders,
      body: lokiBody,
      response: RESPONSES
    }
  }, async (request, reply) => {
    const { body, limits, mapper, key } = begin(request, request.query.dedupe)
    const type = mediaTypeOf(request)
    if (type === 'application/x-ndjson') throw errors.unsupportedMediaType('This endpoint takes application/json or application/x-protobuf (Loki push); NDJSON goes to /v2/lm/logs.')
    const streams = type === 'application/x-protobuf' ? lokiProtobufStreams(body, config.ingestMaxBytes) : lokiJsonStreams(parseJsonBody(body))
    checkLineCount(streams.reduce((n, s) => n + s.times.length, 0), config.ingestMaxLines)
    mapLokiStreams(streams, fields, mapper, limits)
    const { runs, answer } = mapper.result()
    await storeOnce(app, request, reply, { runs, answer, body, ttlHours: config.idempotencyTtlHours, key })
    request.log.info({ lines: answer.accepted, unmatched: answer.unmatched, runs: runs.length }, 'ingested')
    return reply
  })
}

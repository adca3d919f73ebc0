// Endpoints shippers point their stock outputs at: POST /v2/lm/logs (Fluent Bit http output, Vector http
// sink), POST /loki/api/v1/push (Promtail, Grafana Alloy) and POST /v1/logs (OTLP, otlp.ts). Each record
// names its run through labels; one batch may span many runs and is stored in one transaction. See
// docs/shippers.md.
import type { FastifyInstance } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import type { Config } from '../../config.js'
import { errors } from '../../errors.js'
import { decodeContentEncoding } from '../../http/content-encoding.js'
import { ItemBudget } from '../../ingest/item-budget.js'
import { LOKI_ENTRY_ITEMS, lokiJsonStreams, mapLokiStreams } from '../../ingest/loki.js'
import { lokiProtobufStreams } from '../../ingest/loki-proto.js'
import { bodyDocumentedOnly, keepRawBodies, mediaTypeOf } from '../../http/raw-body.js'
import { mapRecords, RECORD_ITEMS, recordFields, recordsOf } from '../../ingest/records.js'
import { parseJsonBody, parseNdjson } from '../../ingest/lines.js'
import { errorResponse } from '../../schemas/common.js'
import { ingestOnce, sendStored } from '../ingest-once.js'
import { batchStart } from './batch.js'
import otlpRoutes from './otlp.js'
import { collectorBody, collectorHeaders, collectorQuery, collectorResponse, lokiBody, lokiHeaders } from './schemas.js'

const RESPONSES = { 200: collectorResponse, 400: errorResponse, 401: errorResponse, 403: errorResponse, 409: errorResponse, 413: errorResponse, 415: errorResponse }

export default async function collectorRoutes (app: FastifyInstance, opts: { config: Config }): Promise<void> {
  const { config } = opts
  const fields = recordFields(config.collector)
  keepRawBodies(app, ['application/json', 'application/x-ndjson', 'application/x-protobuf'], config.ingestMaxBytes)

  const begin = batchStart(app, config)
  const common = {
    preParsing: decodeContentEncoding,
    bodyLimit: config.ingestMaxBytes,
    validatorCompiler: bodyDocumentedOnly
  }

  await app.register(otlpRoutes, { config, begin, common })

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
    const { body, limits, mapper } = begin(request)
    if (mediaTypeOf(request) === 'application/x-protobuf') throw errors.unsupportedMediaType('This endpoint takes application/json or application/x-ndjson; Loki protobuf goes to /loki/api/v1/push.')
    const budget = new ItemBudget(config.ingestMaxLines, config.ingestMaxBytes, 'records')
    const records = mediaTypeOf(request) === 'application/x-ndjson' ? parseNdjson(body, budget) : recordsOf(parseJsonBody(body, budget, RECORD_ITEMS))
    mapRecords(records, fields, mapper, limits)
    const { runs, answer } = mapper.result()
    const stored = await ingestOnce(app, config, request, { runs, answer, body, ...request.query })
    request.log.info({ lines: answer.accepted, unmatched: answer.unmatched, runs: runs.length }, 'ingested')
    return await sendStored(reply, stored)
  })

  app.withTypeProvider<ZodTypeProvider>().post('/loki/api/v1/push', {
    ...common,
    onRequest: app.requireScope('logs.write'),
    // Promtail's tenant_id and Alloy's tenant_id send X-Scope-OrgID; without AI-Resource-Group it names the group.
    config: { tenantHeaderNamesGroup: true },
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
    const { body, limits, mapper } = begin(request)
    const type = mediaTypeOf(request)
    if (type === 'application/x-ndjson') throw errors.unsupportedMediaType('This endpoint takes application/json or application/x-protobuf (Loki push); NDJSON goes to /v2/lm/logs.')
    const budget = new ItemBudget(config.ingestMaxLines, config.ingestMaxBytes, 'entries')
    const streams = type === 'application/x-protobuf'
      ? lokiProtobufStreams(body, config.ingestMaxBytes, budget)
      : lokiJsonStreams(parseJsonBody(body, budget, LOKI_ENTRY_ITEMS))
    mapLokiStreams(streams, fields, mapper, limits)
    const { runs, answer } = mapper.result()
    const stored = await ingestOnce(app, config, request, { runs, answer, body, ...request.query })
    request.log.info({ lines: answer.accepted, unmatched: answer.unmatched, runs: runs.length }, 'ingested')
    return await sendStored(reply, stored)
  })
}

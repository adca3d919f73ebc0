// Endpoints shippers point their stock outputs at: POST /v2/lm/logs (Fluent Bit http output, Vector http
// sink), POST /loki/api/v1/push (Promtail, Grafana Alloy) and POST /v1/logs (OTLP, otlp.ts). Each record
// names its run through labels; one batch may span many runs and is stored in one transaction. See
// docs/shippers.md.
import type { FastifyInstance } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import type { Config } from '../../config.js'
import { errors } from '../../errors.js'
import { decodeContentEncoding } from '../../http/content-encoding.js'
import { bodyDocumentedOnly, keepRawBodies, mediaTypeOf } from '../../http/raw-body.js'
import { errorResponse } from '../../schemas/common.js'
import { ingestOnce } from '../ingest-once.js'
import otlpRoutes from './otlp.js'
import { collectorBody, collectorHeaders, collectorQuery, collectorResponse, lokiBody, lokiHeaders } from './schemas.js'

const RESPONSES = { 200: collectorResponse, 400: errorResponse, 401: errorResponse, 403: errorResponse, 409: errorResponse, 413: errorResponse, 415: errorResponse }

export default async function collectorRoutes (app: FastifyInstance, opts: { config: Config }): Promise<void> {
  const { config } = opts
  keepRawBodies(app, ['application/json', 'application/x-ndjson', 'application/x-protobuf'], config.ingestMaxBytes)

  const common = {
    preParsing: decodeContentEncoding,
    bodyLimit: config.ingestMaxBytes,
    validatorCompiler: bodyDocumentedOnly
  }

  await app.register(otlpRoutes, { config, common })

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
    if (mediaTypeOf(request) === 'application/x-protobuf') throw errors.unsupportedMediaType('This endpoint takes application/json or application/x-ndjson; Loki protobuf goes to /loki/api/v1/push.')
    return await ingestOnce(app, config, request, reply, { format: { format: 'records', ndjson: mediaTypeOf(request) === 'application/x-ndjson' }, ...request.query })
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
    const type = mediaTypeOf(request)
    if (type === 'application/x-ndjson') throw errors.unsupportedMediaType('This endpoint takes application/json or application/x-protobuf (Loki push); NDJSON goes to /v2/lm/logs.')
    return await ingestOnce(app, config, request, reply, { format: { format: 'loki', protobuf: type === 'application/x-protobuf' }, ...request.query })
  })
}

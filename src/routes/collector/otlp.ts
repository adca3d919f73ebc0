// OTLP/HTTP logs ingest: POST /v1/logs (and /otlp/v1/logs, for a Collector whose otlphttp endpoint ends in
// /otlp), protobuf or JSON, answered in the request's encoding as the OTLP spec asks: an
// ExportLogsServiceResponse (partial_success for records not stored), or a google.rpc.Status on errors.
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest, preParsingAsyncHookHandler } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { z } from 'zod'
import type { Config } from '../../config.js'
import { errors, type ApiError } from '../../errors.js'
import { exportLogsResponse, grpcCodeOf, rpcStatus } from '../../ingest/otlp/encode.js'
import { mediaTypeOf, type bodyDocumentedOnly } from '../../http/raw-body.js'
import { errorBody, loggedApiError } from '../../plugins/error-handler.js'
import { errorResponse } from '../../schemas/common.js'
import { ingestOnce } from '../ingest-once.js'
import { collectorQuery, lokiHeaders } from './schemas.js'

const PROTOBUF = 'application/x-protobuf'

const otlpResponse = z.object({
  partialSuccess: z.object({
    rejectedLogRecords: z.string().meta({ description: 'Records not stored (int64 as a string, OTLP\'s JSON mapping).' }),
    errorMessage: z.string().meta({ description: 'Why: the first records\' indexes and reasons.' })
  }).optional().meta({ description: 'Absent when every record was stored.' })
}).meta({ id: 'ExportLogsServiceResponse', description: 'In protobuf for a protobuf request.' })

const otlpBody = z.object({ resourceLogs: z.array(z.record(z.string(), z.unknown())) })
  .meta({ description: 'An OTLP ExportLogsServiceRequest, as application/x-protobuf or in OTLP\'s JSON mapping (application/json); Content-Encoding gzip accepted.' })

const RESPONSES = { 200: otlpResponse, 400: errorResponse, 401: errorResponse, 403: errorResponse, 409: errorResponse, 413: errorResponse, 415: errorResponse, 429: errorResponse, 503: errorResponse }

/** An error in the request's encoding: google.rpc.Status for protobuf, else the contract's error body (OTLP's SHOULD yields to the contract). */
function sendOtlpError (request: FastifyRequest, reply: FastifyReply, err: ApiError): void {
  if (err.headers !== undefined) reply.headers(err.headers)
  reply.code(err.statusCode)
  if (mediaTypeOf(request) === PROTOBUF) reply.type(PROTOBUF).send(rpcStatus(grpcCodeOf(err.statusCode), `${err.message} (requestId ${request.id})`))
  else reply.type('application/json; charset=utf-8').send(JSON.stringify(errorBody(request, err)))
}

interface OtlpOptions {
  config: Config
  common: { preParsing: preParsingAsyncHookHandler, bodyLimit: number, validatorCompiler: typeof bodyDocumentedOnly }
}

export default async function otlpRoutes (app: FastifyInstance, opts: OtlpOptions): Promise<void> {
  const { config, common } = opts
  app.setErrorHandler((err: FastifyError, request, reply) => { sendOtlpError(request, reply, loggedApiError(err, request)) })

  for (const url of ['/v1/logs', '/otlp/v1/logs']) {
    app.withTypeProvider<ZodTypeProvider>().post(url, {
      ...common,
      onRequest: app.requireScope('logs.write'),
      config: { tenantHeaderNamesGroup: true },
      schema: {
        hide: url !== '/v1/logs',
        operationId: 'otlp.export_logs',
        summary: 'OTLP/HTTP logs, as the OpenTelemetry Collector\'s otlphttp exporter and the OpenTelemetry SDKs send them',
        description: 'Also served at /otlp/v1/logs. Attributes name the run (COLLECTOR_* label names, on the record or its resource; ' +
          'docs/shippers.md). Records that name no run or cannot be stored are not stored and are counted in partialSuccess; the others are ' +
          'stored in one transaction. Errors of a protobuf request are a google.rpc.Status in protobuf; of a JSON request, the error body. ' +
          'Scope logs.write.',
        tags: ['Collector'],
        security: [{ bearerAuth: [] }],
        consumes: ['application/x-protobuf', 'application/json'],
        querystring: collectorQuery,
        headers: lokiHeaders,
        body: otlpBody,
        response: RESPONSES
      }
    }, async (request, reply) => {
      const protobuf = mediaTypeOf(request) === PROTOBUF
      if (!protobuf && mediaTypeOf(request) !== 'application/json') throw errors.unsupportedMediaType('OTLP/HTTP takes application/x-protobuf or application/json.')
      // The stored answer is OTLP's JSON form (a replay sends it again); protobuf requests get it re-encoded.
      return await ingestOnce(app, config, request, reply, {
        format: { format: 'otlp', protobuf },
        ...request.query,
        ...(protobuf ? { type: PROTOBUF, encode: (json: string) => exportLogsResponse(JSON.parse(json)) } : {})
      })
    })
  }
}

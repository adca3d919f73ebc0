// POST /v2/lm/{deployments|executions}/{id}/logs: JSON array, SAP's read body, or NDJSON; gzip accepted.
import type { FastifyInstance } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { z } from 'zod'
import type { Config } from '../../config.js'
import { decodeContentEncoding } from '../../http/content-encoding.js'
import { bodyDocumentedOnly, keepRawBodies, mediaTypeOf } from '../../http/raw-body.js'
import { errorResponse, runIdParam } from '../../schemas/common.js'
import { ingestOnce } from '../ingest-once.js'
import { RUN_ROUTES, runKeyOf } from '../run-kinds.js'
import { ingestBody, ingestResponse } from '../../schemas/lines.js'
import { ingestHeaders } from './schemas.js'

export default async function writeLogsRoutes (app: FastifyInstance, opts: { config: Config }): Promise<void> {
  const { config } = opts
  // Only the two documented types: Fastify's default text/plain parser would hand a string to the line
  // checks, which then say the body is not an array when its type is what is wrong (415).
  keepRawBodies(app, ['application/json', 'application/x-ndjson'], config.ingestMaxBytes)

  for (const route of RUN_ROUTES) {
    app.withTypeProvider<ZodTypeProvider>().post(`/v2/lm/${route.plural}/:${route.param}/logs`, {
      onRequest: app.requireScope('logs.write'),
      preParsing: decodeContentEncoding,
      bodyLimit: config.ingestMaxBytes,
      validatorCompiler: bodyDocumentedOnly,
      schema: {
        operationId: `${route.plural}.post_logs`,
        summary: `Write log lines of a ${route.kind}`,
        description: 'All or nothing: one bad line rejects the request (400 naming its index) and nothing is stored. ' +
          'A 2xx means the lines are committed. Scope logs.write. With an Idempotency-Key, a retry with the same body is stored ' +
          'once and answered like the first time (Idempotent-Replayed: true); the same key with another body is a 409.',
        tags: [route.tag],
        security: [{ bearerAuth: [] }],
        consumes: ['application/json', 'application/x-ndjson'],
        params: z.object({ [route.param]: runIdParam }),
        headers: ingestHeaders,
        body: ingestBody,
        response: { 200: ingestResponse, 400: errorResponse, 401: errorResponse, 403: errorResponse, 409: errorResponse, 413: errorResponse, 415: errorResponse }
      }
    }, async (request, reply) => {
      const run = runKeyOf(route, request, reply)
      return await ingestOnce(app, config, request, reply, { format: { format: 'native', run, ndjson: mediaTypeOf(request) === 'application/x-ndjson' } })
    })
  }
}

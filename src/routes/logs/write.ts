// POST /v2/lm/{deployments|executions}/{id}/logs: JSON array, SAP's read body, or NDJSON; gzip accepted.
import type { FastifyInstance, FastifySchemaCompiler } from 'fastify'
import { validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod'
import { z } from 'zod'
import type { Config } from '../../config.js'
import { decodeContentEncoding } from '../../http/content-encoding.js'
import { ingestLimits, linesOf, parseLogBatch, parseNdjson } from '../../logs/ingest-body.js'
import { errorResponse, ingestBody, ingestResponse, resourceGroupHeaders, runIdParam } from './schemas.js'
import { RUN_ROUTES, runKeyOf } from './runs.js'

// The body schema documents the route; the body itself is checked by parseLogBatch, which names the bad
// line's index and field, all or nothing.
const bodyDocumentedOnly: FastifySchemaCompiler<any> = (route) =>
  route.httpPart === 'body' ? (data) => ({ value: data }) : validatorCompiler(route)

export default async function writeLogsRoutes (app: FastifyInstance, opts: { config: Config }): Promise<void> {
  const { config } = opts
  // Only the two documented types: Fastify's default text/plain parser would hand a string to the line
  // checks, which then say the body is not an array when its type is what is wrong (415).
  app.removeContentTypeParser('text/plain')
  app.addContentTypeParser('application/x-ndjson', { parseAs: 'string', bodyLimit: config.ingestMaxBytes }, (_request, body, done) => {
    try {
      done(null, parseNdjson(body as string))
    } catch (err) {
      done(err as Error, undefined)
    }
  })

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
          'A 2xx means the lines are committed. Scope logs.write.',
        tags: [route.tag],
        security: [{ bearerAuth: [] }],
        consumes: ['application/json', 'application/x-ndjson'],
        params: z.object({ [route.param]: runIdParam }),
        headers: resourceGroupHeaders,
        body: ingestBody,
        response: { 200: ingestResponse, 400: errorResponse, 401: errorResponse, 403: errorResponse, 413: errorResponse, 415: errorResponse }
      }
    }, async (request, reply) => {
      const run = runKeyOf(route, request, reply)
      const limits = ingestLimits(app.now(), config.retentionDays, config.maxFutureSkewSeconds, config.lineMaxBytes)
      const batch = parseLogBatch(linesOf(request.body), limits)
      if (batch === null) return { accepted: 0 }
      const accepted = await app.store.ingest(run, batch)
      request.log.info({ lines: accepted }, 'ingested')
      return { accepted }
    })
  }
}

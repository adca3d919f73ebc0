// GET /v2/lm/{deployments|executions}/{id}/logs, as SAP AI Core's AI API serves it, and beyond it: cursors,
// filters, streamed formats, compression and live tails (docs/reading.md; the work is in src/read/service.ts).
import type { FastifyInstance, FastifyReply } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { lazySecret } from '../../auth/signing.js'
import type { Config } from '../../config.js'
import { CURSOR_SECRET_FILE } from '../../read/cursor.js'
import { ReadService } from '../../read/service.js'
import { errorResponse, resourceGroupHeaders, runIdParam } from '../../schemas/common.js'
import { RUN_ROUTES, runKeyOf } from '../run-kinds.js'
import { logsResponse } from '../../schemas/lines.js'
import { logsQuery } from './schemas.js'

export default async function readLogsRoutes (app: FastifyInstance, opts: { config: Config }): Promise<void> {
  const { config } = opts
  const reads = new ReadService(app.store, app.tails, app.now, {
    cursorSecret: lazySecret(config.cursorSecret, config.dataDir, CURSOR_SECRET_FILE),
    readLinesInFlight: config.readLinesInFlight,
    streamMaxLines: config.streamMaxLines,
    followMaxSeconds: config.followMaxSeconds,
    followHeartbeatSeconds: config.followHeartbeatSeconds
  })
  // Pages still waiting for the budget when the service closes are answered 503 before the pools end.
  app.addHook('preClose', async () => { reads.close() })

  const headers = resourceGroupHeaders.extend({
    'last-event-id': z.string().optional().meta({ description: 'With follow=true: the id of the last SSE event received; the tail resumes after it.' })
  })

  for (const route of RUN_ROUTES) {
    app.withTypeProvider<ZodTypeProvider>().get(`/v2/lm/${route.plural}/:${route.param}/logs`, {
      onRequest: app.requireScope('logs.read'),
      schema: {
        operationId: `kubesubmit.v4.${route.plural}.get_logs`,
        summary: `Get logs of a ${route.kind}`,
        description: `Lines of the ${route.kind} in [start, end), ordered by time (ties in ingestion order). Scope logs.read. ` +
          'Accept: application/json (default), application/x-ndjson, text/plain (<timestamp> <stream> <msg>) or text/event-stream; ' +
          'Accept-Encoding: gzip or br. With follow=true the response stays open and carries new lines as they are written.',
        tags: [route.tag],
        security: [{ bearerAuth: [] }],
        params: z.object({ [route.param]: runIdParam }),
        headers,
        querystring: logsQuery(config.streamMaxLines),
        produces: ['application/json', 'application/x-ndjson', 'text/plain', 'text/event-stream'],
        response: { 200: logsResponse, 400: errorResponse, 401: errorResponse, 403: errorResponse, 404: errorResponse, 429: errorResponse }
      }
    }, async (request, reply) => {
      reply.header('vary', 'Accept, Accept-Encoding')
      const answer = await reads.read({
        run: runKeyOf(route, request, reply),
        query: request.query,
        accept: request.headers.accept,
        acceptEncoding: request.headers['accept-encoding'],
        lastEventId: request.headers['last-event-id'],
        response: reply.raw,
        log: request.log
      })
      // The body is already rendered (a string, bytes or a stream), not the object the 200 schema describes.
      const untyped = reply as FastifyReply
      return await untyped.code(answer.status).headers(answer.headers).send(answer.body)
    })
  }
}

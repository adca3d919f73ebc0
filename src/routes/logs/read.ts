// GET /v2/lm/{deployments|executions}/{id}/logs, as SAP AI Core's AI API serves it.
import type { FastifyInstance } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { errors } from '../../errors.js'
import { resolveRange } from '../../logs/read-query.js'
import { renderLogsBody } from '../../logs/render.js'
import { errorResponse, logsQuery, logsResponse, resourceGroupHeaders, runIdParam } from './schemas.js'
import { RUN_ROUTES, runKeyOf } from './runs.js'

export default async function readLogsRoutes (app: FastifyInstance): Promise<void> {
  for (const route of RUN_ROUTES) {
    app.withTypeProvider<ZodTypeProvider>().get(`/v2/lm/${route.plural}/:${route.param}/logs`, {
      onRequest: app.requireScope('logs.read'),
      schema: {
        operationId: `kubesubmit.v4.${route.plural}.get_logs`,
        summary: `Get logs of a ${route.kind}`,
        description: `Lines of the ${route.kind} in [start, end), ordered by time (ties in ingestion order). Scope logs.read.`,
        tags: [route.tag],
        security: [{ bearerAuth: [] }],
        params: z.object({ [route.param]: runIdParam }),
        headers: resourceGroupHeaders,
        querystring: logsQuery,
        response: { 200: logsResponse, 400: errorResponse, 401: errorResponse, 403: errorResponse, 404: errorResponse }
      }
    }, async (request, reply) => {
      const run = runKeyOf(route, request, reply)
      const range = resolveRange(run, request.query, app.now())
      const rows = await app.store.read(range)
      if (rows.length === 0 && !(await app.store.runExists(run))) {
        throw errors.notFound(`No ${route.kind} ${run.id} has logs in resource group ${run.group}.`, { [route.param]: run.id })
      }
      request.log.debug({ lines: rows.length }, 'served')
      // Rendered from the rows directly (see render.ts); Fastify sends a string with a JSON type as it is.
      return await reply.type('application/json; charset=utf-8').send(renderLogsBody(rows) as never)
    })
  }
}

// GET /v2/lm/runs: the runs of the caller's resource group, newest first (by first line), paged by signed
// cursors (scope logs.read). The console lists from it.
import type { FastifyInstance } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { lazySecret } from '../../auth/signing.js'
import type { Config } from '../../config.js'
import { CURSOR_SECRET_FILE } from '../../read/cursor.js'
import { RunListing } from '../../runs/list.js'
import { errorResponse, resourceGroupHeaders } from '../../schemas/common.js'
import labelRoutes from './labels.js'
import { DEFAULT_RUNS_TOP, listRunsQuery, runList } from './schemas.js'

export default async function runRoutes (app: FastifyInstance, opts: { config: Config }): Promise<void> {
  const listing = new RunListing(app.runs, lazySecret(opts.config.cursorSecret, opts.config.dataDir, CURSOR_SECRET_FILE))

  app.withTypeProvider<ZodTypeProvider>().get('/v2/lm/runs', {
    onRequest: app.requireScope('logs.read'),
    schema: {
      operationId: 'runs.list',
      summary: 'List runs',
      description: 'The deployments and executions of the resource group that have lines, newest first (by their first line), with their first and last line\'s time, line count and labels; label=key=value (repeatable) selects by label. Scope logs.read.',
      tags: ['Runs'],
      security: [{ bearerAuth: [] }],
      headers: resourceGroupHeaders,
      querystring: listRunsQuery,
      response: { 200: runList, 400: errorResponse, 401: errorResponse, 403: errorResponse }
    }
  }, async (request) => {
    const { cursor, $top, label, ...rest } = request.query
    const given = { ...rest, ...(label === undefined ? {} : { labels: label }) }
    return await listing.page(request.resourceGroup, given, cursor, $top ?? DEFAULT_RUNS_TOP)
  })

  await app.register(labelRoutes)
}

// POST /v2/lm/exports, GET /v2/lm/exports/{requestId}, GET /v2/lm/exports: request and read exports of
// the caller's resource group (scope logs.export). The download route is in download.ts.
import type { FastifyInstance } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { requesterOf } from '../../audit.js'
import type { Config } from '../../config.js'
import { errors } from '../../errors.js'
import { createExport, labelConditions } from '../../export/request.js'
import { isExpired } from '../../export/view.js'
import { MIN_INSTANT } from '../../time.js'
import { errorResponse, resourceGroupHeaders } from '../../schemas/common.js'
import { createExportBody, exportList, exportObject, listExportsQuery, requestIdParams } from './schemas.js'
import downloadRoute from './download.js'
import harnessExportRoutes from './harness.js'
import userGroupRoutes from './user-groups.js'

const common = { tags: ['Export'], security: [{ bearerAuth: [] }], headers: resourceGroupHeaders }

export default async function exportRoutes (app: FastifyInstance, opts: { config: Config }): Promise<void> {
  const limits = opts.config.exports
  const api = app.withTypeProvider<ZodTypeProvider>()

  api.post('/v2/lm/exports', {
    onRequest: app.requireScope('logs.export'),
    schema: {
      ...common,
      operationId: 'exports.create',
      summary: 'Request an export archive',
      description: `Queues an archive of the runs with lines in [start, end) (only the listed ones, when ids are listed; only those with the labels, when labels are given). At most ${limits.dailyLimit} exports per resource group and UTC day (429 beyond), ${limits.maxRuns} runs per export (400 beyond). Scope logs.export.`,
      body: createExportBody,
      response: { 202: exportObject, 400: errorResponse, 401: errorResponse, 403: errorResponse, 429: errorResponse }
    }
  }, async (request, reply) => {
    const { filters, userGroupIds, notifyOnlyTriggeringUser } = request.body
    const now = app.now()
    const end = filters.end ?? now
    const start = filters.start ?? MIN_INSTANT
    if (start > end) throw errors.invalidRequest('Body field filters.start must not be after filters.end.', { parameters: ['filters.start', 'filters.end'] })
    const row = await createExport(app, opts.config, requesterOf(request), {
      filters: {
        deploymentIds: filters.deploymentIds,
        executionIds: filters.executionIds,
        ...(filters.labels === undefined ? {} : { labels: labelConditions(filters.labels) })
      },
      start,
      end,
      notify: { userGroupIds, onlyTriggeringUser: notifyOnlyTriggeringUser }
    })
    return await reply.code(202).header('location', `/v2/lm/exports/${row.requestId}`).send(await app.exports.view(row))
  })

  api.get('/v2/lm/exports/:requestId', {
    onRequest: app.requireScope('logs.export'),
    schema: {
      ...common,
      operationId: 'exports.get',
      summary: 'Read an export',
      description: 'The export\'s status, progress and, when READY, its signed download link. Scope logs.export.',
      params: requestIdParams,
      response: { 200: exportObject, 400: errorResponse, 401: errorResponse, 403: errorResponse, 404: errorResponse }
    }
  }, async (request) => {
    const row = await app.exports.jobs.get(request.resourceGroup, request.params.requestId)
    if (row === undefined) throw errors.notFound(`No export ${request.params.requestId} in resource group ${request.resourceGroup}.`, { requestId: request.params.requestId })
    if (row.status === 'READY' && isExpired(row, app.now())) await app.exports.sweep(row.requestId)
    return await app.exports.view(row)
  })

  api.get('/v2/lm/exports', {
    onRequest: app.requireScope('logs.export'),
    schema: {
      ...common,
      operationId: 'exports.list',
      summary: 'List exports',
      description: 'The resource group\'s exports, newest first. Scope logs.export.',
      querystring: listExportsQuery,
      response: { 200: exportList, 400: errorResponse, 401: errorResponse, 403: errorResponse }
    }
  }, async (request) => {
    const { count, rows } = await app.exports.jobs.list(request.resourceGroup, request.query.$top ?? 100, request.query.$skip ?? 0)
    return { count, resources: await app.exports.views(rows) }
  })

  await app.register(downloadRoute)
  await app.register(harnessExportRoutes, { publicBaseUrl: opts.config.publicBaseUrl })
  await app.register(userGroupRoutes, { config: opts.config })
}

// GET /api/export-executions/status/{requestId}: Harness FirstGen's REST status of an export, in Harness's
// RestResponse envelope ({metaData, resource, responseMessages}) with times in epoch milliseconds. Same
// token, group and scope (logs.export) as the rest of the export API.
import type { FastifyInstance } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { errors } from '../../errors.js'
import { harnessExport } from '../../export/harness.js'
import { isExpired } from '../../export/view.js'
import { errorResponse, resourceGroupHeaders } from '../../schemas/common.js'
import { notificationState, requestIdParams } from './schemas.js'

const summary = z.object({
  requestId: z.string(),
  status: z.enum(['QUEUED', 'READY', 'FAILED', 'EXPIRED']),
  totalExecutions: z.int(),
  triggeredAt: z.int().meta({ description: 'Epoch milliseconds.' }),
  statusLink: z.string().meta({ description: 'This status, as an absolute URL.' }),
  downloadLink: z.string().nullable().meta({ description: 'Signed link, no token needed; set when READY.' }),
  expiresAt: z.int().nullable().meta({ description: 'Epoch milliseconds; set once READY.' }),
  errorMessage: z.string().nullable(),
  notifications: z.array(notificationState)
}).meta({ id: 'HarnessExportSummary' })

const restResponse = z.object({
  metaData: z.object({}),
  resource: summary,
  responseMessages: z.array(z.unknown())
}).meta({ id: 'HarnessRestResponse' })

export default async function harnessExportRoutes (app: FastifyInstance, opts: { publicBaseUrl: string }): Promise<void> {
  app.withTypeProvider<ZodTypeProvider>().get('/api/export-executions/status/:requestId', {
    onRequest: app.requireScope('logs.export'),
    schema: {
      tags: ['Export'],
      operationId: 'harness.export_executions.status',
      summary: 'Read an export (Harness\'s REST status)',
      description: 'Harness FirstGen\'s GET /api/export-executions/status/{requestId}: the export as {metaData, resource, responseMessages}, ' +
        'times in epoch milliseconds. accountId, which Harness clients send, is accepted and not used. Scope logs.export.',
      security: [{ bearerAuth: [] }],
      headers: resourceGroupHeaders,
      params: requestIdParams,
      querystring: z.strictObject({ accountId: z.string().max(200).optional().meta({ description: 'Harness\'s account id; not used.' }) }),
      response: { 200: restResponse, 400: errorResponse, 401: errorResponse, 403: errorResponse, 404: errorResponse }
    }
  }, async (request) => {
    const { requestId } = request.params
    const row = await app.exports.jobs.get(request.resourceGroup, requestId)
    if (row === undefined) throw errors.notFound(`No export ${requestId} in resource group ${request.resourceGroup}.`, { requestId })
    if (row.status === 'READY' && isExpired(row, app.now())) await app.exports.sweep(row.requestId)
    const resource = { ...harnessExport(await app.exports.view(row)), statusLink: `${opts.publicBaseUrl}/api/export-executions/status/${requestId}` }
    return { metaData: {}, resource, responseMessages: [] }
  })
}

// GET /v2/lm/exports/{requestId}/download: the signed link, no bearer token (like a presigned URL). The
// signature is checked before anything is looked up: an altered link learns nothing.
import { createReadStream } from 'node:fs'
import { stat } from 'node:fs/promises'
import type { FastifyInstance } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { audit } from '../../audit.js'
import { RESOURCE_GROUP_PATTERN } from '../../schemas/ids.js'
import { errors } from '../../errors.js'
import { isExpired } from '../../export/view.js'
import { NS_PER_SECOND } from '../../time.js'
import { errorResponse } from '../../schemas/common.js'
import { downloadQuery, requestIdParams } from './schemas.js'

// The same archive at Harness's REST path, which takes the signed link's query.
const ROUTES = [
  { url: '/v2/lm/exports/:requestId/download', operationId: 'exports.download', summary: 'Download an export archive', extra: '' },
  {
    url: '/api/export-executions/download/:requestId',
    operationId: 'harness.export_executions.download',
    summary: 'Download an export archive (Harness\'s REST path)',
    extra: ' Harness\'s path: the downloadLink\'s query (group, expires, signature) works here too.'
  }
]

export default async function downloadRoute (app: FastifyInstance): Promise<void> {
  for (const route of ROUTES) registerDownload(app, route)
}

function registerDownload (app: FastifyInstance, route: typeof ROUTES[number]): void {
  app.withTypeProvider<ZodTypeProvider>().get(route.url, {
    schema: {
      tags: ['Export'],
      operationId: route.operationId,
      summary: route.summary,
      description: `The gzip'd tar of a READY export, by the signed downloadLink; no token. Altered link: 403; expired: 410.${route.extra}`,
      params: requestIdParams,
      querystring: downloadQuery,
      response: { 200: { description: 'The archive; its sha256 in X-Archive-Sha256.', content: { 'application/gzip': { schema: z.string().meta({ format: 'binary' }) } } }, 400: errorResponse, 403: errorResponse, 404: errorResponse, 409: errorResponse, 410: errorResponse }
    },
    // Every refusal (altered link, expired, unknown, not ready, malformed) is an audit event too.
    onError: async (request, _reply, err) => {
      const params = request.params as { requestId?: unknown } | undefined
      const query = request.query as { group?: unknown } | undefined
      audit(request, 'export.download_refused', {
        exportId: String(params?.requestId ?? ''),
        group: String(query?.group ?? ''),
        status: err.statusCode ?? 500,
        reason: err.message
      })
    }
  }, async (request, reply) => {
    const { requestId } = request.params
    const { group, signature } = request.query
    const expires = Number(request.query.expires)
    // The signed text holds the expiry as the service wrote it: `0123` or `123.0` is another link.
    const canonical = String(expires) === request.query.expires && RESOURCE_GROUP_PATTERN.test(group)
    if (!canonical || !(await app.exports.links.verify({ requestId, group, expires }, signature))) {
      throw errors.forbidden('This download link is not valid: it was altered or was not made by this service. Read the export again for its current downloadLink.')
    }
    const expired = (): Error => errors.gone(`This export's download link expired at ${new Date(expires * 1000).toISOString()}; its archive is deleted. Request a new export.`, { requestId })
    const row = await app.exports.jobs.get(group, requestId)
    if (row === undefined) throw errors.notFound(`No export ${requestId} in resource group ${group}.`, { requestId })
    if (app.now() >= BigInt(expires) * NS_PER_SECOND || isExpired(row, app.now())) {
      if (row.status === 'READY') await app.exports.sweep(requestId)
      throw expired()
    }
    if (row.status !== 'READY' || row.archivePath === null) throw errors.conflict(`Export ${requestId} is not ready to download.`, { requestId })
    const size = await stat(row.archivePath).then((s) => s.size, () => undefined)
    if (size === undefined) {
      request.log.error({ exportId: requestId, path: row.archivePath }, 'a READY export\'s archive is missing; EXPORT_DIR must be shared by all replicas')
      throw errors.internal()
    }
    audit(request, 'export.downloaded', { exportId: requestId, group, bytes: size, sha256: row.archiveSha256 })
    return await reply
      .type('application/gzip')
      .header('content-length', size)
      .header('content-disposition', `attachment; filename="logs-export-${requestId}.tar.gz"`)
      .header('cache-control', 'private, no-store')
      .header('x-archive-sha256', row.archiveSha256 ?? '')
      .send(createReadStream(row.archivePath) as never)
  })
}

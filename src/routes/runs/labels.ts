// PATCH /v2/lm/deployments/{id} and PATCH /v2/lm/executions/{id}: merge labels into a run (scope
// logs.write). Labels say what a run is in Harness's words (application, service, environment, ...).
import type { FastifyInstance } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { errors } from '../../errors.js'
import { labelChangeOf, LabelError, MAX_LABELS_PER_RUN, type LabelChange } from '../../labels.js'
import { runResource } from '../../runs/list.js'
import { RUN_ROUTES, runKeyOf } from '../run-kinds.js'
import { errorResponse, resourceGroupHeaders, runIdParam } from '../../schemas/common.js'
import { patchRunBody, runSummary } from './schemas.js'

export default async function labelRoutes (app: FastifyInstance): Promise<void> {
  for (const route of RUN_ROUTES) {
    app.withTypeProvider<ZodTypeProvider>().patch(`/v2/lm/${route.plural}/:${route.param}`, {
      onRequest: app.requireScope('logs.write'),
      schema: {
        operationId: `${route.plural}.patch`,
        summary: `Set labels of a ${route.kind}`,
        description: `Merges {"labels": {...}} into the ${route.kind}'s labels; a null value removes a label. At most ${MAX_LABELS_PER_RUN} labels ` +
          'per run (400 beyond, nothing changed). 404 when the run has no lines in this resource group. Scope logs.write.',
        tags: [route.tag],
        security: [{ bearerAuth: [] }],
        headers: resourceGroupHeaders,
        params: z.object({ [route.param]: runIdParam }),
        body: patchRunBody,
        response: { 200: runSummary, 400: errorResponse, 401: errorResponse, 403: errorResponse, 404: errorResponse }
      }
    }, async (request, reply) => {
      const run = runKeyOf(route, request, reply)
      let change: LabelChange
      try {
        change = labelChangeOf(request.body.labels)
      } catch (err) {
        if (!(err instanceof LabelError)) throw err
        throw errors.invalidRequest(`Body field labels: ${err.message}.`, { parameter: `labels.${err.key}` })
      }
      const result = await app.runs.patchLabels(run, change, MAX_LABELS_PER_RUN)
      if (result.kind === 'not-found') throw errors.notFound(`No ${route.kind} ${run.id} in resource group ${run.group}.`, { id: run.id })
      if (result.kind === 'too-many-labels') {
        throw errors.invalidRequest(`A run holds at most ${MAX_LABELS_PER_RUN} labels; remove some (null) before adding more.`, { limit: MAX_LABELS_PER_RUN })
      }
      request.log.info({ set: Object.keys(change.set), removed: change.remove }, 'run labels changed')
      return runResource(result.run)
    })
  }
}

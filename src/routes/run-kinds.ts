// The two kinds of run and how their routes name them, as in SAP AI Core's API.
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { RunKey, RunKind } from '../model.js'

export interface RunRoute {
  kind: RunKind
  /** Path segment and parameter name: /v2/lm/deployments/:deploymentId/logs */
  plural: string
  param: string
  tag: string
}

export const RUN_ROUTES: RunRoute[] = [
  { kind: 'deployment', plural: 'deployments', param: 'deploymentId', tag: 'Deployment' },
  { kind: 'execution', plural: 'executions', param: 'executionId', tag: 'Execution' }
]

export function runKeyOf (route: RunRoute, request: FastifyRequest, reply: FastifyReply): RunKey {
  const id = (request.params as Record<string, string>)[route.param] as string
  request.log = request.log.child({ runKind: route.kind, runId: id })
  reply.log = request.log
  return { group: request.resourceGroup, kind: route.kind, id }
}

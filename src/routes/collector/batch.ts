// What every collector endpoint starts a batch with: the decoded body, the time limits and the run mapper
// (tenancy).
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { mayActIn } from '../../auth/tokens.js'
import { retentionDaysOf, type Config } from '../../config.js'
import { rawBodyOf } from '../../http/raw-body.js'
import { RunMapper } from '../../ingest/run-mapper.js'
import { ingestLimits } from '../../ingest/lines.js'

export type BatchStart = ReturnType<typeof batchStart>

export function batchStart (app: FastifyInstance, config: Config) {
  return (request: FastifyRequest) => {
    const body = rawBodyOf(request)
    const principal = request.principal
    return {
      body,
      limits: ingestLimits(app.now(), retentionDaysOf(config, request.resourceGroup), config.maxFutureSkewSeconds, config.lineMaxBytes),
      mapper: new RunMapper(config.collector, request.resourceGroup, (group) => principal !== null && mayActIn(principal, group))
    }
  }
}

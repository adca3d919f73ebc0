// Sheds load before it runs away: past an event-loop delay, heap, RSS or event-loop utilization threshold
// (PRESSURE_*), requests get the contract's 503 Unavailable with Retry-After until the process recovers.
// Liveness and metrics still answer (a process under pressure is alive, and its metrics say why);
// readiness is shed too, so a balancer sends traffic elsewhere meanwhile.
import underPressure from '@fastify/under-pressure'
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import type { Config } from '../config.js'
import { errors } from '../errors.js'
import { METRICS_PATH } from './metrics.js'

const ALWAYS_ANSWERED = new Set(['/healthz', METRICS_PATH])

const REASON: Record<string, string> = {
  eventLoopDelay: 'event loop delay',
  heapUsedBytes: 'heap in use',
  rssBytes: 'resident memory',
  eventLoopUtilization: 'event loop utilization'
}

async function loadSheddingPlugin (app: FastifyInstance, opts: { config: Config }): Promise<void> {
  const p = opts.config.pressure
  await app.register(underPressure, {
    maxEventLoopDelay: p.maxEventLoopDelayMs,
    maxHeapUsedBytes: p.maxHeapUsedBytes,
    maxRssBytes: p.maxRssBytes,
    maxEventLoopUtilization: p.maxEventLoopUtilization,
    sampleInterval: p.sampleIntervalMs,
    // A rejected promise goes to the error handler (the contract's body); a resolved one lets the request in.
    pressureHandler: async (request, _reply, type, value) => {
      if (ALWAYS_ANSWERED.has(request.routeOptions.url ?? '')) return
      request.log.warn({ type, value }, 'shedding load')
      throw errors.unavailable(`The service is overloaded (${REASON[type] ?? type} past its limit); retry shortly.`, p.retryAfterSeconds)
    }
  })
}

export default fp(loadSheddingPlugin, { name: 'load-shedding', dependencies: ['error-handler'] })

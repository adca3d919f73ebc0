// Sheds load before it runs away: past an event-loop delay, heap, RSS or event-loop utilization threshold
// (PRESSURE_*), requests get the contract's 503 Unavailable with Retry-After until the process recovers.
// Liveness and metrics still answer (a process under pressure is alive, and its metrics say why);
// readiness is shed too, so a balancer sends traffic elsewhere meanwhile.
// The sampler is ours, not @fastify/under-pressure's: reading the memory figures opens /proc files, which
// throws EMFILE when descriptors run out, and a sampler must log that and keep the last figures, not die.
import { monitorEventLoopDelay, performance } from 'node:perf_hooks'
import type { FastifyBaseLogger, FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import type { Config } from '../config.js'
import { errors } from '../errors.js'
import { METRICS_PATH } from './metrics.js'

const ALWAYS_ANSWERED = new Set(['/healthz', METRICS_PATH])
const RESOLUTION_MS = 10

type Pressure = { reason: string, type: string, value: number } | undefined

/** The process's load figures, sampled on a timer that survives any error of its own. */
function startSampler (p: Config['pressure'], log: FastifyBaseLogger): { pressure: () => Pressure, stop: () => void } {
  const delay = monitorEventLoopDelay({ resolution: RESOLUTION_MS })
  delay.enable()
  let elu = performance.eventLoopUtilization()
  const figures = { eventLoopDelay: 0, heapUsedBytes: 0, rssBytes: 0, eventLoopUtilization: 0 }
  let failing = false
  const sample = (): void => {
    try {
      figures.eventLoopDelay = Math.max(0, delay.mean / 1e6 - RESOLUTION_MS)
      delay.reset()
      const now = performance.eventLoopUtilization()
      figures.eventLoopUtilization = performance.eventLoopUtilization(now, elu).utilization
      elu = now
      const memory = process.memoryUsage()
      figures.heapUsedBytes = memory.heapUsed
      figures.rssBytes = memory.rss
      if (failing) log.info('the load sampler reads its figures again')
      failing = false
    } catch (err) {
      // Logged once per outage, not once per sample; the last figures stand meanwhile.
      if (!failing) log.error({ err }, 'the load sampler failed (out of file descriptors?); it keeps its last figures and retries')
      failing = true
    }
  }
  const timer = setInterval(sample, p.sampleIntervalMs).unref()
  const over = (limit: number, value: number): boolean => limit > 0 && value > limit
  return {
    pressure: () => {
      if (over(p.maxEventLoopDelayMs, figures.eventLoopDelay)) return { reason: 'event loop delay', type: 'eventLoopDelay', value: figures.eventLoopDelay }
      if (over(p.maxHeapUsedBytes, figures.heapUsedBytes)) return { reason: 'heap in use', type: 'heapUsedBytes', value: figures.heapUsedBytes }
      if (over(p.maxRssBytes, figures.rssBytes)) return { reason: 'resident memory', type: 'rssBytes', value: figures.rssBytes }
      if (over(p.maxEventLoopUtilization, figures.eventLoopUtilization)) return { reason: 'event loop utilization', type: 'eventLoopUtilization', value: figures.eventLoopUtilization }
      return undefined
    },
    stop: () => { clearInterval(timer); delay.disable() }
  }
}

async function loadSheddingPlugin (app: FastifyInstance, opts: { config: Config }): Promise<void> {
  const p = opts.config.pressure
  const sampler = startSampler(p, app.log)
  app.addHook('onClose', async () => { sampler.stop() })
  app.addHook('onRequest', async (request) => {
    if (ALWAYS_ANSWERED.has(request.routeOptions.url ?? '')) return
    const pressure = sampler.pressure()
    if (pressure === undefined) return
    request.log.warn({ type: pressure.type, value: pressure.value }, 'shedding load')
    throw errors.unavailable(`The service is overloaded (${pressure.reason} past its limit); retry shortly.`, p.retryAfterSeconds)
  })
}

export default fp(loadSheddingPlugin, { name: 'load-shedding', dependencies: ['error-handler'] })

// Requests a minute per token subject and resource group, counted apart for reads, writes and exports
// (RATE_LIMIT_*; 0 turns one off), in this process's memory. The check runs after the route's auth hook
// (preParsing: before a body is read), so the key is a verified subject; requests without a token
// (probes, download links, documentation, metrics) are not counted here.
import rateLimit from '@fastify/rate-limit'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import type { Config } from '../config.js'
import { errors } from '../errors.js'

export type LimitClass = 'reads' | 'writes' | 'exports'

/** Exports by path; otherwise GET and HEAD read, anything else writes. */
function limitClassOf (request: FastifyRequest): LimitClass {
  const url = request.routeOptions.url ?? ''
  if (url.startsWith('/v2/lm/exports') || url.startsWith('/api/export-executions') || url === '/graphql') return 'exports'
  return request.method === 'GET' || request.method === 'HEAD' ? 'reads' : 'writes'
}

async function rateLimitPlugin (app: FastifyInstance, opts: { config: Config }): Promise<void> {
  const { readsPerMinute, writesPerMinute, exportsPerMinute } = opts.config.rateLimit
  const perMinute: Record<LimitClass, number> = { reads: readsPerMinute, writes: writesPerMinute, exports: exportsPerMinute }
  if (readsPerMinute + writesPerMinute + exportsPerMinute === 0) return
  await app.register(rateLimit, {
    global: true,
    hook: 'preParsing',
    timeWindow: 60_000,
    max: (request) => perMinute[limitClassOf(request)],
    keyGenerator: (request) => JSON.stringify([limitClassOf(request), request.principal?.subject ?? '', request.resourceGroup]),
    allowList: (request) => request.principal === null || perMinute[limitClassOf(request)] === 0,
    errorResponseBuilder: (request, context) => {
      const limitClass = limitClassOf(request)
      return errors.tooManyRequests(`Too many ${limitClass === 'exports' ? 'export requests' : limitClass} for this token in resource group ` +
        `${request.resourceGroup}: ${context.max} a minute; retry in ${context.after}.`, Math.max(1, Math.ceil(context.ttl / 1000)))
    }
  })
}

export default fp(rateLimitPlugin, { name: 'rate-limit', dependencies: ['auth', 'error-handler'] })

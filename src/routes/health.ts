// Liveness and readiness, outside auth: /healthz says the process is up, /readyz that the database answers.
import type { FastifyInstance } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { errors } from '../errors.js'
import { errorResponse } from '../schemas/common.js'

const status = z.object({ status: z.literal('ok') })

export default async function healthRoutes (app: FastifyInstance): Promise<void> {
  const typed = app.withTypeProvider<ZodTypeProvider>()
  typed.get('/healthz', {
    schema: { summary: 'Liveness: the process is up', tags: ['Health'], response: { 200: status } }
  }, async () => ({ status: 'ok' as const }))

  typed.get('/readyz', {
    schema: { summary: 'Readiness: the database answers', tags: ['Health'], response: { 200: status, 503: errorResponse } }
  }, async (request) => {
    try {
      await app.store.ping()
    } catch (err) {
      request.log.warn({ err }, 'database not ready')
      throw errors.unavailable('The database does not answer.')
    }
    return { status: 'ok' as const }
  })
}

// Requests that stall are cut off: a body that stops arriving for REQUEST_BODY_IDLE_SECONDS, or that is
// still arriving REQUEST_DEADLINE_SECONDS after the request began (a byte now and then), is answered 408
// and its connection closed; Node's own timers do the same for headers. MAX_CONNECTIONS caps open
// connections, and an error accepting one (EMFILE when descriptors run out) is logged, not fatal.
import { PassThrough, type Readable } from 'node:stream'
import type { FastifyInstance } from 'fastify'
import { errors } from '../errors.js'

export interface StallLimits {
  bodyIdleSeconds: number
  deadlineSeconds: number
  maxConnections: number
}

export function cutOffStalledRequests (app: FastifyInstance, limits: StallLimits): void {
  const server = app.server
  server.maxConnections = limits.maxConnections
  server.headersTimeout = Math.min(limits.deadlineSeconds, 60) * 1000
  server.requestTimeout = limits.deadlineSeconds * 1000
  server.on('error', (err) => { app.log.error({ err }, 'accepting a connection failed') })
  server.on('drop', (data) => { app.log.warn({ remote: data?.remoteAddress, maxConnections: limits.maxConnections }, 'connection refused: MAX_CONNECTIONS reached') })

  app.addHook('preParsing', async (request, _reply, payload) => {
    const headers = request.headers
    if (headers['content-length'] === undefined && headers['transfer-encoding'] === undefined) return payload
    const started = performance.now()
    const watched = new PassThrough()
    const cutOff = (message: string): void => { watched.destroy(errors.requestTimeout(message)) }
    const idle = setTimeout(() => { cutOff(`The request body stopped arriving for ${limits.bodyIdleSeconds} s (REQUEST_BODY_IDLE_SECONDS).`) }, limits.bodyIdleSeconds * 1000)
    const deadline = setTimeout(() => { cutOff(`The request took longer than ${limits.deadlineSeconds} s to arrive (REQUEST_DEADLINE_SECONDS).`) },
      Math.max(0, limits.deadlineSeconds * 1000 - (performance.now() - started)))
    const stop = (): void => { clearTimeout(idle); clearTimeout(deadline) }
    payload.on('data', () => { idle.refresh() })
    payload.once('end', stop)
    watched.once('close', stop)
    // Fastify stops listening once it has answered; a later error must not become an uncaught exception.
    watched.on('error', () => undefined)
    payload.on('error', (err) => { watched.destroy(err) })
    ;(payload as Readable).pipe(watched)
    return watched
  })
}

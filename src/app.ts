// Builds the service from a parsed config; it never listens (server.ts does, tests inject).
import { randomUUID } from 'node:crypto'
import type { IncomingMessage } from 'node:http'
import type { Socket } from 'node:net'
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyServerOptions } from 'fastify'
import { serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod'
import type { Config } from './config.js'
import { errors } from './errors.js'
import { cutOffStalledRequests } from './http/stalled-requests.js'
import { drainUnreadBodies } from './http/unread-body.js'
import authPlugin from './plugins/auth.js'
import blockMergerPlugin from './plugins/block-merger.js'
import consolePlugin from './plugins/console.js'
import databasePlugin from './plugins/database.js'
import decodePoolPlugin from './plugins/decode-pool.js'
import exportPlugin from './export/plugin.js'
import errorHandlerPlugin, { answerClientError, answerFrameworkError } from './plugins/error-handler.js'
import loadSheddingPlugin from './plugins/load-shedding.js'
import maintenancePlugin from './plugins/maintenance.js'
import metricsPlugin from './plugins/metrics.js'
import rateLimitPlugin from './plugins/rate-limit.js'
import swaggerPlugin from './plugins/swagger.js'
import { parseQueryString } from './querystring.js'
import exportRoutes from './routes/exports/index.js'
import graphqlRoutes from './graphql/plugin.js'
import collectorRoutes from './routes/collector/index.js'
import healthRoutes from './routes/health.js'
import lokiReadRoutes from './routes/loki/index.js'
import readLogsRoutes from './routes/logs/read.js'
import runRoutes from './routes/runs/index.js'
import writeLogsRoutes from './routes/logs/write.js'
import tailsPlugin from './tail/plugin.js'
import { fromMillis, type Instant } from './time.js'

export interface BuildOptions {
  databaseUrl: string
  /** The clock, in nanoseconds since the epoch. */
  now?: () => Instant
  /** Partition upkeep and export jobs on timers (off when only the OpenAPI document is wanted). */
  maintenance?: boolean
  /** A pino logger to use; without it one is made from the config. */
  loggerInstance?: FastifyBaseLogger
}

// After its answer, the rest of a request's body is read only while it keeps coming (src/http/unread-body.ts).
const UNREAD_BODY_IDLE_MS = 2000
const UNREAD_BODY_DEADLINE_MS = 10_000

const SANE_REQUEST_ID = /^[\w.:-]{1,128}$/
const PROBES = new Set(['/healthz', '/readyz'])

export function loggerOptions (config: Config): FastifyServerOptions['logger'] {
  return {
    level: config.logLevel,
    // pretty only for a person at a terminal; JSON lines everywhere else
    ...(process.stdout.isTTY ? { transport: { target: 'pino-pretty', options: { translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' } } } : {})
  }
}

export async function buildApp (config: Config, options: BuildOptions): Promise<FastifyInstance> {
  const app = Fastify({
    ...(options.loggerInstance === undefined ? { logger: loggerOptions(config) } : { loggerInstance: options.loggerInstance }),
    requestIdHeader: false,
    // Probes would fill the log with a pair of lines each; they still log what goes wrong.
    logController: new LogController({ requestIdLogLabel: 'requestId', disableRequestLogging: (req) => PROBES.has(req.url) }),
    genReqId: (req) => {
      const incoming = req.headers['x-request-id']
      return typeof incoming === 'string' && SANE_REQUEST_ID.test(incoming) ? incoming : randomUUID()
    },
    routerOptions: { querystringParser: parseQueryString },
    frameworkErrors: answerFrameworkError,
    clientErrorHandler: answerClientError,
    return503OnClosing: false,
    // Node checks its request and header timeouts this often (30 s by default): stalled requests end on time.
    http: { connectionsCheckingInterval: 1000 },
    bodyLimit: 1024 * 1024
  })
  app.setValidatorCompiler(validatorCompiler)
  app.setSerializerCompiler(serializerCompiler)
  // nosniff: a browser never reads a JSON or text answer (a log line may hold HTML) as another type.
  app.addHook('onRequest', async (request, reply) => { reply.header('x-request-id', request.id).header('x-content-type-options', 'nosniff') })
  // While closing: new requests get the contract's 503 (Fastify's own answer has another body), and
  // responses to requests already in flight end their connection, so the server need not wait out the
  // keep-alive timeout before it can close.
  let closing = false
  // A connection that never carried a request (a client's pool opens them ahead of need) is not idle to
  // Node, so server.close() would wait for it until headersTimeout: while closing, such connections end.
  const unused = new Set<Socket>()
  app.server.on('connection', (socket: Socket) => { unused.add(socket); socket.once('close', () => unused.delete(socket)) })
  app.server.on('request', (request: IncomingMessage) => { unused.delete(request.socket) })
  app.addHook('preClose', async () => {
    closing = true
    for (const socket of unused) socket.destroy()
  })
  app.addHook('onRequest', async () => { if (closing) throw errors.unavailable('The service is shutting down; retry shortly.', 1) })
  app.addHook('onSend', async (_request, reply) => { if (closing) reply.header('connection', 'close') })
  // A response that began before the close (a long read) keeps its connection alive after it ends, and
  // server.close() closed idle connections only once: close them again as each response finishes.
  app.addHook('onResponse', async () => { if (closing) setImmediate(() => { app.server.closeIdleConnections() }) })
  drainUnreadBodies(app, { maxBytes: 2 * config.ingestMaxBytes, idleMs: UNREAD_BODY_IDLE_MS, deadlineMs: UNREAD_BODY_DEADLINE_MS, isClosing: () => closing })
  cutOffStalledRequests(app, config.connections)

  await app.register(errorHandlerPlugin)
  await app.register(swaggerPlugin)
  await app.register(authPlugin, { config })
  // Before every route, so each route registered after them is measured, shed and limited.
  await app.register(metricsPlugin, { config })
  await app.register(loadSheddingPlugin, { config })
  await app.register(rateLimitPlugin, { config })
  await app.register(databasePlugin, {
    config,
    databaseUrl: options.databaseUrl,
    now: options.now ?? (() => fromMillis(Date.now()))
  })
  if (options.maintenance ?? true) await app.register(maintenancePlugin, { config })
  await app.register(blockMergerPlugin, { config, background: options.maintenance ?? true })
  await app.register(tailsPlugin, { config, databaseUrl: options.databaseUrl })
  await app.register(healthRoutes)
  await app.register(readLogsRoutes, { config })
  await app.register(runRoutes, { config })
  await app.register(decodePoolPlugin, { config })
  await app.register(writeLogsRoutes, { config })
  await app.register(exportPlugin, { config, databaseUrl: options.databaseUrl, background: options.maintenance ?? true })
  await app.register(exportRoutes, { config })
  await app.register(graphqlRoutes, { config })
  await app.register(collectorRoutes, { config })
  await app.register(lokiReadRoutes, { config })
  await app.register(consolePlugin)
  return app
}

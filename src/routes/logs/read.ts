// GET /v2/lm/{deployments|executions}/{id}/logs, as SAP AI Core's AI API serves it, and beyond it: cursors,
// filters, streamed formats, compression and live tails (docs/reading.md).
import { promisify } from 'node:util'
import { brotliCompress, gzip } from 'node:zlib'
import { pipeline } from 'node:stream'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { lazySecret } from '../../auth/signing.js'
import type { Config } from '../../config.js'
import { errors } from '../../errors.js'
import { CursorError, decodeCursor, encodeCursor, type CursorState } from '../../read/cursor.js'
import type { LogRange, RunKey } from '../../model.js'
import { chooseEncoding, chooseFormat, COMPRESSION, compressor, CONTENT_TYPE, type ReadEncoding, type ReadFormat } from '../../read/format.js'
import { MAX_TOP, resolveRange } from '../../read/query.js'
import { cursorStateOf, positionOf, rangeBatches, STREAM_BATCH, streamOf } from '../../read/stream.js'
import { LineBudget, takeForResponse } from '../../read/line-budget.js'
import { renderLogsBody } from '../../read/render.js'
import { follow } from '../../tail/follow.js'
import { errorResponse, logsQuery, logsResponse, resourceGroupHeaders, runIdParam } from '../../schemas/common.js'
import { RUN_ROUTES, runKeyOf, type RunRoute } from '../run-kinds.js'

export const CURSOR_SECRET_FILE = 'cursor-secret'

const gzipAsync = promisify(gzip)
const brotliAsync = promisify(brotliCompress)
const compressBody = async (body: string, encoding: Exclude<ReadEncoding, 'identity'>): Promise<Buffer> => encoding === 'gzip'
  ? await gzipAsync(body, COMPRESSION.gzip)
  : await brotliAsync(body, COMPRESSION.br)

export default async function readLogsRoutes (app: FastifyInstance, opts: { config: Config }): Promise<void> {
  const { config } = opts
  const cursorSecret = lazySecret(config.cursorSecret, config.dataDir, CURSOR_SECRET_FILE)
  const pageBudget = new LineBudget(config.readLinesInFlight)
  // Pages still waiting for the budget when the service closes are answered 503 before the pools end.
  app.addHook('preClose', async () => { pageBudget.refuseFromNow(() => errors.unavailable('The service is shutting down; retry shortly.', 1)) })

  async function cursorFrom (text: string, parameter: 'cursor' | 'Last-Event-ID'): Promise<CursorState> {
    try {
      return decodeCursor(await cursorSecret(), text)
    } catch (err) {
      if (!(err instanceof CursorError)) throw err
      throw errors.invalidRequest(`The ${parameter} is not a cursor this service made, or it was altered.`, { parameter })
    }
  }

  /** A run never seen in this group is a 404; asked only when a read found no line, so never on a busy path. */
  async function mustExist (run: RunKey, found: number): Promise<void> {
    if (found > 0 || await app.store.runExists(run)) return
    const route = RUN_ROUTES.find((r) => r.kind === run.kind) as RunRoute
    throw errors.notFound(`No ${route.kind} ${run.id} has logs in resource group ${run.group}.`, { [route.param]: run.id })
  }

  /** SAP's JSON body, with nextCursor while lines remain. */
  async function sendPage (reply: FastifyReply, range: LogRange, encoding: ReadEncoding): Promise<FastifyReply> {
    // Held until the response has left, so the rows and body of only so many lines exist at once.
    // 499 (nginx's "client closed request"): nobody reads this answer; it only names the case in logs and metrics.
    if (!await takeForResponse(pageBudget, reply.raw, range.top + 1)) return await reply.code(499).send()
    // One line more than asked says whether more remain, without a count.
    const rows = await app.store.read(range, range.top + 1)
    const more = rows.length > range.top
    if (more) rows.pop()
    await mustExist(range.run, rows.length)
    const last = rows[rows.length - 1]
    const nextCursor = more && last !== undefined ? encodeCursor(await cursorSecret(), { ...cursorStateOf(range), after: positionOf(last) }) : undefined
    reply.log.debug({ lines: rows.length }, 'served')
    // Rendered from the rows directly (see render.ts); Fastify sends a string with a JSON type as it is.
    const body = renderLogsBody(rows, nextCursor)
    reply.type(CONTENT_TYPE.json)
    if (encoding === 'identity') return await reply.send(body as never)
    return await reply.header('content-encoding', encoding).send(await compressBody(body, encoding) as never)
  }

  /** NDJSON, text or SSE, read in batches as the client takes them. */
  async function sendStream (request: FastifyRequest, reply: FastifyReply, range: LogRange, format: Exclude<ReadFormat, 'json'>, encoding: ReadEncoding): Promise<FastifyReply> {
    const asked = Math.min(STREAM_BATCH, range.top)
    const first = await app.store.read(range, asked)
    await mustExist(range.run, first.length)
    const key = await cursorSecret()
    const state = cursorStateOf(range)
    const lines = streamOf(rangeBatches(app.store, range, first, asked), format, (row) => encodeCursor(key, { ...state, after: positionOf(row) }))
    reply.type(CONTENT_TYPE[format])
    if (encoding === 'identity') return await reply.send(lines as never)
    const compressed = compressor(encoding)
    pipeline(lines, compressed, (err) => { if (err !== undefined && err !== null) request.log.warn({ err }, 'streamed read ended early') })
    return await reply.header('content-encoding', encoding).send(compressed as never)
  }

  const headers = resourceGroupHeaders.extend({
    'last-event-id': z.string().optional().meta({ description: 'With follow=true: the id of the last SSE event received; the tail resumes after it.' })
  })

  for (const route of RUN_ROUTES) {
    app.withTypeProvider<ZodTypeProvider>().get(`/v2/lm/${route.plural}/:${route.param}/logs`, {
      onRequest: app.requireScope('logs.read'),
      schema: {
        operationId: `kubesubmit.v4.${route.plural}.get_logs`,
        summary: `Get logs of a ${route.kind}`,
        description: `Lines of the ${route.kind} in [start, end), ordered by time (ties in ingestion order). Scope logs.read. ` +
          'Accept: application/json (default), application/x-ndjson, text/plain (<timestamp> <stream> <msg>) or text/event-stream; ' +
          'Accept-Encoding: gzip or br. With follow=true the response stays open and carries new lines as they are written.',
        tags: [route.tag],
        security: [{ bearerAuth: [] }],
        params: z.object({ [route.param]: runIdParam }),
        headers,
        querystring: logsQuery(config.streamMaxLines),
        produces: ['application/json', 'application/x-ndjson', 'text/plain', 'text/event-stream'],
        response: { 200: logsResponse, 400: errorResponse, 401: errorResponse, 403: errorResponse, 404: errorResponse, 429: errorResponse }
      }
    }, async (request, reply) => {
      const run = runKeyOf(route, request, reply)
      const query = request.query
      const following = query.follow === 'true'
      const negotiated = chooseFormat(request.headers.accept)
      // A followed read is a stream: SAP's JSON body has no way to grow, so JSON and */* get NDJSON.
      const format = following && negotiated === 'json' ? 'ndjson' : negotiated
      const encoding = chooseEncoding(request.headers['accept-encoding'])
      reply.header('vary', 'Accept, Accept-Encoding')

      const cursor = query.cursor !== undefined
        ? await cursorFrom(query.cursor, 'cursor')
        : following && request.headers['last-event-id'] !== undefined ? await cursorFrom(request.headers['last-event-id'], 'Last-Event-ID') : undefined
      const range = resolveRange(run, query, app.now(), {
        maxTop: format === 'json' ? MAX_TOP : config.streamMaxLines,
        follow: following,
        ...(cursor === undefined ? {} : { cursor })
      })
      if (following) {
        return await follow(app, request, reply, {
          range,
          ...(cursor === undefined ? {} : { cursor }),
          format: format === 'json' ? 'ndjson' : format,
          encoding,
          secret: await cursorSecret(),
          maxSeconds: config.followMaxSeconds,
          heartbeatSeconds: config.followHeartbeatSeconds
        })
      }

      if (format === 'json') return await sendPage(reply, range, encoding)
      return await sendStream(request, reply, range, format, encoding)
    })
  }
}

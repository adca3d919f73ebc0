// GET /loki/api/v1/tail over WebSocket (logcli --tail, Grafana's live tail): first the newest `limit` lines
// since `start`, then every line committed since, as {"streams":[...],"dropped_entries":null} messages. Each
// run the selector matches gets a live tail of its own (src/tail/tail.ts, ordered by ingestion sequence,
// so nothing committed late is missed); the runs are listed again every few seconds for new ones.
import websocket, { type WebSocket } from '@fastify/websocket'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { Config } from '../../config.js'
import { FOLLOW_END } from '../../read/query.js'
import { logLines } from '../../loki/evaluate.js'
import { LokiQueryError, parseLogQL, type LogSelector } from '../../loki/logql.js'
import { limitOf, lokiParams, parseLokiTime } from '../../loki/params.js'
import { streamsOf } from '../../loki/render.js'
import { lineReader, LineScan, pushedDown, type LokiLine } from '../../loki/scan.js'
import { runKeyText, type RunKey } from '../../model.js'
import { Tail } from '../../tail/tail.js'
import { NS_PER_SECOND, type Instant } from '../../time.js'

const RELIST_MS = 5000

interface TailRequest { selector: LogSelector, start: Instant, limit: number }

declare module 'fastify' {
  interface FastifyRequest { lokiTail?: TailRequest }
}

export default async function lokiTailRoute (app: FastifyInstance, opts: { config: Config }): Promise<void> {
  const { config } = opts
  await app.register(websocket, { options: { maxPayload: 64 * 1024 } })

  // Checked before the upgrade, so a bad query or token is an HTTP error the client can show.
  const parse = async (request: FastifyRequest): Promise<void> => {
    const params = lokiParams(request.url)
    const query = parseLogQL(params.get('query') ?? '')
    if (query.kind !== 'log') throw new LokiQueryError('tail takes a log query (a stream selector and line filters), not a metric query')
    const startText = params.get('start')
    const start = startText === null || startText === '' ? app.now() - 3600n * NS_PER_SECOND : parseLokiTime(startText, 'start')
    request.lokiTail = { selector: query.selector, start, limit: limitOf(params, config.loki.maxEntries) }
  }

  app.get('/loki/api/v1/tail', {
    websocket: true,
    onRequest: app.requireScope('logs.read'),
    config: { tenantHeaderNamesGroup: true },
    preHandler: parse,
    schema: { hide: true }
  }, async (socket: WebSocket, request: FastifyRequest) => {
    const { selector, start, limit } = request.lokiTail as TailRequest
    const group = request.resourceGroup
    const registration = app.tails.reserve(group)
    // On the primary: the watermarks and the history below them must come from one server that has them all.
    const scan = new LineScan(app, group, config.loki, app.store.primary)
    const tails = new Map<string, { tail: Tail, unregister: () => void }>()
    let closed = false
    const sendLines = (lines: LokiLine[]): void => {
      if (lines.length > 0 && !closed) socket.send(JSON.stringify({ streams: streamsOf(lines), dropped_entries: null }))
    }
    const close = (code = 1000, reason = ''): void => {
      if (closed) return
      closed = true
      clearInterval(relist)
      clearTimeout(deadline)
      for (const { tail, unregister } of tails.values()) { tail.stop(); unregister() }
      registration.release()
      if (socket.readyState === socket.OPEN) socket.close(code, reason.slice(0, 120))
    }

    const follow = async (run: RunKey, watermark: bigint): Promise<void> => {
      const toLine = lineReader(run, selector)
      const tail = new Tail(app.store.primary, {
        range: { run, start, end: FOLLOW_END, top: limit, order: 'asc', filters: pushedDown(selector) },
        watermark,
        following: true
      }, {
        write: async (rows) => { sendLines(rows.map(toLine).filter((l): l is LokiLine => l !== undefined)) }
      })
      const unregister = await app.tails.register(run, tail, async () => { close(1001, 'the service is shutting down') })
      if (closed) { unregister(); return }
      tails.set(runKeyText(run), { tail, unregister })
      tail.run().catch((err: unknown) => {
        request.log.warn({ err }, 'live tail failed; closing the socket')
        close(1011, 'the live tail failed')
      })
    }
    const newRuns = async (): Promise<RunKey[]> =>
      (await scan.runs(selector, start, FOLLOW_END)).filter((run) => !tails.has(runKeyText(run)))

    socket.on('close', () => { close() })
    const relist = setInterval(() => {
      newRuns()
        .then(async (runs) => { for (const run of runs) await follow(run, 0n) })
        .catch((err: unknown) => { close(1011, err instanceof LokiQueryError ? err.message : 'listing runs failed') })
    }, RELIST_MS)
    const deadline = setTimeout(() => { close(1000, 'FOLLOW_MAX_SECONDS reached') }, config.followMaxSeconds * 1000)

    try {
      // The history stops at each run's watermark and the tail starts there: no line twice, none missed.
      const runs = await newRuns()
      const watermarks = new Map<string, bigint>()
      for (const run of runs) watermarks.set(runKeyText(run), (await app.store.primary.nextSeq(run)) ?? 0n)
      const history = await logLines(scan, selector, runs, start, FOLLOW_END, limit, 'desc', (run) => watermarks.get(runKeyText(run)))
      sendLines(history.reverse())
      for (const run of runs) await follow(run, watermarks.get(runKeyText(run)) ?? 0n)
      request.log.info({ runs: runs.length }, 'loki tail opened')
    } catch (err) {
      request.log.warn({ err }, 'loki tail could not start')
      close(1011, err instanceof LokiQueryError ? err.message : 'the tail could not start')
    }
  })
}

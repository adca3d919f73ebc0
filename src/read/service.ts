// Reading a run's lines (GET /v2/lm/{deployments|executions}/{id}/logs): the format and encoding, the
// cursor, the range, then a page (SAP's JSON body, held to the page budget), a stream (NDJSON, text, SSE)
// or a live tail. Answers are values: the route sends them.
import { pipeline, type Readable } from 'node:stream'
import { promisify } from 'node:util'
import { brotliCompress, gzip } from 'node:zlib'
import type { FastifyBaseLogger } from 'fastify'
import { SealedTokenError } from '../auth/sealed-token.js'
import { errors } from '../errors.js'
import type { LogRange, RunKey } from '../model.js'
import type { LogStore } from '../store/log-store.js'
import { walkRange } from '../store/range-walk.js'
import { follow, type ResponseEvents } from '../tail/follow.js'
import type { TailRegistry } from '../tail/registry.js'
import type { Instant } from '../time.js'
import { decodeCursor, encodeCursor, type CursorState } from './cursor.js'
import { chooseEncoding, chooseFormat, COMPRESSION, compressor, CONTENT_TYPE, type ReadEncoding, type ReadFormat } from './format.js'
import { LineBudget, takeForResponse } from './line-budget.js'
import { maxTopFor, resolveRange, type ReadParameters } from './query.js'
import { PageBodies } from './page-bodies.js'
import { renderLogsBody } from './render.js'
import { cursorStateOf, STREAM_BATCH, streamOf } from './stream.js'

const gzipAsync = promisify(gzip)
const brotliAsync = promisify(brotliCompress)
const compressBody = async (body: Buffer, encoding: Exclude<ReadEncoding, 'identity'>): Promise<Buffer> => encoding === 'gzip'
  ? await gzipAsync(body, COMPRESSION.gzip)
  : await brotliAsync(body, COMPRESSION.br)

export interface ReadAsk {
  run: RunKey
  query: ReadParameters & { cursor?: string, follow?: 'true' | 'false' }
  accept?: string
  acceptEncoding?: string
  lastEventId?: string
  /** The response's events: a page gives its lines back to the budget, and a tail ends, when it closes. */
  response: ResponseEvents
  log: FastifyBaseLogger
}

export interface ReadAnswer {
  status: number
  headers: Record<string, string>
  body?: string | Buffer | Readable
}

export interface ReadSettings {
  cursorSecret: () => Promise<string>
  /** READ_LINES_IN_FLIGHT: the page budget. */
  readLinesInFlight: number
  streamMaxLines: number
  followMaxSeconds: number
  followHeartbeatSeconds: number
}

export class ReadService {
  private readonly pageBudget: LineBudget
  private readonly pageBodies = new PageBodies()

  constructor (private readonly store: LogStore, private readonly tails: TailRegistry, private readonly now: () => Instant,
    private readonly settings: ReadSettings) {
    this.pageBudget = new LineBudget(settings.readLinesInFlight)
  }

  /** Pages still waiting for the budget are answered 503 from now on (the service is closing, the pools end next). */
  close (): void {
    this.pageBudget.refuseFromNow(() => errors.unavailable('The service is shutting down; retry shortly.', 1))
  }

  async read (ask: ReadAsk): Promise<ReadAnswer> {
    const { query } = ask
    const following = query.follow === 'true'
    const negotiated = chooseFormat(ask.accept)
    // A followed read is a stream: SAP's JSON body has no way to grow, so JSON and */* get NDJSON.
    const format = following && negotiated === 'json' ? 'ndjson' : negotiated
    const encoding = chooseEncoding(ask.acceptEncoding)
    const cursor = query.cursor !== undefined
      ? await this.cursorFrom(query.cursor, 'cursor')
      : following && ask.lastEventId !== undefined ? await this.cursorFrom(ask.lastEventId, 'Last-Event-ID') : undefined
    const range = resolveRange(ask.run, query, this.now(), {
      maxTop: maxTopFor(format, this.settings.streamMaxLines),
      follow: following,
      ...(cursor === undefined ? {} : { cursor })
    })
    if (following) {
      const tail = await follow(this.tails, this.store, ask.response, ask.log, {
        range,
        ...(cursor === undefined ? {} : { cursor }),
        format: format === 'json' ? 'ndjson' : format,
        encoding,
        secret: await this.settings.cursorSecret(),
        maxSeconds: this.settings.followMaxSeconds,
        heartbeatSeconds: this.settings.followHeartbeatSeconds
      })
      return { status: 200, ...tail }
    }
    if (format === 'json') return await this.page(ask, range, encoding)
    return await this.stream(ask, range, format, encoding)
  }

  private async cursorFrom (text: string, parameter: 'cursor' | 'Last-Event-ID'): Promise<CursorState> {
    try {
      return decodeCursor(await this.settings.cursorSecret(), text)
    } catch (err) {
      if (!(err instanceof SealedTokenError)) throw err
      throw errors.invalidRequest(`The ${parameter} is not a cursor this service made, or it was altered.`, { parameter })
    }
  }

  /** A run never seen in this group is a 404; asked only when a read found no line, so never on a busy path. */
  private async mustExist (run: RunKey, found: number): Promise<void> {
    if (found > 0 || await this.store.runExists(run)) return
    throw errors.notFound(`No ${run.kind} ${run.id} has logs in resource group ${run.group}.`, { [`${run.kind}Id`]: run.id })
  }

  /** SAP's JSON body, with nextCursor while lines remain. */
  private async page (ask: ReadAsk, range: LogRange, encoding: ReadEncoding): Promise<ReadAnswer> {
    // Held until the response has left, so the rows and body of only so many lines exist at once.
    // 499 (nginx's "client closed request"): nobody reads this answer; it only names the case in logs and metrics.
    if (!await takeForResponse(this.pageBudget, ask.response, range.top + 1)) return { status: 499, headers: {} }
    // One line more than asked says whether more remain, without a count.
    const rows = await this.store.read(range, range.top + 1)
    const more = rows.length > range.top
    if (more) rows.pop()
    await this.mustExist(range.run, rows.length)
    const last = rows[rows.length - 1]
    const nextCursor = more && last !== undefined ? encodeCursor(await this.settings.cursorSecret(), { ...cursorStateOf(range), after: last.position }) : undefined
    ask.log.debug({ lines: rows.length }, 'served')
    // Rendered from the lines' blocks as bytes (see render.ts); Fastify sends a Buffer as it is.
    // into a buffer lent for it, given back once the body has left (or been compressed).
    const body = renderLogsBody(rows, nextCursor, (bytes) => this.pageBodies.lend(bytes))
    const headers = { 'content-type': CONTENT_TYPE.json }
    if (encoding === 'identity') {
      ask.response.once('close', () => { this.pageBodies.giveBack(body) })
      return { status: 200, headers, body }
    }
    try {
      return { status: 200, headers: { ...headers, 'content-encoding': encoding }, body: await compressBody(body, encoding) }
    } finally {
      this.pageBodies.giveBack(body)
    }
  }

  /** NDJSON, text or SSE, read in batches as the client takes them. */
  private async stream (ask: ReadAsk, range: LogRange, format: Exclude<ReadFormat, 'json'>, encoding: ReadEncoding): Promise<ReadAnswer> {
    const asked = Math.min(STREAM_BATCH, range.top)
    const first = await this.store.read(range, asked)
    await this.mustExist(range.run, first.length)
    const key = await this.settings.cursorSecret()
    const state = cursorStateOf(range)
    const batches = walkRange(async (next, limit) => await this.store.read(next, limit), range, STREAM_BATCH, { total: range.top, first })
    const lines = streamOf(batches, format, (line) => encodeCursor(key, { ...state, after: line.position }))
    const headers = { 'content-type': CONTENT_TYPE[format] }
    if (encoding === 'identity') return { status: 200, headers, body: lines }
    const compressed = compressor(encoding)
    pipeline(lines, compressed, (err) => { if (err !== undefined && err !== null) ask.log.warn({ err }, 'streamed read ended early') })
    return { status: 200, headers: { ...headers, 'content-encoding': encoding }, body: compressed }
  }
}

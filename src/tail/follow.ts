// follow=true: the response stays open and carries the tail's lines as SSE events (each id a cursor that
// Last-Event-ID resumes from), NDJSON or text, with heartbeats, a time bound, and a clean end on shutdown.
import { PassThrough, type Readable } from 'node:stream'
import type { FastifyBaseLogger } from 'fastify'
import { encodeCursor, type CursorState } from '../read/cursor.js'
import type { LogRange } from '../model.js'
import { compressor, CONTENT_TYPE, type ReadEncoding, type ReadFormat } from '../read/format.js'
import { renderFrames } from '../read/render.js'
import type { LogStore } from '../store/log-store.js'
import type { StoredLine } from '../store/stored-line.js'
import type { TailRegistry } from './registry.js'
import { Tail } from './tail.js'

/** The response's events (an http.ServerResponse has them): the tail ends when its response closes. */
export interface ResponseEvents {
  once: (event: 'close' | 'finish', listener: () => void) => unknown
}

export interface FollowOptions {
  range: LogRange
  cursor?: CursorState
  format: Exclude<ReadFormat, 'json'>
  encoding: ReadEncoding
  secret: string
  maxSeconds: number
  heartbeatSeconds: number
}

// SSE comments and blank NDJSON/text lines: proxies see traffic, clients skip them.
const HEARTBEAT: Record<FollowOptions['format'], string> = { sse: ': heartbeat\n\n', ndjson: '\n', text: '\n' }
// The first bytes also send the headers at once, so a client knows the tail is open before any line comes.
const OPENING: Record<FollowOptions['format'], string> = { sse: 'retry: 1000\n\n', ndjson: '\n', text: '\n' }

/** Opens the tail; its answer's body carries the lines until the response closes, the time is up or the service closes. */
export async function follow (tails: TailRegistry, store: LogStore, response: ResponseEvents, log: FastifyBaseLogger,
  opts: FollowOptions): Promise<{ headers: Record<string, string>, body: Readable }> {
  const registration = tails.reserve(opts.range.run.group)
  const out = opts.encoding === 'identity' ? new PassThrough() : compressor(opts.encoding)
  const flush = (): void => { if ('flush' in out) out.flush() }
  let ended = false
  const end = (): void => {
    if (ended) return
    ended = true
    tail.stop()
    out.end()
  }
  const write = async (lines: StoredLine[], stateAfter: (line: StoredLine) => CursorState): Promise<void> => {
    if (lines.length === 0 || ended) return
    const [chunk] = [...renderFrames(opts.format, lines, (line) => encodeCursor(opts.secret, stateAfter(line)))]
    const more = out.write(chunk)
    flush()
    if (!more) await new Promise((resolve) => { out.once('drain', resolve); out.once('close', resolve) })
  }
  // On the primary: the tail's watermark and the lines below it must come from one server that has them all.
  const tail = new Tail(store.primary, {
    range: opts.range,
    ...(opts.cursor?.watermark === undefined ? {} : { watermark: opts.cursor.watermark }),
    ...(opts.cursor?.following === true ? { following: true } : {})
  }, { write })
  // On shutdown: end the stream and wait (briefly) until the response is out.
  const finished = new Promise<void>((resolve) => { response.once('close', resolve); response.once('finish', resolve) })
  const endForShutdown = async (): Promise<void> => {
    end()
    let timer: NodeJS.Timeout | undefined
    await Promise.race([finished, new Promise((resolve) => { timer = setTimeout(resolve, 2000) })])
    clearTimeout(timer)
  }
  let unregister: () => void
  try {
    unregister = await tails.register(opts.range.run, tail, endForShutdown)
  } catch (err) {
    registration.release()
    throw err
  }

  const heartbeat = setInterval(() => { if (!ended) { out.write(HEARTBEAT[opts.format]); flush() } }, opts.heartbeatSeconds * 1000)
  const deadline = setTimeout(end, opts.maxSeconds * 1000)
  response.once('close', end)
  tail.run()
    .catch((err: unknown) => { log.warn({ err }, 'live tail failed; ending its stream') })
    .finally(() => {
      clearInterval(heartbeat)
      clearTimeout(deadline)
      unregister()
      registration.release()
      end()
    })
  out.write(OPENING[opts.format])
  flush()
  log.info({ format: opts.format }, 'live tail opened')
  return {
    headers: {
      'content-type': CONTENT_TYPE[opts.format],
      'cache-control': 'no-cache',
      'x-accel-buffering': 'no',
      ...(opts.encoding === 'identity' ? {} : { 'content-encoding': opts.encoding })
    },
    body: out
  }
}

// @ts-check
// run-logs logs deployment|execution ID: a range, the newest N (--tail), or a live tail (--follow) that
// reconnects with Last-Event-ID after a dropped connection, so no line is lost or repeated.
import { setTimeout as sleep } from 'node:timers/promises'
import { CliError, request, requestJson, usage } from './client.js'
import { lineFormatter, writeOut } from './output.js'
import { sinceStart } from './time.js'

/** @typedef {import('./client.js').Connection} Connection */
/** @typedef {import('./output.js').LogItem} LogItem */

export const LOGS_OPTIONS = /** @type {const} */ ({
  since: { type: 'string' },
  start: { type: 'string' },
  end: { type: 'string' },
  follow: { type: 'boolean', short: 'f' },
  container: { type: 'string', short: 'c' },
  pod: { type: 'string' },
  stream: { type: 'string' },
  grep: { type: 'string' },
  tail: { type: 'string' },
  order: { type: 'string' },
  output: { type: 'string', short: 'o' },
  prefix: { type: 'boolean' },
  timestamps: { type: 'boolean' }
})

const PAGE = 5000
const MAX_TAIL = 5000
/** How long --follow keeps trying to reconnect before it gives up (exit 3). */
const RECONNECT_FOR_MS = 120_000

/**
 * @param {Connection} conn
 * @param {string[]} args
 * @param {{ [K in keyof typeof LOGS_OPTIONS]?: typeof LOGS_OPTIONS[K]['type'] extends 'boolean' ? boolean : string }} o
 */
export async function logsCommand (conn, args, o) {
  const [kind, id, ...rest] = args
  if ((kind !== 'deployment' && kind !== 'execution') || id === undefined || rest.length > 0) throw usage('usage: run-logs logs deployment|execution ID [options]')
  const format = o.output ?? 'text'
  if (format !== 'text' && format !== 'json' && format !== 'ndjson') throw usage('-o must be text, json or ndjson')
  if (o.order !== undefined && o.order !== 'asc' && o.order !== 'desc') throw usage('--order must be asc or desc')
  if (o.since !== undefined && o.start !== undefined) throw usage('give --since or --start, not both')
  if (o.follow === true && (o.order === 'desc' || format === 'json')) throw usage('--follow prints lines oldest first as they come: use -o text or ndjson, without --order desc')
  const tail = o.tail === undefined ? undefined : Number(o.tail)
  if (tail !== undefined && (!Number.isInteger(tail) || tail < 1 || tail > MAX_TAIL)) throw usage(`--tail must be a whole number from 1 to ${MAX_TAIL}`)

  const path = `/v2/lm/${kind}s/${encodeURIComponent(id)}/logs`
  const params = new URLSearchParams()
  const start = o.since === undefined ? o.start : sinceStart(o.since)
  if (start !== undefined) params.set('start', start)
  if (o.end !== undefined) params.set('end', o.end)
  if (o.container !== undefined) params.set('container', o.container)
  if (o.pod !== undefined) params.set('pod', o.pod)
  if (o.stream !== undefined) params.set('stream', o.stream)
  if (o.grep !== undefined) params.set('contains', o.grep)
  const render = lineFormatter(format === 'json' ? 'ndjson' : format, { prefix: o.prefix === true, timestamps: o.timestamps === true })
  /** @type {LogItem[]} */
  const collected = []
  const emit = format === 'json' ? async (/** @type {LogItem} */ item) => { collected.push(item) } : async (/** @type {LogItem} */ item) => { await writeOut(render(item)) }

  if (tail !== undefined) {
    const newest = await page(conn, path, params, { order: 'desc', top: tail })
    const lines = o.order === 'desc' ? newest.result : newest.result.reverse()
    for (const item of lines) await emit(item)
    if (o.follow === true) {
      // Continue after the newest line printed: from its time, skipping the lines of that time already shown.
      const after = o.order === 'desc' ? lines[0] : lines[lines.length - 1]
      const from = new URLSearchParams(params)
      const seen = lines.filter((l) => l.timestamp === after?.timestamp).length
      if (after !== undefined) from.set('start', after.timestamp)
      await follow(conn, path, from, emit, seen, after?.timestamp)
    }
  } else if (o.follow === true) {
    await follow(conn, path, params, emit, 0, undefined)
  } else {
    /** @type {string | undefined} */
    let cursor
    do {
      const answer = await page(conn, path, params, { order: o.order ?? 'asc', top: PAGE, cursor })
      for (const item of answer.result) await emit(item)
      cursor = answer.nextCursor
    } while (cursor !== undefined)
  }
  if (format === 'json') await writeOut(JSON.stringify(collected, null, 2) + '\n')
}

/**
 * One JSON page.
 * @param {Connection} conn @param {string} path @param {URLSearchParams} params
 * @param {{ order: string, top: number, cursor?: string | undefined }} opts
 * @returns {Promise<{ result: LogItem[], nextCursor?: string }>}
 */
async function page (conn, path, params, opts) {
  const query = new URLSearchParams(opts.cursor === undefined ? params : {})
  if (opts.cursor === undefined) query.set('$order', opts.order)
  else query.set('cursor', opts.cursor)
  query.set('$top', String(opts.top))
  const body = await requestJson(conn, `${path}?${query}`)
  return body.data
}

/**
 * Follows over SSE; each event's id is a cursor, sent back as Last-Event-ID when reconnecting.
 * @param {Connection} conn @param {string} path @param {URLSearchParams} params
 * @param {(item: LogItem) => Promise<void>} emit
 * @param {number} skip lines at `skipAt` already printed
 * @param {string | undefined} skipAt
 */
async function follow (conn, path, params, emit, skip, skipAt) {
  const query = new URLSearchParams(params)
  query.set('follow', 'true')
  /** @type {string | undefined} */
  let lastEventId
  let failingSince = 0
  for (;;) {
    try {
      const res = await request(conn, `${path}?${query}`, {
        headers: { accept: 'text/event-stream', ...(lastEventId === undefined ? {} : { 'last-event-id': lastEventId }) }
      })
      failingSince = 0
      for await (const event of events(/** @type {ReadableStream<Uint8Array>} */ (res.body))) {
        if (event.data === undefined) continue
        /** @type {LogItem} */
        const item = JSON.parse(event.data)
        if (skip > 0 && item.timestamp === skipAt) { skip--; lastEventId = event.id ?? lastEventId; continue }
        skip = 0
        await emit(item)
        if (event.id !== undefined) lastEventId = event.id
      }
    } catch (err) {
      // A 4xx will not change by retrying; a 5xx, a refused or dropped connection may.
      if (err instanceof CliError && err.exitCode !== 3) throw err
      if (failingSince === 0) failingSince = Date.now()
      else if (Date.now() - failingSince > RECONNECT_FOR_MS) throw err instanceof CliError ? err : new CliError(3, `the connection dropped: ${/** @type {Error} */ (err).message}`)
    }
    // The server ended the stream (FOLLOW_MAX_SECONDS, a restart) or it dropped: resume after the last event.
    await sleep(failingSince === 0 ? 100 : 1000)
  }
}

/**
 * Server-sent events of a response body: { id, data } per event; comments (heartbeats) skipped.
 * @param {ReadableStream<Uint8Array>} body
 * @returns {AsyncGenerator<{ id?: string, data?: string }>}
 */
async function * events (body) {
  const decoder = new TextDecoder()
  let buffer = ''
  /** @type {{ id?: string, data?: string }} */
  let event = {}
  for await (const chunk of /** @type {AsyncIterable<Uint8Array>} */ (/** @type {unknown} */ (body))) {
    buffer += decoder.decode(chunk, { stream: true })
    let newline
    while ((newline = buffer.indexOf('\n')) !== -1) {
      const line = buffer.slice(0, newline).replace(/\r$/, '')
      buffer = buffer.slice(newline + 1)
      if (line === '') {
        if (event.data !== undefined || event.id !== undefined) yield event
        event = {}
      } else if (line.startsWith('data:')) {
        const data = line.slice(5).replace(/^ /, '')
        event.data = event.data === undefined ? data : `${event.data}\n${data}`
      } else if (line.startsWith('id:')) {
        event.id = line.slice(3).replace(/^ /, '')
      }
    }
  }
}

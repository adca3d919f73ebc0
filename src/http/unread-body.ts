// A request answered before its body was read (413 on Content-Length, 401 before the body, a decode error)
// keeps its connection: the rest of the body is read and dropped, so a client still sending (Node's fetch
// sends all 11 MiB) receives its answer instead of EPIPE, and shippers drop a batch answered 413 rather
// than retry a reset forever. Draining is bounded: past `maxBytes`, when the body stops coming for
// `idleMs`, or `deadlineMs` after the answer, the connection is closed (FIN first, the socket destroyed a
// second later); the answer has been sent by then.
import type { FastifyInstance } from 'fastify'
import type { IncomingMessage } from 'node:http'
import { Socket } from 'node:net'

export interface DrainOptions {
  maxBytes: number
  idleMs: number
  /** A body trickling in (a byte now and then) is dropped with its connection this long after the answer. */
  deadlineMs: number
  /** While the service closes, connections close after their answer anyway. */
  isClosing: () => boolean
}

export function drainUnreadBodies (app: FastifyInstance, opts: DrainOptions): void {
  // Fastify answers a body error with Connection: close, which resets a client still sending.
  app.addHook('onSend', async (request, reply) => {
    if (unread(request.raw) && !opts.isClosing() && reply.getHeader('connection') === 'close') reply.removeHeader('connection')
  })
  app.addHook('onResponse', async (request) => {
    if (unread(request.raw) && !request.raw.destroyed) drain(request.raw, opts)
  })
}

/** A body still arriving on a real socket (an injected request has none to drain). */
const unread = (req: IncomingMessage): boolean => !req.complete && req.socket instanceof Socket

/**
 * How long a connection given up on is still read after its FIN: a socket destroyed with unread bytes sends
 * a reset, which can make the client's kernel drop the answer it has not read yet (a lingering close).
 */
const LINGER_MS = 1000

function drain (req: IncomingMessage, opts: DrainOptions): void {
  let drained = 0
  let closing = false
  const close = (): void => {
    if (closing) return
    closing = true
    req.socket.end()
    setTimeout(() => { req.socket.destroy() }, LINGER_MS).unref()
  }
  const timer = setTimeout(close, opts.idleMs)
  const deadline = setTimeout(close, opts.deadlineMs)
  req.on('data', (chunk: Buffer) => {
    drained += chunk.length
    if (drained > opts.maxBytes) close()
    else timer.refresh()
  })
  const stop = (): void => { clearTimeout(timer); clearTimeout(deadline) }
  req.once('end', stop)
  req.once('close', stop)
  // A decoder (gzip) that was reading the body has been destroyed: the body now flows to the drain alone.
  req.unpipe()
  req.resume()
}

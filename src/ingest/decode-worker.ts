// A worker thread of the decode pool (decode-pool.ts): decodes and checks one body at a time, builds its
// runs' blocks, and sends them back in one transferred buffer. A 4xx (a bad line's 400, a 413) goes back
// as data, to be thrown again on the event loop as the same catalogue error; anything else as its message
// and stack (a 500).
import { parentPort } from 'node:worker_threads'
import { toApiError } from '../errors.js'
import { runBlocksOf, type RunBlocks } from '../store/run-blocks.js'
import { decodeHere } from './decoders.js'
import type { DecodeReply, DecodeRequest } from './decode-protocol.js'

/** Copies every block's filter and payload into one buffer, to transfer it instead of cloning each. */
function packBlocks (runs: RunBlocks[]): ArrayBuffer {
  let size = 0
  for (const r of runs) for (const b of r.blocks) size += b.filter.length + b.payload.length
  const whole = new ArrayBuffer(size)
  let at = 0
  const copy = (bytes: Buffer): Buffer => {
    const view = Buffer.from(whole, at, bytes.length)
    bytes.copy(view)
    at += bytes.length
    return view
  }
  for (const r of runs) {
    for (const b of r.blocks) {
      b.filter = copy(b.filter)
      b.payload = copy(b.payload)
    }
  }
  return whole
}

async function decode ({ format, body, settings }: DecodeRequest): Promise<{ reply: DecodeReply, transfer: ArrayBuffer[] }> {
  try {
    const { runs, answer, accepted, unmatched } = decodeHere(format, Buffer.from(body.buffer, body.byteOffset, body.byteLength), settings)
    const built = await Promise.all(runs.map(runBlocksOf))
    const whole = packBlocks(built)
    return { reply: { decoded: { runs: built, answer, accepted, unmatched } }, transfer: [whole] }
  } catch (err) {
    // What the error handler would answer on the event loop: a 4xx as such, anything else a 500 (logged there).
    const api = toApiError(err)
    if (api.statusCode < 500) return { reply: { apiError: { statusCode: api.statusCode, message: api.message, ...(api.details === undefined ? {} : { details: api.details }) } }, transfer: [] }
    return { reply: { failure: { message: String((err as Error)?.message ?? err), stack: String((err as Error)?.stack ?? '') } }, transfer: [] }
  }
}

const port = parentPort
if (port === null) throw new Error('decode-worker.ts runs as a worker thread')
port.on('message', (request: DecodeRequest) => {
  decode(request).then(({ reply, transfer }) => { port.postMessage(reply, transfer) }, (err: Error) => {
    port.postMessage({ failure: { message: err.message, stack: String(err.stack) } } satisfies DecodeReply)
  })
})
port.postMessage({ ready: true } satisfies DecodeReply)

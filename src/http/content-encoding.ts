// Request bodies sent with Content-Encoding: decoded as a stream so the route's bodyLimit applies to the
// decoded bytes and a gzip bomb stops inflating as soon as it passes the limit.
import { Transform, type Readable } from 'node:stream'
import { createGunzip, createInflate } from 'node:zlib'
import type { preParsingAsyncHookHandler } from 'fastify'
import { errors } from '../errors.js'

const DECODERS: Record<string, () => NodeJS.ReadWriteStream> = {
  gzip: createGunzip,
  'x-gzip': createGunzip,
  deflate: createInflate
}

export const decodeContentEncoding: preParsingAsyncHookHandler = async (request, _reply, payload) => {
  const encoding = (request.headers['content-encoding'] ?? 'identity').trim().toLowerCase()
  if (encoding === 'identity' || encoding === '') return payload
  const makeDecoder = DECODERS[encoding]
  if (makeDecoder === undefined) throw errors.unsupportedMediaType(`Content-Encoding ${encoding} is not supported; use gzip or send the body uncompressed.`)
  const decoder = makeDecoder()
  const limit = request.routeOptions.bodyLimit ?? Infinity
  let decodedLength = 0
  // Fastify compares receivedEncodedLength with Content-Length; the decoded length counts against bodyLimit
  // here, and the first byte past it ends the stream (which destroys the decoder: it inflates no further).
  const decoded = new Transform({
    transform (chunk: Buffer, _encoding, callback) {
      decodedLength += chunk.length
      if (decodedLength > limit) callback(errors.payloadTooLarge(`The decompressed body is larger than ${limit} bytes (INGEST_MAX_BYTES).`))
      else callback(null, chunk)
    }
  }) as Transform & { receivedEncodedLength: number }
  decoded.receivedEncodedLength = 0
  // Fastify stops listening once it has answered (its own limit on the encoded bytes); a later error must
  // not become an uncaught exception.
  decoded.on('error', () => undefined)
  payload.on('data', (chunk: Buffer) => { decoded.receivedEncodedLength += chunk.length })
  decoder.on('error', () => { decoded.destroy(errors.invalidRequest(`The body is not valid ${encoding} data.`)) })
  payload.on('error', (err) => { decoded.destroy(err) })
  decoded.on('close', () => { (decoder as unknown as Readable).destroy() })
  payload.pipe(decoder).pipe(decoded)
  return decoded
}

// Request bodies sent with Content-Encoding: decoded as a stream so the route's bodyLimit applies to the
// decoded bytes and a gzip bomb stops inflating as soon as it passes the limit.
import { PassThrough, type Readable } from 'node:stream'
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
  // Fastify compares receivedEncodedLength with Content-Length; the decoded length counts against bodyLimit.
  const decoded = new PassThrough() as PassThrough & { receivedEncodedLength: number }
  decoded.receivedEncodedLength = 0
  payload.on('data', (chunk: Buffer) => { decoded.receivedEncodedLength += chunk.length })
  decoder.on('error', () => { decoded.destroy(errors.invalidRequest(`The body is not valid ${encoding} data.`)) })
  payload.on('error', (err) => { decoded.destroy(err) })
  decoded.on('close', () => { (decoder as unknown as Readable).destroy() })
  payload.pipe(decoder).pipe(decoded)
  return decoded
}

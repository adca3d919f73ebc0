// Ingest routes keep their decoded body as bytes: the bytes are hashed for Idempotency-Key, then parsed by
// the handler according to the Content-Type.
import type { FastifyInstance, FastifyRequest, FastifySchemaCompiler } from 'fastify'
import { validatorCompiler } from 'fastify-type-provider-zod'

/** Registers parsers that hand the (decoded) body over as a Buffer, in the calling plugin's scope only. */
export function keepRawBodies (app: FastifyInstance, mediaTypes: string[], bodyLimit: number): void {
  app.removeAllContentTypeParsers()
  for (const type of mediaTypes) {
    app.addContentTypeParser(type, { parseAs: 'buffer', bodyLimit }, (_request, body, done) => { done(null, body) })
  }
}

/** The request's media type, lower case, without parameters. */
export function mediaTypeOf (request: FastifyRequest): string {
  return (request.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? ''
}

const NO_BODY = Buffer.alloc(0)

/** The body a parser of keepRawBodies handed over; none at all (a POST without body or Content-Type) is empty. */
export function rawBodyOf (request: FastifyRequest): Buffer {
  const body: unknown = request.body
  if (body === undefined || body === null) return NO_BODY
  if (!Buffer.isBuffer(body)) throw new Error('ingest route without keepRawBodies')
  return body
}

/**
 * The ingest routes' validator: the body schema documents the route, and the handler's parsers check the
 * body itself, naming the bad line or record (all or nothing); the other parts are validated as usual.
 */
export const bodyDocumentedOnly: FastifySchemaCompiler<any> = (route) =>
  route.httpPart === 'body' ? (data) => ({ value: data }) : validatorCompiler(route)

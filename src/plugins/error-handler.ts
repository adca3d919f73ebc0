// Shapes every non-2xx answer into the contract's error body; 5xx bodies never carry internals.
import { randomUUID } from 'node:crypto'
import type { Socket } from 'node:net'
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { errors, toApiError, type ApiError } from '../errors.js'

interface ValidationIssue { instancePath?: string, keyword?: string, message?: string, params?: Record<string, unknown> }

const LOCATION: Record<string, string> = { querystring: 'query parameter', params: 'path parameter', headers: 'header', body: 'body field' }

/** A validation failure from the route schema, told as a message that names the parameter to fix. */
function fromValidation (issues: ValidationIssue[], context: string | undefined): ApiError {
  const where = LOCATION[context ?? ''] ?? 'field'
  const unknown = issues.find((i) => i.keyword === 'unrecognized_keys')
  if (unknown !== undefined) {
    const keys = (unknown.params?.keys as string[] | undefined) ?? []
    return errors.invalidRequest(`Unknown ${where}${keys.length === 1 ? '' : 's'}: ${keys.join(', ')}.`, { parameters: keys })
  }
  const first = issues[0] ?? {}
  const name = (first.instancePath ?? '').replace(/^\//, '').replaceAll('/', '.')
  // An array where one value is wanted: a repeated query parameter or header, or a JSON array for an object.
  const arrayForOne = first.keyword === 'invalid_type' && String(first.message).includes('received array')
  const message = !arrayForOne ? first.message ?? 'is invalid' : context === 'body' ? 'must be a JSON object, not an array' : 'must be given once'
  return errors.invalidRequest(name === '' ? `Invalid ${context ?? 'request'}: ${message}.` : `Invalid ${where} ${name}: ${message}.`,
    name === '' ? undefined : { parameter: name })
}

/** The contract's error body of `err` for `request`. */
export function errorBody (request: FastifyRequest, err: ApiError): Record<string, unknown> {
  const body: Record<string, unknown> = {
    code: err.code,
    message: err.message,
    requestId: request.id,
    target: request.url.split('?')[0]
  }
  if (err.details !== undefined) body.details = err.details
  return { error: body }
}

function send (reply: FastifyReply, request: FastifyRequest, err: ApiError): void {
  if (err.headers !== undefined) reply.headers(err.headers)
  reply.code(err.statusCode).type('application/json; charset=utf-8').send(JSON.stringify(errorBody(request, err)))
}

/**
 * Fastify's `frameworkErrors`: the router answers a malformed URL or an over-long path parameter before any
 * hook or error handler runs, so these answers get the error body and the request id here.
 */
export function answerFrameworkError (err: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  reply.header('x-request-id', request.id).header('x-content-type-options', 'nosniff')
  send(reply, request, toApiError(err))
}

const CLIENT_ERRORS: Record<string, [number, string]> = {
  HPE_HEADER_OVERFLOW: [431, 'The request\'s headers are larger than the service accepts.'],
  ERR_HTTP_REQUEST_TIMEOUT: [408, 'The request was not received in time.']
}

/**
 * Fastify's `clientErrorHandler`: Node's HTTP parser refused the bytes (a control character or a raw
 * non-ASCII byte in the path, a malformed header) before there is a request; the answer still carries the
 * contract's error body, with the path when the request line could be read.
 */
export function answerClientError (err: Error & { code?: string, rawPacket?: unknown }, socket: Socket): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return
  const [status, message] = CLIENT_ERRORS[err.code ?? ''] ?? [400, 'The request is not valid HTTP: check the request line and headers for control characters or raw non-ASCII bytes (percent-encode them).']
  // Typed as a JSON'd Buffer by Fastify; a Buffer at run time.
  const requestLine = /^[A-Z]+ ([^ ?\r\n]*)/.exec(Buffer.isBuffer(err.rawPacket) ? err.rawPacket.toString('latin1') : '')
  const requestId = randomUUID()
  const body = JSON.stringify({ error: { code: status === 408 ? 'RequestTimeout' : 'InvalidRequest', message, requestId, target: requestLine?.[1] ?? '' } })
  if (socket.writable) {
    socket.write(`HTTP/1.1 ${status} ${status === 400 ? 'Bad Request' : status === 408 ? 'Request Timeout' : 'Request Header Fields Too Large'}\r\n` +
      `Content-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nX-Request-Id: ${requestId}\r\n` +
      `X-Content-Type-Options: nosniff\r\nConnection: close\r\n\r\n${body}`)
  }
  socket.destroy(err)
}

/** What the handler answers for `err`, logged as the handler logs it (for routes that answer in another encoding). */
export function loggedApiError (err: FastifyError, request: FastifyRequest): ApiError {
  const validation = (err as FastifyError & { validation?: ValidationIssue[] }).validation
  const apiError = Array.isArray(validation)
    ? fromValidation(validation, (err as FastifyError & { validationContext?: string }).validationContext)
    : toApiError(err)
  if (apiError.code === 'InternalError') request.log.error({ err }, 'request failed')
  else if (apiError.statusCode >= 500) request.log.warn({ code: apiError.code, cause: apiError === err ? undefined : err.message }, apiError.message)
  else if (apiError.statusCode !== (err.statusCode ?? 0) || err.code !== apiError.code) request.log.info({ err: { code: err.code, message: err.message } }, apiError.code)
  return apiError
}

export default fp(async function errorHandler (app: FastifyInstance) {
  app.setErrorHandler((err: FastifyError, request, reply) => { send(reply, request, loggedApiError(err, request)) })

  app.setNotFoundHandler((request, reply) => {
    send(reply, request, errors.notFound(`No route ${request.method} ${request.url.split('?')[0]}.`))
  })
}, { name: 'error-handler' })

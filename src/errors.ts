// The one catalogue of errors the API answers with. `code` is the stable word in the contract's error body.
import createError, { type FastifyError } from '@fastify/error'

export type ErrorDetails = Record<string, unknown>

export interface ApiError extends FastifyError {
  statusCode: number
  details?: ErrorDetails
  /** Extra response headers (WWW-Authenticate, Retry-After). */
  headers?: Record<string, string>
}

const InvalidRequestError = createError('InvalidRequest', '%s', 400)
const UnauthorizedError = createError('Unauthorized', '%s', 401)
const ForbiddenError = createError('Forbidden', '%s', 403)
const NotFoundError = createError('NotFound', '%s', 404)
const MethodNotAllowedError = createError('MethodNotAllowed', '%s', 405)
const NotAcceptableError = createError('NotAcceptable', '%s', 406)
const RequestTimeoutError = createError('RequestTimeout', '%s', 408)
const ConflictError = createError('Conflict', '%s', 409)
const GoneError = createError('Gone', '%s', 410)
const PayloadTooLargeError = createError('PayloadTooLarge', '%s', 413)
const UnsupportedMediaTypeError = createError('UnsupportedMediaType', '%s', 415)
const TooManyRequestsError = createError('TooManyRequests', '%s', 429)
const InternalError = createError('InternalError', '%s', 500)
const UnavailableError = createError('Unavailable', '%s', 503)

function build (ctor: (message: string) => FastifyError, message: string, details?: ErrorDetails, headers?: Record<string, string>): ApiError {
  const err = ctor(message) as ApiError
  // @fastify/error upper-cases codes; the contract's codes are words such as NotFound.
  err.code = CONTRACT_CODE[err.code] ?? err.code
  if (details !== undefined) err.details = details
  if (headers !== undefined) err.headers = headers
  return err
}

const CONTRACT_CODE: Record<string, string> = Object.fromEntries(['InvalidRequest', 'Unauthorized', 'Forbidden', 'NotFound',
  'MethodNotAllowed', 'NotAcceptable', 'RequestTimeout', 'Conflict', 'Gone', 'PayloadTooLarge', 'UnsupportedMediaType', 'TooManyRequests', 'InternalError', 'Unavailable']
  .map((code) => [code.toUpperCase(), code]))

const BEARER_REALM = 'Bearer realm="run-logs"'

export const errors = {
  invalidRequest: (message: string, details?: ErrorDetails) => build(InvalidRequestError, message, details),
  unauthorized: (message: string, reason?: string) => build(UnauthorizedError, message, undefined, {
    'www-authenticate': reason === undefined ? BEARER_REALM : `${BEARER_REALM}, error="invalid_token", error_description="${reason}"`
  }),
  forbidden: (message: string, details?: ErrorDetails) => build(ForbiddenError, message, details),
  notFound: (message: string, details?: ErrorDetails) => build(NotFoundError, message, details),
  methodNotAllowed: (message: string) => build(MethodNotAllowedError, message),
  notAcceptable: (message: string) => build(NotAcceptableError, message),
  requestTimeout: (message: string) => build(RequestTimeoutError, message),
  conflict: (message: string, details?: ErrorDetails) => build(ConflictError, message, details),
  gone: (message: string, details?: ErrorDetails) => build(GoneError, message, details),
  payloadTooLarge: (message: string, details?: ErrorDetails) => build(PayloadTooLargeError, message, details),
  unsupportedMediaType: (message: string) => build(UnsupportedMediaTypeError, message),
  tooManyRequests: (message: string, retryAfterSeconds: number) =>
    build(TooManyRequestsError, message, undefined, { 'retry-after': String(retryAfterSeconds) }),
  internal: () => build(InternalError, 'The service failed to handle the request; it has been logged. Retry later or report the requestId.'),
  unavailable: (message: string, retryAfterSeconds = 5) =>
    build(UnavailableError, message, undefined, { 'retry-after': String(retryAfterSeconds) })
}

const CODE_BY_STATUS: Record<number, (message: string) => ApiError> = {
  400: errors.invalidRequest,
  401: (m) => errors.unauthorized(m),
  403: errors.forbidden,
  404: errors.notFound,
  405: errors.methodNotAllowed,
  406: errors.notAcceptable,
  408: errors.requestTimeout,
  409: errors.conflict,
  410: errors.gone,
  413: errors.payloadTooLarge,
  415: errors.unsupportedMediaType,
  429: (m) => errors.tooManyRequests(m, 1)
}

const OUR_CODES = new Set(Object.values(CONTRACT_CODE))

/** A catalogue error sent as data (by an ingest worker thread) made again with its status, message and details. */
export function apiErrorFrom ({ statusCode, message, details }: { statusCode: number, message: string, details?: ErrorDetails }): ApiError {
  const make = CODE_BY_STATUS[statusCode]
  if (make === undefined) return errors.internal()
  const err = make(message)
  if (details !== undefined) err.details = details
  return err
}

// Fastify's own errors whose message would not tell the caller what to fix.
const FRAMEWORK_ERRORS: Record<string, () => ApiError> = {
  FST_ERR_CTP_INVALID_MEDIA_TYPE: () => errors.unsupportedMediaType('This Content-Type is not accepted: send application/json or application/x-ndjson.'),
  // The router's limit on a path parameter's length: a run id that long breaks the id rule, a 400 (not 414).
  FST_ERR_MAX_PARAM_LENGTH: () => errors.invalidRequest('A path parameter is too long; run ids are 4 to 64 letters, digits, underscores, dots or dashes.')
}

/** Whether `err` is already one of the catalogue's errors. */
export function isApiError (err: unknown): err is ApiError {
  const e = err as Partial<ApiError> | null | undefined
  return typeof e?.code === 'string' && OUR_CODES.has(e.code) && typeof e.statusCode === 'number'
}

/** Turns anything thrown into a catalogue error; 4xx errors of the framework keep their status and message. */
export function toApiError (err: unknown): ApiError {
  const e = err as Partial<ApiError> & { code?: string }
  if (isApiError(err)) return err
  if (isDatabaseUnavailable(err)) return errors.unavailable('The log store is unavailable; retry shortly.')
  const framework = typeof e?.code === 'string' ? FRAMEWORK_ERRORS[e.code] : undefined
  if (framework !== undefined) return framework()
  const status = typeof e?.statusCode === 'number' ? e.statusCode : 500
  const known = CODE_BY_STATUS[status]
  if (status >= 400 && status < 500 && known !== undefined) return known(String(e.message ?? 'Bad request'))
  return errors.internal()
}

// Connection refused or reset, Postgres shutting down or not accepting connections, pool exhausted.
const UNAVAILABLE_SQLSTATES = new Set(['57P01', '57P02', '57P03', '53300', '08000', '08001', '08003', '08004', '08006'])
const UNAVAILABLE_NET = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND'])

export function isDatabaseUnavailable (err: unknown): boolean {
  const e = err as { code?: unknown, message?: unknown }
  if (typeof e?.code === 'string' && (UNAVAILABLE_SQLSTATES.has(e.code) || UNAVAILABLE_NET.has(e.code))) return true
  const message = typeof e?.message === 'string' ? e.message : ''
  // pg's words for a connection that timed out, dropped, or broke earlier while its client was checked out.
  return message.includes('timeout exceeded when trying to connect') || message.includes('Connection terminated') ||
    message.includes('is not queryable')
}

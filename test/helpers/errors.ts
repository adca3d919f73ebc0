// The contract's error body, checked the same way wherever a test expects a 4xx or 5xx.
import type { LightMyRequestResponse } from 'fastify'
import type { Test } from 'tap'

export interface ContractError {
  code: string
  message: string
  requestId: string
  target: string
  details?: Record<string, unknown>
}

/**
 * Asserts `res` is the contract's error: the status, a JSON body with `error` alone, the code, a message
 * that says something, requestId equal to X-Request-Id, target the request's path, details (if any) an
 * object. Returns the error.
 */
export function expectError (t: Test, res: LightMyRequestResponse, status: number, code: string, label?: string): ContractError {
  t.equal(res.statusCode, status, label ?? `status ${status}: ${res.body}`)
  t.match(res.headers['content-type'], /^application\/json/)
  const body = res.json() as { error: ContractError }
  t.same(Object.keys(body), ['error'], 'one top-level key, error')
  const error = body.error
  t.equal(error.code, code)
  t.ok(typeof error.message === 'string' && error.message.length > 0, 'message says what to fix')
  t.equal(error.requestId, res.headers['x-request-id'], 'requestId is the X-Request-Id header')
  t.equal(error.target, new URL(res.raw.req.url ?? '', 'http://x').pathname, 'target is the request path')
  if (error.details !== undefined) t.type(error.details, 'object', 'details is an object')
  return error
}

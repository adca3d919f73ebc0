// For the fault tests: clients that keep writing batches with unique markers to a service process and keep
// a record of every request (its answer, or that none came), and a check of the contract's error body
// on a fetch response.
import type { Test } from 'tap'

export interface Outcome {
  client: number
  batch: number
  /** HTTP status, or undefined when no answer came (connection refused or reset). */
  status?: number
  code?: string
  retryAfter?: string | null
  sentAt: number
  answeredAt: number
  /** The markers of the batch's lines (msg of each line). */
  markers: string[]
}

/** Lines of one batch, each msg unique: `<prefix>-c<client>-b<batch>-l<i>`. */
export function batchLines (prefix: string, client: number, batch: number, size: number, at: number): Array<{ timestamp: string, msg: string }> {
  return Array.from({ length: size }, (_, i) => ({ timestamp: new Date(at + i).toISOString(), msg: `${prefix}-c${client}-b${batch}-l${i}` }))
}

/** POSTs one batch and records what came back. */
export async function postBatch (url: string, headers: Record<string, string>, client: number, batch: number,
  lines: Array<{ timestamp: string, msg: string }>): Promise<Outcome> {
  const sentAt = Date.now()
  const markers = lines.map((l) => l.msg)
  try {
    const res = await fetch(url, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify(lines) })
    const text = await res.text()
    const code = res.ok ? undefined : (JSON.parse(text) as { error?: { code?: string } }).error?.code
    return { client, batch, status: res.status, code, retryAfter: res.headers.get('retry-after'), sentAt, answeredAt: Date.now(), markers }
  } catch {
    return { client, batch, sentAt, answeredAt: Date.now(), markers }
  }
}

/** Asserts a fetch answer is the contract's error with this status and code; returns its body's error. */
export async function expectFetchError (t: Test, res: Response, status: number, code: string, label: string): Promise<{ code: string, message: string }> {
  const text = await res.text()
  t.equal(res.status, status, `${label}: ${status} (${text})`)
  t.match(res.headers.get('content-type'), /^application\/json/)
  const body = JSON.parse(text) as { error: { code: string, message: string, requestId: string, target: string } }
  t.same(Object.keys(body), ['error'])
  t.equal(body.error.code, code)
  t.equal(body.error.requestId, res.headers.get('x-request-id'), 'requestId is the X-Request-Id header')
  t.equal(body.error.target, new URL(res.url).pathname)
  return body.error
}

export const sleep = async (ms: number): Promise<void> => { await new Promise((resolve) => setTimeout(resolve, ms)) }

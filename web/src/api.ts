// Calls to the service with the session's token and group. Errors come back as ApiError with a sentence a
// person can act on, built from the contract's error body.
import { currentSession } from './session.js'

export type RunKind = 'deployment' | 'execution'
export interface RunSummary { kind: RunKind, id: string, firstTimestamp: string, lastTimestamp: string, lineCount: number, labels: Record<string, string> }
export interface RunList { resources: RunSummary[], nextCursor?: string }
export interface LogLine { container: string, msg: string, pod: string, stream: string, timestamp: string }
export interface LogsPage { data: { result: LogLine[], nextCursor?: string } }
export type ExportStatus = 'QUEUED' | 'READY' | 'FAILED' | 'EXPIRED'
export interface ExportObject {
  requestId: string
  status: ExportStatus
  totalExecutions: number
  triggeredAt: string
  downloadLink: string | null
  expiresAt: string | null
  errorMessage: string | null
  progress: { runsWritten: number, totalExecutions: number }
  filters: { deploymentIds?: string[], executionIds?: string[], start: string, end: string, labels?: Array<{ key: string, operator: 'IN' | 'NOT_IN', values: string[] }> }
  notifications: ExportNotification[]
}
export interface ExportNotification { target: string, status: 'PENDING' | 'SENT' | 'FAILED', attempts: number, lastError: string | null }
export interface UserGroup { id: string, name: string, emailCount: number, slack: boolean }
export interface ExportList { count: number, resources: ExportObject[] }

const PLURAL: Record<RunKind, string> = { deployment: 'deployments', execution: 'executions' }
export const logsPath = (kind: RunKind, id: string): string => `/v2/lm/${PLURAL[kind]}/${encodeURIComponent(id)}/logs`

const LEAD: Record<number, string> = {
  400: 'The request was not accepted',
  401: 'The token was refused (sign in again with a valid token)',
  403: 'Not allowed',
  404: 'Not found',
  409: 'Conflict',
  410: 'Gone',
  429: 'Too many requests',
  503: 'The service is unavailable right now'
}

export class ApiError extends Error {
  constructor (readonly status: number, readonly code: string, message: string, readonly requestId?: string) {
    super(message)
  }
}

async function errorOf (res: Response): Promise<ApiError> {
  let code = 'Error'
  let detail = res.statusText
  let requestId: string | undefined
  try {
    const body = await res.json() as { error?: { code?: string, message?: string, requestId?: string } }
    code = body.error?.code ?? code
    detail = body.error?.message ?? detail
    requestId = body.error?.requestId
  } catch { /* not the contract's body: keep the status text */ }
  const lead = LEAD[res.status] ?? (res.status >= 500 ? 'The service failed' : `Request failed (${res.status})`)
  const reference = requestId === undefined ? '' : ` (request id ${requestId})`
  return new ApiError(res.status, code, `${lead}: ${detail}${reference}`, requestId)
}

export function authHeaders (): Record<string, string> {
  const session = currentSession()
  if (session === undefined) return {}
  return { authorization: `Bearer ${session.token}`, 'ai-resource-group': session.group }
}

/** fetch with the session; a non-2xx answer or a network failure throws ApiError. */
export async function call (path: string, init: RequestInit = {}): Promise<Response> {
  let res: Response
  try {
    res = await fetch(path, { ...init, headers: { ...authHeaders(), ...(init.headers as Record<string, string> | undefined) } })
  } catch (err) {
    if ((err as Error).name === 'AbortError') throw err
    throw new ApiError(0, 'NetworkError', 'The service could not be reached: check the connection and retry.')
  }
  if (!res.ok) throw await errorOf(res)
  return res
}

/**
 * A query string of the given values. Spaces are sent as %20, never '+': the service reads '+' as itself
 * (SAP's clients send the '+' of a time offset unencoded).
 */
export function queryString (params: Record<string, string | string[] | undefined>): string {
  return Object.entries(params)
    .flatMap(([name, value]) => (Array.isArray(value) ? value : [value]).map((v) => [name, v]))
    .filter((entry): entry is [string, string] => entry[1] !== undefined && entry[1] !== '')
    .map(([name, value]) => `${encodeURIComponent(name)}=${encodeURIComponent(value)}`)
    .join('&')
}

/** params: a list repeats the parameter (label=a=1&label=b=2). */
export async function getJson<T> (path: string, params: Record<string, string | string[] | undefined> = {}, signal?: AbortSignal): Promise<T> {
  const qs = queryString(params)
  const res = await call(qs === '' ? path : `${path}?${qs}`, { headers: { accept: 'application/json' }, ...(signal === undefined ? {} : { signal }) })
  return await res.json() as T
}

export async function postJson<T> (path: string, body: unknown): Promise<T> {
  const res = await call(path, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json' }, body: JSON.stringify(body) })
  return await res.json() as T
}

/** A sentence for anything thrown by a call. */
export const describe = (err: unknown): string => err instanceof ApiError ? err.message : `Something went wrong: ${(err as Error).message ?? String(err)}`

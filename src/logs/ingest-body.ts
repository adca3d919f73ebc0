// Turns an ingest body into a validated batch, all or nothing: the first bad line rejects the request
// with its index, before anything is stored.
import { errors } from '../errors.js'
import { NS_PER_SECOND, parseRfc3339, TimestampError, toStoredParts, type Instant } from '../time.js'
import type { LogBatch, LogLine } from './model.js'

export interface IngestLimits {
  now: Instant
  /** Lines before this are past retention; null keeps lines forever. */
  oldest: Instant | null
  newest: Instant
  lineMaxBytes: number
}

export function ingestLimits (now: Instant, retentionDays: number, maxFutureSkewSeconds: number, lineMaxBytes: number): IngestLimits {
  return {
    now,
    oldest: retentionDays > 0 ? now - BigInt(retentionDays) * 86_400n * NS_PER_SECOND : null,
    newest: now + BigInt(maxFutureSkewSeconds) * NS_PER_SECOND,
    lineMaxBytes
  }
}

const LINE_FIELDS = new Set(['timestamp', 'msg', 'container', 'pod', 'stream'])
const LABEL_MAX_CHARS = 1024

/** The lines of a body: a JSON array, SAP's read body `{"data":{"result":[...]}}`, or parsed NDJSON. */
export function linesOf (body: unknown): unknown[] {
  if (Array.isArray(body)) return body
  const result = (body as { data?: { result?: unknown } } | null)?.data?.result
  if (Array.isArray(result)) return result
  throw errors.invalidRequest('The body must be a JSON array of lines or {"data":{"result":[...]}}; each line has timestamp and msg, and optionally container, pod and stream.')
}

function badLine (index: number, field: string | undefined, problem: string): Error {
  return errors.invalidRequest(`Line ${index}${field === undefined ? '' : ` field ${field}`} ${problem}. Nothing was stored.`,
    field === undefined ? { index } : { index, field })
}

function text (line: Record<string, unknown>, field: string, index: number, required: boolean, maxBytes: number): string {
  const value = line[field]
  if (value === undefined || value === null) {
    if (required) throw badLine(index, field, 'is required')
    return ''
  }
  if (typeof value !== 'string') throw badLine(index, field, `must be a string, not ${Array.isArray(value) ? 'an array' : typeof value}`)
  if (value.includes('\u0000')) throw badLine(index, field, 'contains a NUL character, which cannot be stored')
  if (value.length > maxBytes / 3 && Buffer.byteLength(value) > maxBytes) throw badLine(index, field, `is longer than ${maxBytes} bytes`)
  return value
}

function lineOf (raw: unknown, index: number, limits: IngestLimits): LogLine {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw badLine(index, undefined, 'must be an object')
  const line = raw as Record<string, unknown>
  for (const key of Object.keys(line)) {
    if (!LINE_FIELDS.has(key)) throw badLine(index, key, 'is not a known field (timestamp, msg, container, pod, stream)')
  }
  const timestamp = text(line, 'timestamp', index, true, 64)
  let instant: Instant
  try {
    instant = parseRfc3339(timestamp)
  } catch (err) {
    if (err instanceof TimestampError) throw badLine(index, 'timestamp', err.message)
    throw err
  }
  if (limits.oldest !== null && instant < limits.oldest) throw badLine(index, 'timestamp', 'is older than the retention period (LOG_RETENTION_DAYS)')
  if (instant > limits.newest) throw badLine(index, 'timestamp', 'is too far in the future (MAX_FUTURE_SKEW_SECONDS)')
  const { ts, nanos } = toStoredParts(instant)
  return {
    instant,
    ts,
    nanos,
    day: ts.slice(0, 10),
    msg: text(line, 'msg', index, true, limits.lineMaxBytes),
    container: text(line, 'container', index, false, LABEL_MAX_CHARS),
    pod: text(line, 'pod', index, false, LABEL_MAX_CHARS),
    stream: text(line, 'stream', index, false, LABEL_MAX_CHARS)
  }
}

/** Validates every line; returns null for an empty body. */
export function parseLogBatch (rawLines: unknown[], limits: IngestLimits): LogBatch | null {
  if (rawLines.length === 0) return null
  const lines = rawLines.map((raw, i) => lineOf(raw, i, limits))
  let first = lines[0] as LogLine
  let last = first
  const days = new Map<string, number>()
  for (const line of lines) {
    if (line.instant < first.instant) first = line
    if (line.instant > last.instant) last = line
    days.set(line.day, (days.get(line.day) ?? 0) + 1)
  }
  return { lines, first, last, days }
}

/** Splits an NDJSON body into parsed values; a line that is not JSON rejects the body with its index. */
export function parseNdjson (body: string): unknown[] {
  const values: unknown[] = []
  for (const textLine of body.split('\n')) {
    if (textLine.trim() === '') continue
    try {
      values.push(JSON.parse(textLine))
    } catch {
      throw errors.invalidRequest(`Line ${values.length} is not valid JSON. Nothing was stored.`, { index: values.length })
    }
  }
  return values
}

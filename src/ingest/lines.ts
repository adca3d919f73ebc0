// Turns an ingest body into a validated batch, all or nothing: the first bad line rejects the request
// with its index, before anything is stored.
import { isUtf8 } from 'node:buffer'
import { errors } from '../errors.js'
import type { ItemBudget } from './item-budget.js'
import { scanJson, type ItemPath } from './json-scan.js'
import { NS_PER_MS, NS_PER_SECOND, parseRfc3339, TimestampError, toStoredParts, type Instant } from '../time.js'
import type { LogBatch, LogLine } from '../model.js'

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
export const LABEL_MAX_CHARS = 1024

/** The lines of a body: a JSON array, SAP's read body `{"data":{"result":[...]}}`, or parsed NDJSON. */
export function linesOf (body: unknown): unknown[] {
  if (Array.isArray(body)) return body
  const result = (body as { data?: { result?: unknown } } | null)?.data?.result
  if (Array.isArray(result)) return result
  throw errors.invalidRequest('The body must be a JSON array of lines or {"data":{"result":[...]}}; each line has timestamp and msg, and optionally container, pod and stream.')
}

/** The 400 of a bad line (or a shipper's record): it names the index and the field, and nothing is stored. */
export function badItem (noun: 'Line' | 'Record', index: number, field: string | undefined, problem: string): Error {
  return errors.invalidRequest(`${noun} ${index}${field === undefined ? '' : ` field ${field}`} ${problem}. Nothing was stored.`,
    field === undefined ? { index } : { index, field })
}

const badLine = (index: number, field: string | undefined, problem: string): Error => badItem('Line', index, field, problem)

const LONE_SURROGATE = /\p{Surrogate}/u

// Either of the characters textProblem refuses, or a paired surrogate (most text has none): one scan of the
// text finds nothing to look at more closely.
// eslint-disable-next-line no-control-regex -- NUL is what it looks for
const SUSPECT = /[\u0000\uD800-\uDFFF]/

/** Why a text field cannot be stored, or null if it can; undefined and null are absent. */
function textProblem (value: unknown, required: boolean, maxBytes: number): string | null {
  if (value === undefined || value === null) return required ? 'is required' : null
  if (typeof value !== 'string') return `must be a string, not ${Array.isArray(value) ? 'an array' : typeof value}`
  if (SUSPECT.test(value)) {
    if (value.includes('\u0000')) return 'contains a NUL character, which cannot be stored'
    // JSON's \uD800-style escapes can make half of a surrogate pair; UTF-8 has no form for it, and the
    // database would get U+FFFD instead: refused, so what is read back is what was sent.
    if (LONE_SURROGATE.test(value)) return 'contains an unpaired UTF-16 surrogate (\\uD800 to \\uDFFF), which is not Unicode text and cannot be stored'
  }
  if (value.length > maxBytes / 3 && Buffer.byteLength(value) > maxBytes) return `is longer than ${maxBytes} bytes`
  return null
}

/** The text of a field that textProblem accepts ('' when absent), or the error `reject` makes of its problem. */
export function checkedText (value: unknown, required: boolean, maxBytes: number, reject: (problem: string) => Error): string {
  const problem = textProblem(value, required, maxBytes)
  if (problem !== null) throw reject(problem)
  return (value ?? '') as string
}

/** The instant `parse` gives when it is a timestamp inside the limits, or the error `reject` makes of the problem. */
export function checkedInstant (parse: () => Instant, limits: IngestLimits, reject: (problem: string) => Error): Instant {
  let instant: Instant
  try {
    instant = parse()
  } catch (err) {
    if (err instanceof TimestampError) throw reject(err.message)
    throw err
  }
  const problem = instantProblem(instant, limits)
  if (problem !== null) throw reject(problem)
  return instant
}

/** Why an instant cannot be stored (retention, future skew), or null. */
function instantProblem (instant: Instant, limits: IngestLimits): string | null {
  if (limits.oldest !== null && instant < limits.oldest) return 'is older than the retention period (LOG_RETENTION_DAYS)'
  if (instant > limits.newest) return 'is too far in the future (MAX_FUTURE_SKEW_SECONDS)'
  return null
}

/** A line ready to store from checked parts. */
export function storedLine (instant: Instant, msg: string, container: string, pod: string, stream: string): LogLine {
  const { ts, nanos } = toStoredParts(instant)
  return { instant, ts, nanos, day: ts.slice(0, 10), msg, container, pod, stream }
}

/** A line's text field, or the 400 naming the line and the field. */
function text (line: Record<string, unknown>, field: string, index: number, required: boolean, maxBytes: number): string {
  const value = line[field]
  const problem = textProblem(value, required, maxBytes)
  if (problem !== null) throw badLine(index, field, problem)
  return (value ?? '') as string
}

// Per line, the largest costs of a write were the timestamp's regular expression, its BigInt arithmetic
// and formatting the stored literal back through a Date (docs/performance.md). Nearly every timestamp is
// UTC with Z: its stored parts are slices of its own text, checked digit by digit. Any other form, and any
// out-of-range field, goes through parseRfc3339 and toStoredParts, which give the same parts.
const DIGIT_0 = 0x30
const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
/** Nanoseconds of one unit of the last of `digits` fraction digits. */
const SCALE = [0, 1e8, 1e7, 1e6, 1e5, 1e4, 1e3, 100, 10, 1]

const digitsAt = (s: string, at: number, n: number): number => {
  let v = 0
  for (let i = at; i < at + n; i++) {
    const d = s.charCodeAt(i) - DIGIT_0
    if (d < 0 || d > 9) return -1
    v = v * 10 + d
  }
  return v
}

interface StoredParts { instant: Instant, ts: string, nanos: number, day: string }

/** The stored parts of `YYYY-MM-DDTHH:MM:SS[.f{1,9}]Z` from 1970 on; undefined for any other text. */
function utcParts (s: string): StoredParts | undefined {
  const n = s.length
  if (n < 20 || n > 30 || s.charCodeAt(n - 1) !== 0x5a /* Z */ || s.charCodeAt(4) !== 0x2d /* - */ || s.charCodeAt(7) !== 0x2d ||
    s.charCodeAt(10) !== 0x54 /* T */ || s.charCodeAt(13) !== 0x3a /* : */ || s.charCodeAt(16) !== 0x3a) return undefined
  const year = digitsAt(s, 0, 4)
  const month = digitsAt(s, 5, 2)
  const day = digitsAt(s, 8, 2)
  const hour = digitsAt(s, 11, 2)
  const minute = digitsAt(s, 14, 2)
  const second = digitsAt(s, 17, 2)
  if (year < 1970 || month < 1 || month > 12 || day < 1 || hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 59) return undefined
  const leap = month === 2 && year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0)
  if (day > (DAYS_IN_MONTH[month - 1] as number) + (leap ? 1 : 0)) return undefined
  let fraction = 0 // nanoseconds
  if (n > 20) {
    const digits = n - 21
    if (s.charCodeAt(19) !== 0x2e /* . */ || digits < 1) return undefined
    const f = digitsAt(s, 20, digits)
    if (f < 0) return undefined
    fraction = f * (SCALE[digits] as number)
  }
  const instant = BigInt(Date.UTC(year, month - 1, day, hour, minute, second)) * NS_PER_MS + BigInt(fraction)
  const micros = Math.floor(fraction / 1000)
  return { instant, ts: `${s.slice(0, 19)}.${String(micros).padStart(6, '0')}Z`, nanos: fraction - micros * 1000, day: s.slice(0, 10) }
}

function lineOf (raw: unknown, index: number, limits: IngestLimits): LogLine {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw badLine(index, undefined, 'must be an object')
  const line = raw as Record<string, unknown>
  for (const key of Object.keys(line)) {
    if (!LINE_FIELDS.has(key)) throw badLine(index, key, 'is not a known field (timestamp, msg, container, pod, stream)')
  }
  const timestamp = text(line, 'timestamp', index, true, 64)
  const fast = utcParts(timestamp)
  if (fast === undefined) {
    const instant = checkedInstant(() => parseRfc3339(timestamp), limits, (problem) => badLine(index, 'timestamp', problem))
    return storedLine(instant, text(line, 'msg', index, true, limits.lineMaxBytes), text(line, 'container', index, false, LABEL_MAX_CHARS),
      text(line, 'pod', index, false, LABEL_MAX_CHARS), text(line, 'stream', index, false, LABEL_MAX_CHARS))
  }
  const problem = instantProblem(fast.instant, limits)
  if (problem !== null) throw badLine(index, 'timestamp', problem)
  return {
    instant: fast.instant,
    ts: fast.ts,
    nanos: fast.nanos,
    day: fast.day,
    msg: text(line, 'msg', index, true, limits.lineMaxBytes),
    container: text(line, 'container', index, false, LABEL_MAX_CHARS),
    pod: text(line, 'pod', index, false, LABEL_MAX_CHARS),
    stream: text(line, 'stream', index, false, LABEL_MAX_CHARS)
  }
}

/** The batch of already checked lines of one run: first, last, lines per day. */
export function summarize (lines: LogLine[]): LogBatch {
  let first = lines[0] as LogLine
  let last = first
  const days = new Map<string, number>()
  // Lines come in runs of one day: counted per run, not per line.
  let day = first.day
  let count = 0
  for (const line of lines) {
    if (line.instant < first.instant) first = line
    if (line.instant > last.instant) last = line
    if (line.day !== day) {
      days.set(day, (days.get(day) ?? 0) + count)
      day = line.day
      count = 0
    }
    count++
  }
  days.set(day, (days.get(day) ?? 0) + count)
  return { lines, first, last, days }
}

/** Validates every line; returns null for an empty body. */
export function parseLogBatch (rawLines: unknown[], limits: IngestLimits): LogBatch | null {
  if (rawLines.length === 0) return null
  return summarize(rawLines.map((raw, i) => lineOf(raw, i, limits)))
}

/** The body as text; bytes that are not UTF-8 would be stored as U+FFFD, so they reject the body. */
function utf8Text (body: Buffer): string {
  if (!isUtf8(body)) throw errors.invalidRequest('The body is not valid UTF-8 text. Nothing was stored.')
  return body.toString('utf8')
}

/** The items of the native write body: a JSON array of lines, or SAP's read body. */
export const LINE_ITEMS: ItemPath[] = [['*'], ['data', 'result', '*']]

/**
 * Splits an NDJSON body into parsed values, each line an item of `budget` (counted before any is parsed);
 * a line that is not JSON rejects the body with its index.
 */
export function parseNdjson (body: Buffer, budget: ItemBudget): unknown[] {
  scanJson(body, [[]], budget, true)
  const values: unknown[] = []
  for (const textLine of utf8Text(body).split('\n')) {
    if (textLine.trim() === '') continue
    try {
      values.push(JSON.parse(textLine))
    } catch {
      throw errors.invalidRequest(`Line ${values.length} is not valid JSON. Nothing was stored.`, { index: values.length })
    }
  }
  return values
}

/**
 * Parses a JSON body kept as bytes (the bytes are hashed for Idempotency-Key), once its items (at `items`)
 * and values fit `budget`: a body past INGEST_MAX_LINES is refused before JSON.parse builds any of it.
 */
export function parseJsonBody (body: Buffer, budget: ItemBudget, items: ItemPath[]): unknown {
  if (body.length === 0) throw errors.invalidRequest('The body is empty; send a JSON array of lines.')
  scanJson(body, items, budget)
  const text = utf8Text(body)
  try {
    return JSON.parse(text)
  } catch (err) {
    throw errors.invalidRequest(`The body is not valid JSON (${(err as Error).message}). Nothing was stored.`)
  }
}

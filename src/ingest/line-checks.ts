// The checks every decoder makes of a line's fields before it hands the line to the run mapper: text
// fields (NUL, lone surrogates, length), timestamps within retention and future skew, and the line kept as
// its block position. Pure: values in, a value or a thrown 400 out.
import { errors } from '../errors.js'
import type { LogLine } from '../model.js'
import { instantPosition, type Position } from '../store/block-position.js'
import { NS_PER_SECOND, TimestampError, type Instant } from '../time.js'

export interface IngestLimits {
  now: Instant
  /** Lines before this are past retention; null keeps lines forever. */
  oldest: Instant | null
  newest: Instant
  /** The same as positions (UTC day, nanoseconds within it), for lines checked as such. */
  oldestAt: Position | null
  newestAt: Position
  lineMaxBytes: number
  /** Lines (records, entries) and decoded bytes a body may hold (INGEST_MAX_LINES, INGEST_MAX_BYTES). */
  maxItems: number
  maxBytes: number
}

export function ingestLimits (now: Instant, retentionDays: number, maxFutureSkewSeconds: number, lineMaxBytes: number, maxItems = Infinity, maxBytes = Infinity): IngestLimits {
  const oldest = retentionDays > 0 ? now - BigInt(retentionDays) * 86_400n * NS_PER_SECOND : null
  const newest = now + BigInt(maxFutureSkewSeconds) * NS_PER_SECOND
  return {
    now,
    oldest,
    newest,
    oldestAt: oldest === null ? null : instantPosition(oldest),
    newestAt: instantPosition(newest),
    lineMaxBytes,
    maxItems,
    maxBytes
  }
}

export const LABEL_MAX_CHARS = 1024

/** The 400 of a bad line (or a shipper's record): it names the index and the field, and nothing is stored. */
export function badItem (noun: 'Line' | 'Record', index: number, field: string | undefined, problem: string): Error {
  return errors.invalidRequest(`${noun} ${index}${field === undefined ? '' : ` field ${field}`} ${problem}. Nothing was stored.`,
    field === undefined ? { index } : { index, field })
}

const LONE_SURROGATE = /\p{Surrogate}/u

// Either of the characters textProblem refuses, or a paired surrogate (most text has none): one scan of the
// text finds nothing to look at more closely.
// eslint-disable-next-line no-control-regex -- NUL is what it looks for
const SUSPECT = /[\u0000\uD800-\uDFFF]/

/** Why a text field cannot be stored, or null if it can; undefined and null are absent. */
export function textProblem (value: unknown, required: boolean, maxBytes: number): string | null {
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

const OLD = 'is older than the retention period (LOG_RETENTION_DAYS)'
const FUTURE = 'is too far in the future (MAX_FUTURE_SKEW_SECONDS)'

/** Why an instant cannot be stored (retention, future skew), or null. */
function instantProblem (instant: Instant, limits: IngestLimits): string | null {
  if (limits.oldest !== null && instant < limits.oldest) return OLD
  if (instant > limits.newest) return FUTURE
  return null
}

const before = (day: number, t: number, p: Position): boolean => day < p.day || (day === p.day && t < p.t)

/** Why a line at (day, t) cannot be stored (retention, future skew), or null: instantProblem without a bigint. */
export function positionProblem (day: number, t: number, limits: IngestLimits): string | null {
  if (limits.oldestAt !== null && before(day, t, limits.oldestAt)) return OLD
  if (before(limits.newestAt.day, limits.newestAt.t, { day, t, seq: 0 })) return FUTURE
  return null
}

/** A line ready to store from checked parts (its seq is its index in its run's lines, set by the mapper). */
export function storedLine (instant: Instant, msg: string, container: string, pod: string, stream: string): LogLine {
  const { day, t } = instantPosition(instant)
  return { day, t, seq: 0, pod, container, stream, msg }
}

// The native write body (a JSON array of lines, SAP's read body, or NDJSON) of one run: each line checked,
// all or nothing (the first bad line rejects the request with its index, before anything is stored), and
// handed to the mapper (run-mapper.ts).
import { errors } from '../errors.js'
import type { LogBatch, LogLine, RunKey } from '../model.js'
import { parseRfc3339 } from '../time.js'
import { ItemBudget } from './item-budget.js'
import { parseJsonBody, parseNdjson, type ItemPath } from './json-scan.js'
import { badItem, checkedInstant, LABEL_MAX_CHARS, positionProblem, storedLine, textProblem, type IngestLimits } from './line-checks.js'
import { RunMapper, summarize, type Decoder } from './run-mapper.js'

const LINE_FIELDS = new Set(['timestamp', 'msg', 'container', 'pod', 'stream'])

/** The lines of a body: a JSON array, SAP's read body `{"data":{"result":[...]}}`, or parsed NDJSON. */
export function linesOf (body: unknown): unknown[] {
  if (Array.isArray(body)) return body
  const result = (body as { data?: { result?: unknown } } | null)?.data?.result
  if (Array.isArray(result)) return result
  throw errors.invalidRequest('The body must be a JSON array of lines or {"data":{"result":[...]}}; each line has timestamp and msg, and optionally container, pod and stream.')
}

const badLine = (index: number, field: string | undefined, problem: string): Error => badItem('Line', index, field, problem)

/** A line's text field, or the 400 naming the line and the field. */
function text (line: Record<string, unknown>, field: string, index: number, required: boolean, maxBytes: number): string {
  const value = line[field]
  const problem = textProblem(value, required, maxBytes)
  if (problem !== null) throw badLine(index, field, problem)
  return (value ?? '') as string
}

// Per line, the largest costs of a write were the timestamp's regular expression, its BigInt arithmetic
// and formatting the stored literal back through a Date (docs/performance.md). Nearly every timestamp is
// UTC with Z: its position (UTC day, nanoseconds within it) is read from its text digit by digit, in plain
// numbers. Any other form, and any out-of-range field, goes through parseRfc3339, which gives the same.
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

const DAY_MS = 86_400_000
// utcPosition's answer (no object made per line).
let utcDay = 0
let utcT = 0

/** Reads the position of `YYYY-MM-DDTHH:MM:SS[.f{1,9}]Z` from 1970 on into utcDay and utcT; false for any other text. */
function utcPosition (s: string): boolean {
  const n = s.length
  if (n < 20 || n > 30 || s.charCodeAt(n - 1) !== 0x5a /* Z */ || s.charCodeAt(4) !== 0x2d /* - */ || s.charCodeAt(7) !== 0x2d ||
    s.charCodeAt(10) !== 0x54 /* T */ || s.charCodeAt(13) !== 0x3a /* : */ || s.charCodeAt(16) !== 0x3a) return false
  const year = digitsAt(s, 0, 4)
  const month = digitsAt(s, 5, 2)
  const day = digitsAt(s, 8, 2)
  const hour = digitsAt(s, 11, 2)
  const minute = digitsAt(s, 14, 2)
  const second = digitsAt(s, 17, 2)
  if (year < 1970 || month < 1 || month > 12 || day < 1 || hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 59) return false
  const leap = month === 2 && year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0)
  if (day > (DAYS_IN_MONTH[month - 1] as number) + (leap ? 1 : 0)) return false
  let fraction = 0 // nanoseconds
  if (n > 20) {
    const digits = n - 21
    if (s.charCodeAt(19) !== 0x2e /* . */ || digits < 1) return false
    const f = digitsAt(s, 20, digits)
    if (f < 0) return false
    fraction = f * (SCALE[digits] as number)
  }
  utcDay = Date.UTC(year, month - 1, day) / DAY_MS
  utcT = ((hour * 60 + minute) * 60 + second) * 1e9 + fraction
  return true
}

function lineOf (raw: unknown, index: number, limits: IngestLimits): LogLine {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw badLine(index, undefined, 'must be an object')
  const line = raw as Record<string, unknown>
  for (const key of Object.keys(line)) {
    if (!LINE_FIELDS.has(key)) throw badLine(index, key, 'is not a known field (timestamp, msg, container, pod, stream)')
  }
  const timestamp = text(line, 'timestamp', index, true, 64)
  if (!utcPosition(timestamp)) {
    const instant = checkedInstant(() => parseRfc3339(timestamp), limits, (problem) => badLine(index, 'timestamp', problem))
    return storedLine(instant, text(line, 'msg', index, true, limits.lineMaxBytes), text(line, 'container', index, false, LABEL_MAX_CHARS),
      text(line, 'pod', index, false, LABEL_MAX_CHARS), text(line, 'stream', index, false, LABEL_MAX_CHARS))
  }
  const day = utcDay
  const t = utcT
  const problem = positionProblem(day, t, limits)
  if (problem !== null) throw badLine(index, 'timestamp', problem)
  // Checked in this order, as the slow path does: the first bad field is the one named.
  const msg = text(line, 'msg', index, true, limits.lineMaxBytes)
  const container = text(line, 'container', index, false, LABEL_MAX_CHARS)
  const pod = text(line, 'pod', index, false, LABEL_MAX_CHARS)
  return { day, t, seq: 0, pod, container, stream: text(line, 'stream', index, false, LABEL_MAX_CHARS), msg }
}

/** Validates every line; returns null for an empty body. */
export function parseLogBatch (rawLines: unknown[], limits: IngestLimits): LogBatch | null {
  if (rawLines.length === 0) return null
  return summarize(rawLines.map((raw, i) => lineOf(raw, i, limits)))
}

/** The items of the native write body: a JSON array of lines, or SAP's read body. */
export const LINE_ITEMS: ItemPath[] = [['*'], ['data', 'result', '*']]

/** The decoder of a native write body (JSON or NDJSON) to the run of its URL: it answers the lines accepted. */
export function nativeLines (run: RunKey, ndjson: boolean): Decoder {
  return (body, settings) => {
    const mapper = new RunMapper(settings)
    const budget = new ItemBudget(mapper.limits.maxItems, mapper.limits.maxBytes, 'lines')
    const raw = ndjson ? parseNdjson(body, budget) : linesOf(parseJsonBody(body, budget, LINE_ITEMS))
    const into = mapper.linesOf(run)
    for (let i = 0; i < raw.length; i++) into.push(lineOf(raw[i], i, mapper.limits))
    const decoded = mapper.result()
    return { ...decoded, answer: { accepted: decoded.accepted } }
  }
}

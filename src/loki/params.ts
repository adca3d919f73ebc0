// Loki's HTTP query parameters. They are read from the raw query string with form decoding ('+' is a
// space): Go clients (logcli, Grafana's backend) encode spaces in LogQL as '+', and a literal '+' as %2B.
import type { SortOrder } from '../model.js'
import { NS_PER_SECOND, parseRfc3339, TimestampError, type Instant } from '../time.js'
import { LokiQueryError, parseDuration } from './logql.js'

/** The parameters of a request's URL (path and query). */
export const lokiParams = (url: string): URLSearchParams => new URLSearchParams(url.split('?')[1] ?? '')

const bad = (name: string, problem: string): LokiQueryError => new LokiQueryError(`invalid parameter ${name}: ${problem}`)

/** Loki's timestamps: nanoseconds since the epoch (10 digits or fewer: seconds), float seconds, or RFC 3339. */
export function parseLokiTime (text: string, name: string): Instant {
  if (/^-?\d+$/.test(text)) return text.replace('-', '').length <= 10 ? BigInt(text) * NS_PER_SECOND : BigInt(text)
  if (/^-?\d+\.\d+$/.test(text)) {
    const [whole, fraction] = text.split('.') as [string, string]
    return BigInt(whole) * NS_PER_SECOND + (whole.startsWith('-') ? -1n : 1n) * BigInt(fraction.slice(0, 9).padEnd(9, '0'))
  }
  try {
    return parseRfc3339(text)
  } catch (err) {
    if (err instanceof TimestampError) throw bad(name, `${JSON.stringify(text)} is not a Unix epoch in nanoseconds or seconds, or an RFC 3339 time`)
    throw err
  }
}

/** A duration as Loki reads step and since: a Prometheus duration (5m) or a number of seconds. */
function parseLokiDuration (text: string, name: string): bigint {
  const duration = parseDuration(text)
  if (duration !== undefined) return duration
  if (/^\d+(\.\d+)?$/.test(text)) return BigInt(Math.round(Number(text) * 1e9))
  throw bad(name, `${JSON.stringify(text)} is not a duration such as 5m or a number of seconds`)
}

export interface TimeRange { start: Instant, end: Instant }

/** start and end (or since): end defaults to now, start to an hour (or `since`) before end; at most maxHours long. */
export function timeRange (params: URLSearchParams, now: Instant, maxHours: number): TimeRange {
  const endText = params.get('end')
  const end = endText === null || endText === '' ? now : parseLokiTime(endText, 'end')
  const startText = params.get('start')
  const sinceText = params.get('since')
  const since = sinceText === null || sinceText === '' ? 3600n * NS_PER_SECOND : parseLokiDuration(sinceText, 'since')
  const start = startText === null || startText === '' ? end - since : parseLokiTime(startText, 'start')
  if (end < start) throw new LokiQueryError('end timestamp must not be before start time')
  const limit = BigInt(maxHours) * 3600n * NS_PER_SECOND
  if (end - start > limit) throw new LokiQueryError(`the query time range exceeds the limit (query length: ${Number((end - start) / NS_PER_SECOND)}s, limit: ${maxHours}h; LOKI_MAX_QUERY_HOURS)`)
  return { start, end }
}

export function limitOf (params: URLSearchParams, maxEntries: number): number {
  const text = params.get('limit')
  if (text === null || text === '') return 100
  if (!/^\d+$/.test(text) || Number(text) < 1) throw bad('limit', 'must be a positive integer')
  const limit = Number(text)
  if (limit > maxEntries) throw new LokiQueryError(`max entries limit per query exceeded, limit > max_entries_limit (${limit} > ${maxEntries}; LOKI_MAX_ENTRIES)`)
  return limit
}

export function directionOf (params: URLSearchParams): SortOrder {
  const text = (params.get('direction') ?? 'backward').toLowerCase()
  if (text === 'backward' || text === '') return 'desc'
  if (text === 'forward') return 'asc'
  throw bad('direction', 'must be forward or backward')
}

/** step, or Loki's default: the range in 250 points, at least a second. */
export function stepOf (params: URLSearchParams, range: TimeRange): bigint {
  const text = params.get('step')
  if (text !== null && text !== '') {
    const step = parseLokiDuration(text, 'step')
    if (step <= 0n) throw new LokiQueryError('zero or negative query resolution step widths are not accepted. Try a positive integer')
    return step
  }
  const seconds = (range.end - range.start) / NS_PER_SECOND / 250n
  return (seconds > 1n ? seconds : 1n) * NS_PER_SECOND
}

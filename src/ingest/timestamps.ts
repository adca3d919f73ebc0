// The timestamp forms shippers send, to nanosecond instants.
import { NS_PER_MS, NS_PER_SECOND, parseRfc3339, TimestampError, type Instant } from '../time.js'

const NS_PER_US = 1000n
// 2^53 microseconds: past this (year 2255) a double no longer holds whole microseconds.
const MAX_SAFE_MICROS = Number.MAX_SAFE_INTEGER
const JAVA_SQL = /^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?)$/
const EPOCH_TEXT = /^(\d{1,11})(?:\.(\d{1,9}))?$/
const EPOCH_NANOS_TEXT = /^\d{1,19}$/
// What nearly every line carries: UTC with Z, 1970 or later. parseRfc3339 validates through luxon at about
// 7 µs a line, the largest cost of a write; this path does the same arithmetic for this form at a fraction
// of it and leaves every other form (offsets, odd dates, errors) to parseRfc3339.
const UTC_RFC3339 = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?Z$/
const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]

const daysIn = (year: number, month: number): number =>
  month === 2 && year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : DAYS_IN_MONTH[month - 1] as number

/** parseRfc3339, faster for the common form; the same instants and the same errors. */
export function parseTimestamp (text: string): Instant {
  const m = UTC_RFC3339.exec(text)
  if (m !== null) {
    const year = Number(m[1])
    const month = Number(m[2])
    const day = Number(m[3])
    const hour = Number(m[4])
    const minute = Number(m[5])
    const second = Number(m[6])
    if (year >= 1970 && month >= 1 && month <= 12 && day >= 1 && day <= daysIn(year, month) && hour < 24 && minute < 60 && second < 60) {
      return BigInt(Date.UTC(year, month - 1, day, hour, minute, second)) * NS_PER_MS + BigInt((m[7] ?? '').padEnd(9, '0'))
    }
  }
  return parseRfc3339(text)
}

/**
 * Seconds since the epoch as a JSON number (Fluent Bit's json_date_format double, printed with 6 decimals).
 * JSON.parse keeps about 7 significant fractional digits at today's epoch; the double nearest the printed
 * value is within a quarter microsecond of it, so rounding to whole microseconds recovers what was sent.
 */
export function fromEpochSeconds (seconds: number): Instant {
  const micros = Math.round(seconds * 1e6)
  if (!Number.isFinite(micros) || Math.abs(micros) > MAX_SAFE_MICROS) throw new TimestampError('is not a usable number of seconds since the epoch')
  return BigInt(micros) * NS_PER_US
}

/** Nanoseconds since the epoch as decimal text (Loki's push API), all 9 digits kept. */
export function fromEpochNanosText (text: string): Instant {
  if (!EPOCH_NANOS_TEXT.test(text)) throw new TimestampError('must be a string of nanoseconds since the epoch')
  return BigInt(text)
}

/**
 * A timestamp field of a shipper's record: a number of epoch seconds, RFC 3339 text (Vector, Fluent Bit
 * iso8601), Fluent Bit's java_sql_timestamp (UTC, no offset), or epoch seconds as text.
 */
export function parseShipperTimestamp (value: unknown): Instant {
  if (typeof value === 'number') return fromEpochSeconds(value)
  if (typeof value !== 'string') throw new TimestampError('must be a number of epoch seconds or an RFC 3339 string')
  const epoch = EPOCH_TEXT.exec(value)
  if (epoch !== null) return BigInt(epoch[1] as string) * NS_PER_SECOND + BigInt((epoch[2] ?? '').padEnd(9, '0'))
  const sql = JAVA_SQL.exec(value)
  return parseTimestamp(sql === null ? value : `${sql[1] as string}T${sql[2] as string}Z`)
}

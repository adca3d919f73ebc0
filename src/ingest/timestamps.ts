// The timestamp forms shippers send, to nanosecond instants.
import { NS_PER_SECOND, parseRfc3339, TimestampError, type Instant } from '../time.js'

const NS_PER_US = 1000n
// 2^53 microseconds: past this (year 2255) a double no longer holds whole microseconds.
const MAX_SAFE_MICROS = Number.MAX_SAFE_INTEGER
const JAVA_SQL = /^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?)$/
const EPOCH_TEXT = /^(\d{1,11})(?:\.(\d{1,9}))?$/
const EPOCH_NANOS_TEXT = /^\d{1,19}$/

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
  return parseRfc3339(sql === null ? value : `${sql[1] as string}T${sql[2] as string}Z`)
}

// Nanosecond instants. luxon validates RFC 3339 dates but keeps only milliseconds, so the fraction is
// carried beside it and an instant is a bigint of nanoseconds since the Unix epoch.
import { DateTime } from 'luxon'

export type Instant = bigint

export const NS_PER_MS = 1_000_000n
export const NS_PER_SECOND = 1_000_000_000n
const NS_PER_US = 1000n

// Z or ±hh:mm. A space stands for '+': SAP's JS client sends the offset's '+' unencoded and a standard
// query decoder turns it into a space.
const RFC3339 = /^(\d{4}-\d{2}-\d{2})[Tt]((?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d)(?:\.(\d{1,9}))?([Zz]|[+\- ](?:[01]\d|2[0-3]):[0-5]\d)$/

/** The earliest instant stored: 0001-01-01T00:00:00Z (Date.UTC would map year 1 to 1901). */
export const MIN_INSTANT: Instant = BigInt(new Date(0).setUTCFullYear(1, 0, 1)) * NS_PER_MS

/** The latest instant stored: 9999-12-31T23:59:59.999999999Z (later years have no RFC 3339 form). */
const MAX_INSTANT: Instant = BigInt(Date.UTC(9999, 11, 31, 23, 59, 59, 999)) * NS_PER_MS + 999_999n

export class TimestampError extends Error {}

// What nearly every timestamp is: UTC with Z, 1970 or later. luxon validates at about 7 µs a timestamp,
// the largest cost of a write; this path does the same arithmetic for this form at a fraction of it and
// leaves every other form (offsets, odd dates, errors) to parseRfc3339Calendar.
const UTC_RFC3339 = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?Z$/
const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]

const daysIn = (year: number, month: number): number =>
  month === 2 && year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : DAYS_IN_MONTH[month - 1] as number

/** Parses an RFC 3339 timestamp into nanoseconds since the epoch; throws TimestampError with a reason. */
export function parseRfc3339 (text: string): Instant {
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
  return parseRfc3339Calendar(text)
}

/** parseRfc3339 for every form, through luxon's calendar checks (exported so tests compare the fast path with it). */
export function parseRfc3339Calendar (text: string): Instant {
  const m = RFC3339.exec(text)
  if (m === null) {
    throw new TimestampError('must be an RFC 3339 timestamp such as 2024-01-01T00:00:00.123456789Z or 2024-01-01T02:00:00+02:00')
  }
  const [, date, time, fraction = '', rawOffset] = m as unknown as [string, string, string, string | undefined, string]
  const offset = rawOffset.startsWith(' ') ? `+${rawOffset.slice(1)}` : rawOffset.toUpperCase()
  const whole = DateTime.fromISO(`${date}T${time}${offset}`, { setZone: true })
  if (!whole.isValid) {
    throw new TimestampError(`is not a valid date and time (${whole.invalidExplanation ?? whole.invalidReason ?? 'out of range'})`)
  }
  const ns = BigInt(whole.toMillis()) * NS_PER_MS + BigInt(fraction.padEnd(9, '0'))
  if (ns < MIN_INSTANT) throw new TimestampError('is before 0001-01-01T00:00:00Z')
  // 9999-12-31T23:59:59-01:00 is in year 10000.
  if (ns > MAX_INSTANT) throw new TimestampError('is after 9999-12-31T23:59:59.999999999Z')
  return ns
}

/** Floor division for bigints (instants before 1970 are negative). */
function floorDiv (a: bigint, b: bigint): bigint {
  const q = a / b
  return (a % b !== 0n && (a < 0n) !== (b < 0n)) ? q - 1n : q
}

const pad3 = (n: number): string => (n >= 100 ? String(n) : n >= 10 ? `0${n}` : `00${n}`)
// The date and time of the second last split, kept: lines of a batch mostly share their second, and
// formatting it through a Date is the larger part of a line's split.
let lastSecond = NaN
let lastSecondText = ''

/** Splits an instant into what Postgres stores: a microsecond timestamptz literal and 0..999 nanoseconds. */
export function toStoredParts (ns: Instant): { ts: string, nanos: number } {
  if (ns >= 0n) {
    const ms = Number(ns / NS_PER_MS)
    const belowMs = Number(ns % NS_PER_MS)
    const second = Math.floor(ms / 1000)
    if (second !== lastSecond) {
      lastSecondText = new Date(second * 1000).toISOString().slice(0, 19)
      lastSecond = second
    }
    return { ts: `${lastSecondText}.${pad3(ms - second * 1000)}${pad3(Math.floor(belowMs / 1000))}Z`, nanos: belowMs % 1000 }
  }
  const micros = floorDiv(ns, NS_PER_US)
  const millis = floorDiv(micros, 1000n)
  const iso = new Date(Number(millis)).toISOString() // YYYY-MM-DDTHH:mm:ss.sssZ
  const subMillis = String(micros - millis * 1000n).padStart(3, '0')
  return { ts: `${iso.slice(0, -1)}${subMillis}Z`, nanos: Number(ns - micros * NS_PER_US) }
}

/** Millisecond-precision instant from a Date or epoch milliseconds. */
export function fromMillis (ms: number): Instant {
  return BigInt(Math.trunc(ms)) * NS_PER_MS
}

/**
 * Renders a stored timestamp for the API. `pgText` is Postgres' own output of the timestamptz column with
 * TimeZone=UTC and DateStyle=ISO ("2024-01-02 03:04:05.1234+00", trailing zeros dropped); no Date is built.
 * The fraction has 3, 6 or 9 digits: the fewest that state the stored value exactly.
 */
export function formatStored (pgText: string, nanos: number): string {
  const dot = pgText.indexOf('.', 19)
  const micros = dot === -1 ? '000000' : pgText.slice(dot + 1, pgText.length - 3).padEnd(6, '0')
  const digits = micros + String(nanos).padStart(3, '0')
  const fraction = digits.endsWith('000000') ? digits.slice(0, 3) : digits.endsWith('000') ? digits.slice(0, 6) : digits
  return `${pgText.slice(0, 10)}T${pgText.slice(11, 19)}.${fraction}+00:00`
}

/** Formats an instant the way the API renders timestamps (UTC, +00:00, 3/6/9 digits). */
export function formatInstant (ns: Instant): string {
  const { ts, nanos } = toStoredParts(ns)
  return formatStored(`${ts.slice(0, 10)} ${ts.slice(11, 26)}+00`, nanos)
}

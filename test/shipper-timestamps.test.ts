// The timestamp forms shippers send: epoch doubles (Fluent Bit), nanosecond strings (Loki), and RFC 3339,
// whose UTC fast path in parseRfc3339 must agree with its calendar checks on every input, valid or not.
import fc from 'fast-check'
import t from 'tap'
import { fromEpochNanosText, fromEpochSeconds, parseShipperTimestamp } from '../src/ingest/timestamps.js'
import { parseLogBatch } from '../src/ingest/lines.js'
import { storedLine } from '../src/ingest/line-checks.js'
import { dayText, instantPosition, sqlPosition } from '../src/store/block-position.js'
import { MAX_INSTANT, parseRfc3339, parseRfc3339Calendar, TimestampError } from '../src/time.js'

const outcome = (parse: (text: string) => bigint, text: string): string => {
  try {
    return `ok ${parse(text)}`
  } catch (err) {
    if (err instanceof TimestampError) return `refused: ${err.message}`
    throw err
  }
}

/** True when parsing throws a TimestampError (a refusal with a reason, not a crash). */
const refuses = (parse: () => unknown): boolean => {
  try {
    parse()
  } catch (err) {
    return err instanceof TimestampError
  }
  return false
}

/** RFC 3339-shaped texts from `minYear` on, with fields a little past their ranges (so refusals are drawn too). */
function timestampTexts (minYear: number, fraction: RegExp, zones: string[]): fc.Arbitrary<string> {
  const pad = (n: number, width: number): string => String(n).padStart(width, '0')
  return fc.record({
    year: fc.integer({ min: minYear, max: 9999 }),
    month: fc.integer({ min: 0, max: 13 }),
    day: fc.integer({ min: 0, max: 32 }),
    hour: fc.integer({ min: 0, max: 25 }),
    minute: fc.integer({ min: 0, max: 61 }),
    second: fc.integer({ min: 0, max: 61 }),
    fraction: fc.option(fc.stringMatching(fraction), { nil: undefined }),
    zone: fc.constantFrom(...zones)
  }).map((p) => `${pad(p.year, 4)}-${pad(p.month, 2)}-${pad(p.day, 2)}T${pad(p.hour, 2)}:${pad(p.minute, 2)}:${pad(p.second, 2)}` +
    `${p.fraction === undefined ? '' : `.${p.fraction}`}${p.zone}`)
}

t.test('parseRfc3339\'s UTC fast path gives the same instant or the same refusal as the calendar checks', async (t) => {
  const candidate = timestampTexts(0, /^\d{1,10}$/, ['Z', 'z', '+00:00', '-05:30', '+14:00', ''])
  fc.assert(fc.property(candidate, (text) => outcome(parseRfc3339, text) === outcome(parseRfc3339Calendar, text)), { numRuns: 20_000 })
  for (const text of ['2024-02-29T23:59:59.999999999Z', '2023-02-29T00:00:00Z', '2100-02-29T00:00:00Z', '2000-02-29T12:00:00Z',
    '1970-01-01T00:00:00Z', '1969-12-31T23:59:59.5Z', '2024-04-31T00:00:00Z', '2024-12-31T23:59:59Z']) {
    t.equal(outcome(parseRfc3339, text), outcome(parseRfc3339Calendar, text), text)
  }
})

t.test('a native line\'s timestamp is stored as parseRfc3339 and toStoredParts make it, or refused alike', async (t) => {
  const limits = { now: 0n, oldest: null, newest: MAX_INSTANT, oldestAt: null, newestAt: instantPosition(MAX_INSTANT), lineMaxBytes: 1000, maxItems: 1, maxBytes: 1000 }
  // The stored line, or the refusal's message, of one line with this timestamp through the write path.
  const written = (text: string): string => {
    try {
      return JSON.stringify(parseLogBatch([{ timestamp: text, msg: 'm' }], limits)?.lines[0], (_k, v: unknown) => typeof v === 'bigint' ? String(v) : v)
    } catch (err) {
      return `refused: ${(err as Error).message}`
    }
  }
  const expected = (text: string): string => {
    let instant: bigint
    try {
      instant = parseRfc3339(text)
    } catch (err) {
      return `refused: Line 0 field timestamp ${(err as Error).message}. Nothing was stored.`
    }
    return JSON.stringify(storedLine(instant, 'm', '', '', ''), (_k, v: unknown) => typeof v === 'bigint' ? String(v) : v)
  }
  const candidate = timestampTexts(1960, /^\d{0,10}$/, ['Z', 'Z', 'Z', 'z', '+00:00', '-05:30', ''])
  fc.assert(fc.property(candidate, (text) => written(text) === expected(text)), { numRuns: 20_000 })
  for (const text of ['2026-12-03T14:00:00.123456789Z', '2026-12-03T14:00:00.1Z', '2026-12-03T14:00:00Z', '2024-02-29T23:59:59.999999999Z',
    '1970-01-01T00:00:00Z', '2026-12-03T14:00:00.Z', '2026-12-03t14:00:00Z', '2026-12-03T14:00:00.0000000001Z', '+2026-12-03T14:00:00Z', '2026-1a-03T14:00:00Z']) {
    t.equal(written(text), expected(text), text)
  }
  // Lines are kept as positions (UTC day, nanoseconds within it); the stored timestamp and nanoseconds are made from them.
  const line = parseLogBatch([{ timestamp: '2026-12-03T14:00:00.123456789Z', msg: 'm' }], limits)?.lines[0]
  t.same(line === undefined ? [] : [dayText(line.day), ...sqlPosition(line).slice(0, 2)], ['2026-12-03', '2026-12-03 14:00:00.123456+00', 789])
})

t.test('Fluent Bit\'s double epoch keeps the 6 decimals it prints', async (t) => {
  t.equal(fromEpochSeconds(JSON.parse('1718452797.123456')), 1_718_452_797_123_456_000n)
  t.equal(fromEpochSeconds(JSON.parse('1718452797.999999')), 1_718_452_797_999_999_000n)
  t.equal(fromEpochSeconds(JSON.parse('1718452798.000001')), 1_718_452_798_000_001_000n)
  // Every microsecond of a whole second at today's epoch comes back as printed.
  for (let micros = 0; micros < 1_000_000; micros += 7) {
    const printed = `1718452797.${String(micros).padStart(6, '0')}`
    if (fromEpochSeconds(JSON.parse(printed)) !== 1_718_452_797_000_000_000n + BigInt(micros) * 1000n) {
      t.fail(`${printed} did not round-trip`)
      return
    }
  }
  t.pass('1718452797.000000 to .999999 all round-trip')
  t.ok(refuses(() => fromEpochSeconds(Number.POSITIVE_INFINITY)), 'Infinity is refused')
})

t.test('Loki\'s nanosecond strings keep all 9 digits', async (t) => {
  t.equal(fromEpochNanosText('1718452797123456789'), 1_718_452_797_123_456_789n)
  for (const bad of ['', '1.5', '-1', '17184527971234567890', 'abc']) t.ok(refuses(() => fromEpochNanosText(bad)), JSON.stringify(bad))
})

t.test('a shipper\'s timestamp field: number, RFC 3339, java_sql_timestamp, or epoch seconds as text', async (t) => {
  const at = 1_718_452_797_123_456_000n
  t.equal(parseShipperTimestamp(1718452797.123456), at)
  t.equal(parseShipperTimestamp('2024-06-15T11:59:57.123456Z'), at)
  t.equal(parseShipperTimestamp('2024-06-15T13:59:57.123456+02:00'), at)
  t.equal(parseShipperTimestamp('2024-06-15 11:59:57.123456'), at)
  t.equal(parseShipperTimestamp('1718452797.123456'), at)
  t.equal(parseShipperTimestamp('1718452797'), 1_718_452_797_000_000_000n)
  for (const bad of [true, null, {}, 'yesterday', '2024-06-15']) t.ok(refuses(() => parseShipperTimestamp(bad)), JSON.stringify(bad))
})

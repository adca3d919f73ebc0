// Nanosecond instants: RFC 3339 in, stored parts, and the API's 3/6/9-digit UTC rendering out.
import t from 'tap'
import { formatInstant, formatStored, MIN_INSTANT, parseRfc3339, TimestampError, toStoredParts } from '../src/time.js'

t.test('offsets are converted to the same instant', async (t) => {
  const utc = parseRfc3339('2024-01-01T00:00:00Z')
  t.equal(parseRfc3339('2024-01-01T02:00:00+02:00'), utc)
  t.equal(parseRfc3339('2024-01-01T02:00:00 02:00'), utc, 'a space stands for the + a query decoder turned into one')
  t.equal(parseRfc3339('2023-12-31T19:30:00-04:30'), utc)
  t.equal(parseRfc3339('2024-01-01t00:00:00z'), utc, 'lower-case t and z as RFC 3339 allows')
})

t.test('0 to 9 fractional digits keep every nanosecond', async (t) => {
  t.equal(parseRfc3339('1970-01-01T00:00:00.000000001Z'), 1n)
  t.equal(parseRfc3339('1970-01-01T00:00:01.5Z'), 1_500_000_000n)
  t.equal(parseRfc3339('1969-12-31T23:59:59.999999999Z'), -1n)
})

t.test('what is not RFC 3339 is refused with a reason', async (t) => {
  for (const bad of ['2024-01-01', '2024-01-01T00:00:00', '2024-01-01 00:00:00Z', '2024-01-01T00:00:00.1234567890Z',
    '2024-02-30T00:00:00Z', '2024-13-01T00:00:00Z', '2024-01-01T24:00:00Z', '2024-01-01T00:60:00Z', '2024-01-01T00:00:00+24:00',
    '2024-01-01T00:00:00+0200', '0001-01-01T00:30:00+01:00', '']) {
    let thrown: unknown
    try { parseRfc3339(bad) } catch (err) { thrown = err }
    t.ok(thrown instanceof TimestampError, `${JSON.stringify(bad)} is refused`)
  }
})

t.test('an instant splits into microsecond timestamp and nanoseconds, before 1970 too', async (t) => {
  t.same(toStoredParts(parseRfc3339('2024-01-01T00:00:00.123456789Z')), { ts: '2024-01-01T00:00:00.123456Z', nanos: 789 })
  t.same(toStoredParts(-1n), { ts: '1969-12-31T23:59:59.999999Z', nanos: 999 })
  t.same(toStoredParts(MIN_INSTANT), { ts: '0001-01-01T00:00:00.000000Z', nanos: 0 })
})

t.test('stored timestamps render in UTC with the fewest of 3, 6 or 9 digits that are exact', async (t) => {
  t.equal(formatStored('2024-01-02 03:04:05+00', 0), '2024-01-02T03:04:05.000+00:00')
  t.equal(formatStored('2024-01-02 03:04:05.12+00', 0), '2024-01-02T03:04:05.120+00:00')
  t.equal(formatStored('2024-01-02 03:04:05.1234+00', 0), '2024-01-02T03:04:05.123400+00:00')
  t.equal(formatStored('2024-01-02 03:04:05.123456+00', 0), '2024-01-02T03:04:05.123456+00:00')
  t.equal(formatStored('2024-01-02 03:04:05+00', 5), '2024-01-02T03:04:05.000000005+00:00')
  t.equal(formatInstant(parseRfc3339('2024-06-01T12:00:00.5+05:30')), '2024-06-01T06:30:00.500+00:00')
})

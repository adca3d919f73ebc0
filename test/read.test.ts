// Reading logs as SAP AI Core serves them: the contract's "Reading logs" section, one behaviour per test.
// Lines go in through the POST endpoint and come back through GET, on a real PostgreSQL and a fixed clock.
import type { LightMyRequestResponse } from 'fastify'
import t, { type Test } from 'tap'
import { authHeaders, buildTestApp } from './helpers/app.js'
import { expectError } from './helpers/errors.js'

/** Nanoseconds since the epoch of a UTC ISO time with at most milliseconds, plus extra nanoseconds. */
const at = (iso: string, extraNs = 0n): bigint => BigInt(Date.parse(iso)) * 1_000_000n + extraNs
const MINUTE = 60n * 1_000_000_000n

// The service's clock in every test: defaults and ingestion bounds are relative to it.
const NOW = at('2025-03-10T12:00:00.000Z')

interface LogItem { container: string, msg: string, pod: string, stream: string, timestamp: string }
interface LineIn { timestamp: string, msg: string, container?: string, pod?: string, stream?: string }

/** RFC 3339 with 9 fractional digits and Z, for an instant in nanoseconds. */
function rfc3339 (ns: bigint): string {
  const ms = ns / 1_000_000n
  return `${new Date(Number(ms)).toISOString().slice(0, 19)}.${String(ns % 1_000_000_000n).padStart(9, '0')}Z`
}

const { app } = await buildTestApp(t, { now: () => NOW })
const headers = await authHeaders()

async function ingest (path: string, lines: LineIn[], group?: string): Promise<void> {
  const res = await app.inject({ method: 'POST', url: `${path}/logs`, headers: group === undefined ? headers : { ...headers, 'ai-resource-group': group }, payload: lines })
  if (res.statusCode !== 200) throw new Error(`ingest into ${path} failed: ${res.statusCode} ${res.body}`)
}

async function get (url: string, group?: string): Promise<LightMyRequestResponse> {
  return await app.inject({ method: 'GET', url, headers: group === undefined ? headers : { ...headers, 'ai-resource-group': group } })
}

/** The result of a read that must succeed. */
async function read (url: string): Promise<LogItem[]> {
  const res = await get(url)
  if (res.statusCode !== 200) throw new Error(`GET ${url}: ${res.statusCode} ${res.body}`)
  return (res.json() as { data: { result: LogItem[] } }).data.result
}

const msgs = (items: LogItem[]): string[] => items.map((i) => i.msg)

/** Asserts the contract's error body (helpers/errors.ts); returns its details. */
const assertError = (tt: Test, res: LightMyRequestResponse, status: number, code: string): Record<string, unknown> =>
  expectError(tt, res, status, code).details ?? {}

t.test('end defaults to now and start to one hour before end; the range excludes now', async (t) => {
  const run = '/v2/lm/deployments/defaults-1'
  await ingest(run, [
    { timestamp: rfc3339(NOW - 61n * MINUTE), msg: '61 min before' },
    { timestamp: rfc3339(NOW - 60n * MINUTE - 1n), msg: 'one ns before the hour' },
    { timestamp: rfc3339(NOW - 60n * MINUTE), msg: 'exactly one hour before' },
    { timestamp: rfc3339(NOW - 59n * MINUTE), msg: '59 min before' },
    { timestamp: rfc3339(NOW - 1n), msg: 'one ns before now' },
    { timestamp: rfc3339(NOW), msg: 'at now' },
    { timestamp: rfc3339(NOW + 1n), msg: 'after now' }
  ])
  t.same(msgs(await read(`${run}/logs`)), ['exactly one hour before', '59 min before', 'one ns before now'])
})

t.test('with only end given, start defaults to one hour before that end', async (t) => {
  const run = '/v2/lm/deployments/defaults-2'
  const end = NOW - 120n * MINUTE
  await ingest(run, [
    { timestamp: rfc3339(end - 61n * MINUTE), msg: 'too old' },
    { timestamp: rfc3339(end - 59n * MINUTE), msg: 'in range' },
    { timestamp: rfc3339(end), msg: 'at end' },
    { timestamp: rfc3339(NOW - 59n * MINUTE), msg: 'in the default hour before now' }
  ])
  t.same(msgs(await read(`${run}/logs?end=${rfc3339(end)}`)), ['in range'])
})

t.test('with only start given, end defaults to now', async (t) => {
  const run = '/v2/lm/deployments/defaults-3'
  await ingest(run, [
    { timestamp: rfc3339(NOW - 180n * MINUTE), msg: 'three hours before' },
    { timestamp: rfc3339(NOW - 1n), msg: 'just before now' },
    { timestamp: rfc3339(NOW + MINUTE), msg: 'a minute after now' }
  ])
  t.same(msgs(await read(`${run}/logs?start=${rfc3339(NOW - 200n * MINUTE)}`)), ['three hours before', 'just before now'])
})

t.test('the range is half-open, start <= ts < end, to the nanosecond', async (t) => {
  const run = '/v2/lm/executions/half-open'
  const base = NOW - 10n * MINUTE
  await ingest(run, [0n, 1n, 2n, 998n, 999n, 1000n, 1001n].map((ns) => ({ timestamp: rfc3339(base + ns), msg: `+${ns}ns` })))
  const between = async (from: bigint, to: bigint): Promise<string[]> =>
    msgs(await read(`${run}/logs?start=${rfc3339(base + from)}&end=${rfc3339(base + to)}`))

  t.same(await between(1n, 1000n), ['+1ns', '+2ns', '+998ns', '+999ns'], 'a line at start is in, a line at end is out')
  t.same(await between(1n, 999n), ['+1ns', '+2ns', '+998ns'], 'both bounds inside one microsecond')
  t.same(await between(999n, 1001n), ['+999ns', '+1000ns'], 'bounds on either side of a microsecond')
  t.same(await between(0n, 1n), ['+0ns'], 'a one-nanosecond range holds one line')
  t.same(await between(2n, 2n), [], 'start = end is an empty range, not an error')
  t.same(msgs(await read(`${run}/logs?start=${rfc3339(base)}&end=${rfc3339(base + 1002n)}`)).length, 7)
})

t.test('start with an offset means the same instant sent with +, %2B or a space', async (t) => {
  const run = '/v2/lm/deployments/offsets-1'
  // 13:00+02:00 is 11:00Z
  await ingest(run, [
    { timestamp: '2025-03-10T10:59:59.999999999Z', msg: 'before' },
    { timestamp: '2025-03-10T11:00:00Z', msg: 'at start' },
    { timestamp: '2025-03-10T11:29:59.999999999Z', msg: 'last' },
    { timestamp: '2025-03-10T11:30:00Z', msg: 'at end' }
  ])
  const expected = ['at start', 'last']
  const end = '2025-03-10T13:30:00'
  t.same(msgs(await read(`${run}/logs?start=2025-03-10T13:00:00+02:00&end=${end}+02:00`)), expected, 'raw +, as SAP\'s JS client sends it')
  t.same(msgs(await read(`${run}/logs?start=2025-03-10T13:00:00%2B02:00&end=${end}%2B02:00`)), expected, '%2B')
  t.same(msgs(await read(`${run}/logs?start=2025-03-10T13:00:00%2b02:00&end=${end}%2b02:00`)), expected, '%2b')
  t.same(msgs(await read(`${run}/logs?start=2025-03-10T13:00:00%2002:00&end=${end}%2002:00`)), expected, '%20, what a form decoder makes of +')
  t.same(msgs(await read(`${run}/logs?start=2025-03-10T13:00:00 02:00&end=${end} 02:00`)), expected, 'a literal space')
  t.same(msgs(await read(`${run}/logs?start=2025-03-10T11:00:00Z&end=2025-03-10T11:30:00Z`)), expected, 'Z')
  t.same(msgs(await read(`${run}/logs?start=2025-03-10T06:00:00-05:00&end=2025-03-10T06:30:00-05:00`)), expected, 'negative offset')
  t.same(msgs(await read(`${run}/logs?start=2025-03-10T11:00:00%2B00:00&end=2025-03-10T11:30:00-00:00`)), expected, '+00:00 and -00:00')
  t.same(msgs(await read(`${run}/logs?start=2025-03-10t11:00:00z&end=2025-03-10t11:30:00z`)), expected, 'lowercase t and z')
  t.same(msgs(await read(`${run}/logs?start=2025-03-10T16:30:00.000000000+05:30&end=2025-03-10T11:30:00.0Z`)), expected, 'fractions of 9 and 1 digits')
})

t.test('any RFC 3339 bounds are accepted, from year 0001 to 9999', async (t) => {
  const run = '/v2/lm/deployments/wide-range'
  await ingest(run, [{ timestamp: rfc3339(NOW - 3n * 24n * 60n * MINUTE), msg: 'three days ago' }, { timestamp: rfc3339(NOW + 30n * MINUTE), msg: 'in half an hour' }])
  t.same(msgs(await read(`${run}/logs?start=0001-01-01T00:00:00Z&end=9999-12-31T23:59:59.999999999Z`)), ['three days ago', 'in half an hour'])
  t.same(msgs(await read(`${run}/logs?start=1970-01-01T00:00:00Z`)), ['three days ago'], 'end still defaults to now')
})

t.test('an invalid start or end is a 400 naming the parameter', async (t) => {
  const run = '/v2/lm/deployments/offsets-2'
  await ingest(run, [{ timestamp: rfc3339(NOW - MINUTE), msg: 'x' }])
  const invalid = [
    'yesterday',
    '2025-03-10',
    '2025-03-10T11:00:00', // no offset
    '2025-03-10 11:00:00Z', // no T
    '2025-03-10T11:00:00.Z', // a dot without digits
    '2025-03-10T11:00:00.1234567890Z', // 10 fractional digits
    '2025-03-10T11:00:00+0200',
    '2025-03-10T11:00:00+02',
    '2025-02-30T11:00:00Z',
    '2025-03-10T24:00:00Z',
    '2025-03-10T11:00:60Z',
    '1741604400000',
    ''
  ]
  for (const name of ['start', 'end']) {
    for (const value of invalid) {
      const res = await get(`${run}/logs?${name}=${encodeURIComponent(value)}`)
      const details = assertError(t, res, 400, 'InvalidRequest')
      t.equal(details.parameter, name, `${name}=${value}`)
      t.match(res.json().error.message, name)
    }
  }
})

t.test('start after end is a 400', async (t) => {
  const run = '/v2/lm/deployments/offsets-3'
  await ingest(run, [{ timestamp: rfc3339(NOW - MINUTE), msg: 'x' }])
  const res = await get(`${run}/logs?start=${rfc3339(NOW - MINUTE + 1n)}&end=${rfc3339(NOW - MINUTE)}`)
  const details = assertError(t, res, 400, 'InvalidRequest')
  t.same(details.parameters, ['start', 'end'])
  const offsets = await get(`${run}/logs?start=2025-03-10T11:00:00Z&end=2025-03-10T12:59:59+02:00`)
  assertError(t, offsets, 400, 'InvalidRequest')
  const pastNow = await get(`${run}/logs?start=${rfc3339(NOW + 1n)}`)
  assertError(t, pastNow, 400, 'InvalidRequest')
})

t.test('$top is an integer from 1 to 5000, never clamped', async (t) => {
  const run = '/v2/lm/deployments/top-1'
  await ingest(run, [1, 2, 3].map((i) => ({ timestamp: rfc3339(NOW - BigInt(10 - i) * MINUTE), msg: `line ${i}` })))
  t.same(msgs(await read(`${run}/logs?$top=1`)), ['line 1'])
  t.same(msgs(await read(`${run}/logs?$top=2`)), ['line 1', 'line 2'])
  t.same(msgs(await read(`${run}/logs?$top=5000`)), ['line 1', 'line 2', 'line 3'])
  t.same(msgs(await read(`${run}/logs?%24top=1`)), ['line 1'], 'an encoded $ is the same parameter')
  for (const value of ['0', '5001', '1.5', 'abc', '-1', '', '1e3', '%2B1', '99999999999999999999']) {
    const res = await get(`${run}/logs?$top=${value}`)
    const details = assertError(t, res, 400, 'InvalidRequest')
    t.equal(details.parameter, '$top', `$top=${value}`)
  }
})

t.test('$top defaults to 1000', async (t) => {
  const run = '/v2/lm/executions/top-default'
  const first = NOW - 30n * MINUTE
  await ingest(run, Array.from({ length: 1001 }, (_, i) => ({ timestamp: rfc3339(first + BigInt(i) * 1000n), msg: `line ${i}` })))
  const all = await read(`${run}/logs`)
  t.equal(all.length, 1000)
  t.equal(all[0]?.msg, 'line 0')
  t.equal(all[999]?.msg, 'line 999')
  t.equal((await read(`${run}/logs?$top=1001`)).length, 1001)
  t.equal((await read(`${run}/logs?$order=desc`))[0]?.msg, 'line 1000', 'desc starts with the newest')
})

t.test('top and order without $ work as SAP\'s Python client sends them', async (t) => {
  const run = '/v2/lm/deployments/aliases-1'
  await ingest(run, [1, 2, 3].map((i) => ({ timestamp: rfc3339(NOW - BigInt(10 - i) * MINUTE), msg: `line ${i}` })))
  t.same(msgs(await read(`${run}/logs?top=2`)), ['line 1', 'line 2'])
  t.same(msgs(await read(`${run}/logs?order=desc`)), ['line 3', 'line 2', 'line 1'])
  t.same(msgs(await read(`${run}/logs?top=1&order=desc`)), ['line 3'])
  t.same(msgs(await read(`${run}/logs?$top=2&top=2`)), ['line 1', 'line 2'], 'both spellings with one value')
  t.same(msgs(await read(`${run}/logs?$order=desc&order=desc`)), ['line 3', 'line 2', 'line 1'])
  assertError(t, await get(`${run}/logs?top=0`), 400, 'InvalidRequest')
  assertError(t, await get(`${run}/logs?top=5001`), 400, 'InvalidRequest')
  assertError(t, await get(`${run}/logs?order=up`), 400, 'InvalidRequest')
})

t.test('both spellings with different values are a 400', async (t) => {
  const run = '/v2/lm/deployments/aliases-2'
  await ingest(run, [{ timestamp: rfc3339(NOW - MINUTE), msg: 'x' }])
  const top = await get(`${run}/logs?$top=1&top=2`)
  t.same(assertError(t, top, 400, 'InvalidRequest').parameters, ['$top', 'top'])
  const order = await get(`${run}/logs?$order=asc&order=desc`)
  t.same(assertError(t, order, 400, 'InvalidRequest').parameters, ['$order', 'order'])
})

t.test('$order=desc is the exact reverse of asc, and with $top=N gives the newest N', async (t) => {
  const run = '/v2/lm/executions/order-1'
  const base = NOW - 20n * MINUTE
  // Out of order within the batch, with shared timestamps and nanosecond steps.
  const offsets = [5n, 0n, 3n, 3n, 1n, 1000n, 999n, 3n, 7n * MINUTE, 1n]
  await ingest(run, offsets.map((ns, i) => ({ timestamp: rfc3339(base + ns), msg: `line ${i}` })))
  const asc = await read(`${run}/logs?start=${rfc3339(base)}&end=${rfc3339(NOW)}`)
  const desc = await read(`${run}/logs?start=${rfc3339(base)}&end=${rfc3339(NOW)}&$order=desc`)
  t.same(msgs(asc), ['line 1', 'line 4', 'line 9', 'line 2', 'line 3', 'line 7', 'line 0', 'line 6', 'line 5', 'line 8'])
  t.same(desc, [...asc].reverse())
  t.same(await read(`${run}/logs?start=${rfc3339(base)}&end=${rfc3339(NOW)}&$order=desc&$top=4`), desc.slice(0, 4))
  t.same(await read(`${run}/logs?start=${rfc3339(base)}&end=${rfc3339(NOW)}&$order=asc&$top=4`), asc.slice(0, 4))
  t.same(await read(`${run}/logs?start=${rfc3339(base)}&end=${rfc3339(NOW)}&$order=asc`), asc, 'asc is the default')
})

t.test('an $order other than asc or desc is a 400', async (t) => {
  const run = '/v2/lm/executions/order-2'
  await ingest(run, [{ timestamp: rfc3339(NOW - MINUTE), msg: 'x' }])
  for (const value of ['ASC', 'Desc', 'descending', '', 'newest']) {
    const details = assertError(t, await get(`${run}/logs?$order=${value}`), 400, 'InvalidRequest')
    t.equal(details.parameter, '$order', `$order=${value}`)
  }
})

t.test('lines sharing a timestamp come back in ingestion order, within and across batches; desc reverses them', async (t) => {
  const run = '/v2/lm/deployments/ties-1'
  const tie = rfc3339(NOW - 5n * MINUTE + 123_456_789n)
  const earlier = rfc3339(NOW - 6n * MINUTE)
  await ingest(run, ['a', 'b', 'c'].map((msg) => ({ timestamp: tie, msg })))
  await ingest(run, [{ timestamp: tie, msg: 'd' }, { timestamp: earlier, msg: 'earliest, ingested late' }, { timestamp: tie, msg: 'e' }])
  await ingest(run, [{ timestamp: tie, msg: 'f' }])
  t.same(msgs(await read(`${run}/logs`)), ['earliest, ingested late', 'a', 'b', 'c', 'd', 'e', 'f'])
  t.same(msgs(await read(`${run}/logs?$order=desc`)), ['f', 'e', 'd', 'c', 'b', 'a', 'earliest, ingested late'])
  t.same(msgs(await read(`${run}/logs?$order=desc&$top=2`)), ['f', 'e'])
  t.same(msgs(await read(`${run}/logs?$top=3`)), ['earliest, ingested late', 'a', 'b'])
})

t.test('an unknown query parameter is a 400 naming it', async (t) => {
  const run = '/v2/lm/deployments/unknown-1'
  await ingest(run, [{ timestamp: rfc3339(NOW - MINUTE), msg: 'x' }])
  const one = await get(`${run}/logs?limit=10`)
  t.same(assertError(t, one, 400, 'InvalidRequest').parameters, ['limit'])
  t.match(one.json().error.message, 'limit')
  const two = await get(`${run}/logs?$top=1&foo=1&bar`)
  t.same((assertError(t, two, 400, 'InvalidRequest').parameters as string[]).sort(), ['bar', 'foo'])
  t.same(assertError(t, await get(`${run}/logs?$skip=1`), 400, 'InvalidRequest').parameters, ['$skip'])
  t.same(assertError(t, await get(`${run}/logs?Start=${rfc3339(NOW - MINUTE)}`), 400, 'InvalidRequest').parameters, ['Start'], 'names are case-sensitive')
})

t.test('a repeated query parameter is a 400', async (t) => {
  const run = '/v2/lm/deployments/repeated-1'
  await ingest(run, [{ timestamp: rfc3339(NOW - MINUTE), msg: 'x' }])
  const cases: Array<[string, string]> = [
    ['$top=1&$top=2', '$top'],
    ['$top=1&$top=1', '$top'],
    ['$order=asc&$order=desc', '$order'],
    [`start=${rfc3339(NOW - 2n * MINUTE)}&start=${rfc3339(NOW - 3n * MINUTE)}`, 'start'],
    [`end=${rfc3339(NOW)}&end=${rfc3339(NOW)}`, 'end']
  ]
  for (const [query, name] of cases) {
    const res = await get(`${run}/logs?${query}`)
    t.equal(assertError(t, res, 400, 'InvalidRequest').parameter, name, query)
    t.match(res.json().error.message, name)
  }
})

t.test('a run id is 4 to 64 letters, digits, underscores, dots or dashes', async (t) => {
  for (const kind of ['deployments', 'executions']) {
    for (const id of ['abcd', 'a'.repeat(64), 'A.b_c-9', '....', '0000']) {
      await ingest(`/v2/lm/${kind}/${id}`, [{ timestamp: rfc3339(NOW - MINUTE), msg: id }])
      t.same(msgs(await read(`/v2/lm/${kind}/${id}/logs`)), [id], `${kind} ${id}`)
    }
    for (const id of ['abc', 'a'.repeat(65), 'ab%20cd', 'ab%2Bcd', 'ab:cd', '%C3%A9t%C3%A9', 'caf%C3%A9', 'ab%00cd']) {
      const res = await get(`/v2/lm/${kind}/${id}/logs`)
      const details = assertError(t, res, 400, 'InvalidRequest')
      t.equal(details.parameter, kind === 'deployments' ? 'deploymentId' : 'executionId', `${kind} ${id}`)
    }
    for (const id of ['ab%2Fcd', 'ab%2fcd', 'ab%5Ccd']) {
      const res = await get(`/v2/lm/${kind}/${id}/logs`)
      t.ok(res.statusCode >= 400 && res.statusCode < 500, `${kind} ${id}: ${res.statusCode}`)
      assertError(t, res, res.statusCode, res.statusCode === 404 ? 'NotFound' : 'InvalidRequest')
    }
  }
})

t.test('timestamps come back in UTC with +00:00 and the fewest of 3, 6 or 9 digits that state them exactly', async (t) => {
  const run = '/v2/lm/executions/format-1'
  const cases: Array<[string, string]> = [
    ['2025-03-10T11:00:00Z', '2025-03-10T11:00:00.000+00:00'],
    ['2025-03-10T11:00:01.1Z', '2025-03-10T11:00:01.100+00:00'],
    ['2025-03-10T11:00:02.12Z', '2025-03-10T11:00:02.120+00:00'],
    ['2025-03-10T11:00:03.123Z', '2025-03-10T11:00:03.123+00:00'],
    ['2025-03-10T11:00:04.1234Z', '2025-03-10T11:00:04.123400+00:00'],
    ['2025-03-10T11:00:05.123456Z', '2025-03-10T11:00:05.123456+00:00'],
    ['2025-03-10T11:00:06.1234567Z', '2025-03-10T11:00:06.123456700+00:00'],
    ['2025-03-10T11:00:07.123456789Z', '2025-03-10T11:00:07.123456789+00:00'],
    ['2025-03-10T11:00:08.120000000Z', '2025-03-10T11:00:08.120+00:00'],
    ['2025-03-10T11:00:09.000001Z', '2025-03-10T11:00:09.000001+00:00'],
    ['2025-03-10T11:00:10.000000001Z', '2025-03-10T11:00:10.000000001+00:00'],
    ['2025-03-10T11:00:11.999999999Z', '2025-03-10T11:00:11.999999999+00:00'],
    ['2025-03-10T11:00:12.100000Z', '2025-03-10T11:00:12.100+00:00'],
    ['2025-03-10T11:00:13.000100000Z', '2025-03-10T11:00:13.000100+00:00'],
    ['2025-03-10T16:30:14.5+05:30', '2025-03-10T11:00:14.500+00:00'],
    ['2025-03-10T06:00:15.000000001-05:00', '2025-03-10T11:00:15.000000001+00:00'],
    ['2025-03-10T11:00:16+00:00', '2025-03-10T11:00:16.000+00:00'],
    ['2025-03-10t11:00:17.25z', '2025-03-10T11:00:17.250+00:00'],
    ['2025-03-09T23:30:18.123456-01:00', '2025-03-10T00:30:18.123456+00:00'],
    ['2025-03-10T01:00:19.999+02:00', '2025-03-09T23:00:19.999+00:00']
  ]
  await ingest(run, cases.map(([timestamp]) => ({ timestamp, msg: timestamp })))
  const items = await read(`${run}/logs?start=2025-03-09T00:00:00Z&end=2025-03-11T00:00:00Z`)
  const got = new Map(items.map((i) => [i.msg, i.timestamp]))
  for (const [input, output] of cases) t.equal(got.get(input), output, input)
})

t.test('nanoseconds round-trip: what is read can be written back and reads the same', async (t) => {
  const source = '/v2/lm/deployments/roundtrip-1'
  const copy = '/v2/lm/executions/roundtrip-2'
  const base = NOW - 15n * MINUTE
  await ingest(source, [1n, 999n, 1000n, 123_456_789n, 999_999_999n, 1_000_000_001n].map((ns) => ({ timestamp: rfc3339(base + ns), msg: String(ns) })))
  const first = await get(`${source}/logs`)
  const written = await app.inject({ method: 'POST', url: `${copy}/logs`, headers: { ...headers, 'content-type': 'application/json' }, payload: first.body })
  t.equal(written.statusCode, 200, written.body)
  const again = await get(`${copy}/logs`)
  t.equal(again.body, first.body, 'the same bytes')
  t.same((first.json() as { data: { result: LogItem[] } }).data.result.map((i) => i.timestamp), [
    '2025-03-10T11:45:00.000000001+00:00',
    '2025-03-10T11:45:00.000000999+00:00',
    '2025-03-10T11:45:00.000001+00:00',
    '2025-03-10T11:45:00.123456789+00:00',
    '2025-03-10T11:45:00.999999999+00:00',
    '2025-03-10T11:45:01.000000001+00:00'
  ])
})

t.test('every result item has exactly container, msg, pod, stream and timestamp, all strings', async (t) => {
  const run = '/v2/lm/deployments/shape-1'
  const tricky = 'tab\there, newline\nhere, cr\r, backslash \\ and \\N, quote " and \' , unicode é ✓ 🚀, \u2028, <b>'
  await ingest(run, [
    { timestamp: rfc3339(NOW - 3n * MINUTE), msg: 'bare' },
    { timestamp: rfc3339(NOW - 2n * MINUTE), msg: 'full', container: 'main', pod: 'pod-1', stream: 'stderr' },
    { timestamp: rfc3339(NOW - MINUTE), msg: tricky, container: '\\N', pod: 'p\tq', stream: 'stdout' },
    { timestamp: rfc3339(NOW - MINUTE + 1n), msg: '' }
  ])
  const res = await get(`${run}/logs`)
  t.equal(res.statusCode, 200)
  const body = res.json() as { data: { result: Array<Record<string, unknown>> } }
  t.same(Object.keys(body), ['data'])
  t.same(Object.keys(body.data), ['result'])
  for (const item of body.data.result) {
    t.same(Object.keys(item).sort(), ['container', 'msg', 'pod', 'stream', 'timestamp'])
    for (const value of Object.values(item)) t.type(value, 'string')
  }
  const [bare, full, special, empty] = body.data.result
  t.same(bare, { container: '', msg: 'bare', pod: '', stream: '', timestamp: '2025-03-10T11:57:00.000+00:00' })
  t.same(full, { container: 'main', msg: 'full', pod: 'pod-1', stream: 'stderr', timestamp: '2025-03-10T11:58:00.000+00:00' })
  t.same(special, { container: '\\N', msg: tricky, pod: 'p\tq', stream: 'stdout', timestamp: '2025-03-10T11:59:00.000+00:00' })
  t.same(empty, { container: '', msg: '', pod: '', stream: '', timestamp: '2025-03-10T11:59:00.000000001+00:00' })
})

t.test('a run never seen in the group is a 404; a known run with nothing in range is a 200 with no lines', async (t) => {
  const run = '/v2/lm/deployments/known-1'
  await ingest(run, [{ timestamp: rfc3339(NOW - 3n * 60n * MINUTE), msg: 'three hours ago' }])
  const empty = await get(`${run}/logs`)
  t.equal(empty.statusCode, 200)
  t.same(empty.json(), { data: { result: [] } })
  const emptyRange = await get(`${run}/logs?start=${rfc3339(NOW - 2n * MINUTE)}&end=${rfc3339(NOW - 2n * MINUTE)}`)
  t.same(emptyRange.json(), { data: { result: [] } })

  const never = await get('/v2/lm/deployments/never-seen/logs')
  const details = assertError(t, never, 404, 'NotFound')
  t.same(details, { deploymentId: 'never-seen' })
  const neverExecution = await get('/v2/lm/executions/never-seen/logs?start=2025-03-01T00:00:00Z')
  t.same(assertError(t, neverExecution, 404, 'NotFound'), { executionId: 'never-seen' })
})

t.test('a deployment and an execution with the same id are separate runs', async (t) => {
  await ingest('/v2/lm/deployments/same-id', [{ timestamp: rfc3339(NOW - MINUTE), msg: 'deployment line' }])
  assertError(t, await get('/v2/lm/executions/same-id/logs'), 404, 'NotFound')
  await ingest('/v2/lm/executions/same-id', [{ timestamp: rfc3339(NOW - 2n * MINUTE), msg: 'execution line' }])
  t.same(msgs(await read('/v2/lm/deployments/same-id/logs')), ['deployment line'])
  t.same(msgs(await read('/v2/lm/executions/same-id/logs')), ['execution line'])
})

t.test('a run known only in another resource group is a 404 in this one', async (t) => {
  await ingest('/v2/lm/deployments/grouped-1', [{ timestamp: rfc3339(NOW - MINUTE), msg: 'in team-a' }], 'team-a')
  t.equal((await get('/v2/lm/deployments/grouped-1/logs', 'team-a')).statusCode, 200)
  assertError(t, await get('/v2/lm/deployments/grouped-1/logs', 'team-b'), 404, 'NotFound')
  assertError(t, await get('/v2/lm/deployments/grouped-1/logs'), 404, 'NotFound')
})

t.test('a response carries X-Request-Id and a JSON content type', async (t) => {
  const run = '/v2/lm/deployments/headers-1'
  await ingest(run, [{ timestamp: rfc3339(NOW - MINUTE), msg: 'x' }])
  for (const url of [`${run}/logs`, `${run}/logs?$top=0`, '/v2/lm/deployments/headers-2/logs']) {
    const res = await get(url)
    t.type(res.headers['x-request-id'], 'string', url)
    t.ok(String(res.headers['x-request-id']).length > 0)
    t.match(res.headers['content-type'], /^application\/json\b/, url)
    t.doesNotThrow(() => res.json(), 'the body is JSON')
  }
  const traced = await app.inject({ method: 'GET', url: `${run}/logs?$top=0`, headers: { ...headers, 'x-request-id': 'trace-1234' } })
  t.equal(traced.headers['x-request-id'], 'trace-1234', 'a sane incoming X-Request-Id is kept')
  t.equal(traced.json().error.requestId, 'trace-1234')
})

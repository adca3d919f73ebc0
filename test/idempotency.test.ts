// Idempotency-Key on every ingest endpoint: a retry is stored once and answered like the first time; the
// same key with another body is a 409; keys are kept IDEMPOTENCY_TTL_HOURS, in the lines' transaction.
import { readFileSync } from 'node:fs'
import { gzipSync } from 'node:zlib'
import type { InjectOptions, LightMyRequestResponse } from 'fastify'
import pg from 'pg'
import t from 'tap'
import { NS_PER_SECOND, parseRfc3339, type Instant } from '../src/time.js'
import { authHeaders, buildTestApp, type TokenClaims } from './helpers/app.js'
import { ALLOW_TRIGGERS } from './helpers/citus.js'
import { expectError } from './helpers/errors.js'

type Test = Parameters<Parameters<typeof t.test>[0]>[0]

const START: Instant = parseRfc3339('2024-06-15T12:00:00Z')
const HOUR = 3600n * NS_PER_SECOND
const fixture = (name: string): Buffer => readFileSync(new URL(`fixtures/${name}`, import.meta.url))
const JSON_TYPE = { 'content-type': 'application/json' }

async function service (t: Test, opts: { env?: Record<string, string> } = {}) {
  let now = START
  const { app, databaseUrl } = await buildTestApp(t, { now: () => now, env: opts.env })
  const post = async (url: string, payload: InjectOptions['payload'], extra: Record<string, string> = {}, claims?: TokenClaims): Promise<LightMyRequestResponse> =>
    await app.inject({ method: 'POST', url, headers: { ...(await authHeaders(claims)), ...JSON_TYPE, ...extra }, payload })
  /** Runs the statements in one session; resolves to the last one's first row. */
  const query = async <T>(...statements: string[]): Promise<T> => {
    const client = new pg.Client({ connectionString: databaseUrl })
    await client.connect()
    try {
      let rows: unknown[] = []
      for (const sql of statements) rows = (await client.query(sql)).rows
      return rows[0] as T
    } finally {
      await client.end()
    }
  }
  const lines = async (): Promise<number> => (await query<{ n: number }>('SELECT coalesce(sum(line_count), 0)::int AS n FROM log_blocks')).n
  const keys = async (): Promise<number> => (await query<{ n: number }>('SELECT count(*)::int AS n FROM idempotency_keys')).n
  return { app, post, query, lines, keys, advance: (by: Instant) => { now += by } }
}

const nativeBody = (msg: string): string => JSON.stringify([{ timestamp: '2024-06-15T11:59:00.123456789Z', msg }, { timestamp: '2024-06-15T11:59:01Z', msg: `${msg} again` }])

// Every ingest endpoint and format, with a body and another body.
const ENDPOINTS: Array<{ name: string, url: string, headers: Record<string, string>, body: Buffer | string, other: Buffer | string, lines: number }> = [
  { name: 'native JSON', url: '/v2/lm/deployments/d-idem01/logs', headers: JSON_TYPE, body: nativeBody('a'), other: nativeBody('b'), lines: 2 },
  {
    name: 'native NDJSON, gzip',
    url: '/v2/lm/executions/e-idem01/logs',
    headers: { 'content-type': 'application/x-ndjson', 'content-encoding': 'gzip' },
    body: gzipSync('{"timestamp":"2024-06-15T11:59:00Z","msg":"n"}\n'),
    other: gzipSync('{"timestamp":"2024-06-15T11:59:00Z","msg":"m"}\n'),
    lines: 1
  },
  { name: 'Fluent Bit json', url: '/v2/lm/logs', headers: JSON_TYPE, body: fixture('fluent-bit-json.json'), other: fixture('vector-json.json'), lines: 3 },
  { name: 'Vector ndjson', url: '/v2/lm/logs', headers: { 'content-type': 'application/x-ndjson' }, body: fixture('vector-ndjson.ndjson'), other: fixture('fluent-bit-json-lines.ndjson'), lines: 3 },
  { name: 'Loki JSON', url: '/loki/api/v1/push', headers: JSON_TYPE, body: fixture('loki-push.json'), other: '{"streams":[]}', lines: 4 },
  { name: 'Loki protobuf', url: '/loki/api/v1/push', headers: { 'content-type': 'application/x-protobuf' }, body: fixture('loki-push.pb.snappy'), other: Buffer.from([0]), lines: 4 }
]

for (const e of ENDPOINTS) {
  t.test(`${e.name}: a retry with the same key, sent twice in a row, is stored once and answered the same`, async (t) => {
    const s = await service(t)
    const key = { 'idempotency-key': 'batch-0001' }
    const first = await s.post(e.url, e.body, { ...e.headers, ...key })
    t.equal(first.statusCode, 200, first.body)
    t.equal(first.headers['idempotent-replayed'], undefined)
    const second = await s.post(e.url, e.body, { ...e.headers, ...key })
    t.equal(second.statusCode, first.statusCode)
    t.equal(second.body, first.body, 'the first answer, byte for byte')
    t.equal(second.headers['idempotent-replayed'], 'true')
    t.match(second.headers['content-type'], /^application\/json/)
    t.equal(await s.lines(), e.lines, 'stored once')
  })

  t.test(`${e.name}: the same key sent twice concurrently is stored once`, async (t) => {
    const s = await service(t)
    const key = { 'idempotency-key': 'batch-concurrent' }
    const answers = await Promise.all(Array.from({ length: 6 }, async () => await s.post(e.url, e.body, { ...e.headers, ...key })))
    t.same(answers.map((r) => r.statusCode), answers.map(() => 200), answers.map((r) => r.body).join('\n'))
    t.same(new Set(answers.map((r) => r.body)).size, 1, 'one answer for all')
    t.equal(answers.filter((r) => r.headers['idempotent-replayed'] === 'true').length, 5, 'five of them replayed')
    t.equal(await s.lines(), e.lines, 'stored once')
    t.equal(await s.keys(), 1)
  })

  t.test(`${e.name}: the same key with a changed body is a 409 Conflict, and nothing more is stored`, async (t) => {
    const s = await service(t)
    const key = { 'idempotency-key': 'batch-0002' }
    t.equal((await s.post(e.url, e.body, { ...e.headers, ...key })).statusCode, 200)
    const res = await s.post(e.url, e.other, { ...e.headers, ...key })
    expectError(t, res, 409, 'Conflict', res.body)
    t.strictSame(res.json().error.details, { header: 'Idempotency-Key' })
    t.equal(await s.lines(), e.lines)
  })
}

t.test('the same key on another endpoint is another request: a 409', async (t) => {
  const s = await service(t)
  const key = { 'idempotency-key': 'shared' }
  t.equal((await s.post('/v2/lm/deployments/d-idem01/logs', nativeBody('a'), key)).statusCode, 200)
  t.equal((await s.post('/v2/lm/deployments/d-idem02/logs', nativeBody('a'), key)).statusCode, 409)
})

t.test('keys never meet across resource groups or token subjects', async (t) => {
  const s = await service(t)
  const key = { 'idempotency-key': 'same-key' }
  const url = '/v2/lm/deployments/d-idem01/logs'
  t.equal((await s.post(url, nativeBody('a'), { ...key, 'ai-resource-group': 'team-a' })).statusCode, 200)
  const otherGroup = await s.post(url, nativeBody('b'), { ...key, 'ai-resource-group': 'team-b' })
  t.equal(otherGroup.statusCode, 200, 'another group: a new key')
  t.equal(otherGroup.headers['idempotent-replayed'], undefined)
  const otherSubject = await s.post(url, nativeBody('c'), { ...key, 'ai-resource-group': 'team-a' }, { subject: 'someone-else' })
  t.equal(otherSubject.statusCode, 200, 'another subject: a new key')
  t.equal(await s.lines(), 6)
})

t.test('without a key, a retry is stored twice (the key is what makes it safe)', async (t) => {
  const s = await service(t)
  await s.post('/v2/lm/deployments/d-idem01/logs', nativeBody('a'))
  await s.post('/v2/lm/deployments/d-idem01/logs', nativeBody('a'))
  t.equal(await s.lines(), 4)
  t.equal(await s.keys(), 0)
})

t.test('?dedupe=body: without a header, the body\'s hash is the key (for Fluent Bit)', async (t) => {
  const s = await service(t)
  const url = '/v2/lm/logs?dedupe=body'
  const first = await s.post(url, fixture('fluent-bit-json.json'))
  const retry = await s.post(url, fixture('fluent-bit-json.json'))
  t.equal(retry.headers['idempotent-replayed'], 'true')
  t.equal(retry.body, first.body)
  t.equal((await s.post(url, fixture('vector-json.json'))).headers['idempotent-replayed'], undefined, 'another body is another batch')
  t.equal(await s.lines(), 6)
})

t.test('keys are kept IDEMPOTENCY_TTL_HOURS: later the same key is a new request', async (t) => {
  const s = await service(t, { env: { IDEMPOTENCY_TTL_HOURS: '2' } })
  const key = { 'idempotency-key': 'expiring' }
  const url = '/v2/lm/deployments/d-idem01/logs'
  await s.post(url, nativeBody('a'), key)
  s.advance(2n * HOUR - 1n)
  t.equal((await s.post(url, nativeBody('a'), key)).headers['idempotent-replayed'], 'true', 'still within the TTL')
  s.advance(1n)
  const after = await s.post(url, nativeBody('b'), key)
  t.equal(after.statusCode, 200, 'expired: the key is free again, even for another body')
  t.equal(after.headers['idempotent-replayed'], undefined)
  t.equal(await s.lines(), 4)
})

t.test('upkeep deletes expired keys', async (t) => {
  const s = await service(t, { env: { IDEMPOTENCY_TTL_HOURS: '1', MAINTENANCE_INTERVAL_SECONDS: '1' } })
  await s.post('/v2/lm/deployments/d-idem01/logs', nativeBody('a'), { 'idempotency-key': 'old' })
  s.advance(HOUR + 1n)
  await s.post('/v2/lm/deployments/d-idem01/logs', nativeBody('b'), { 'idempotency-key': 'new' })
  t.equal(await s.keys(), 2)
  await new Promise((resolve) => setTimeout(resolve, 1500)) // the upkeep timer (1 s here)
  t.equal(await s.keys(), 1, 'only the live key is left')
})

t.test('a first attempt that fails and rolls back leaves no key: the retry is stored', async (t) => {
  const s = await service(t)
  // The database refuses this run once (a trigger: the failure is the database's, not ours to fake).
  await s.query(`CREATE FUNCTION refuse_once() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN IF NEW.run_id = 'd-fail01' THEN RAISE EXCEPTION 'refused'; END IF; RETURN NEW; END $$`)
  await s.query(...ALLOW_TRIGGERS, 'CREATE TRIGGER refuse_once BEFORE INSERT ON runs FOR EACH ROW EXECUTE FUNCTION refuse_once()')
  const key = { 'idempotency-key': 'after-failure' }
  const failed = await s.post('/v2/lm/deployments/d-fail01/logs', nativeBody('a'), key)
  t.equal(failed.statusCode, 500, failed.body)
  t.equal(await s.keys(), 0, 'no key left behind')
  await s.query(...ALLOW_TRIGGERS, 'DROP TRIGGER refuse_once ON runs')
  const retry = await s.post('/v2/lm/deployments/d-fail01/logs', nativeBody('a'), key)
  t.equal(retry.statusCode, 200, retry.body)
  t.equal(retry.headers['idempotent-replayed'], undefined)
  t.equal(await s.lines(), 2)
})

t.test('a rejected batch (400) records no key', async (t) => {
  const s = await service(t)
  const key = { 'idempotency-key': 'bad-then-good' }
  t.equal((await s.post('/v2/lm/deployments/d-idem01/logs', '[{"msg":"no time"}]', key)).statusCode, 400)
  t.equal((await s.post('/v2/lm/deployments/d-idem01/logs', nativeBody('a'), key)).headers['idempotent-replayed'], undefined)
  t.equal(await s.lines(), 2)
})

t.test('a malformed Idempotency-Key is a 400 naming the header', async (t) => {
  const s = await service(t)
  for (const bad of ['', 'has space', 'x'.repeat(256), 'ünïcode']) {
    const res = await s.app.inject({
      method: 'POST',
      url: '/v2/lm/deployments/d-idem01/logs',
      headers: { ...(await authHeaders()), ...JSON_TYPE, 'idempotency-key': Buffer.from(bad).toString('latin1') },
      payload: nativeBody('a')
    })
    t.equal(res.statusCode, 400, `${JSON.stringify(bad)}: ${res.body}`)
    t.strictSame(res.json().error.details, { header: 'Idempotency-Key' })
  }
  t.equal(await s.lines(), 0)
})

t.test('the request is compared decoded: a retry gzipped where the first was not is the same request', async (t) => {
  const s = await service(t)
  const key = { 'idempotency-key': 'encoding' }
  const first = await s.post('/v2/lm/logs', fixture('vector-json.json'), key)
  const retry = await s.post('/v2/lm/logs', gzipSync(fixture('vector-json.json')), { ...key, 'content-encoding': 'gzip' })
  t.equal(retry.headers['idempotent-replayed'], 'true')
  t.equal(retry.body, first.body)
  t.equal(await s.lines(), 3)
})

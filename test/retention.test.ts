// Retention (contract: LOG_RETENTION_DAYS; docs/scaling.md): daily partitions are made ahead, and a day past
// retention is dropped whole, never deleted row by row; runs left with no line are forgotten, the others'
// counts and first lines follow what is left.
import pg from 'pg'
import t from 'tap'
import { Partitions } from '../src/store/partitions.js'
import { fromMillis } from '../src/time.js'
import { authHeaders, buildTestApp } from './helpers/app.js'
import { ALLOW_TRIGGERS } from './helpers/citus.js'
import { expectError } from './helpers/errors.js'

const DAY = 86_400_000
const T0 = Date.parse('2026-03-20T12:00:00Z')
const dayOf = (ms: number): string => new Date(ms).toISOString().slice(0, 10)
const partitionOf = (ms: number): string => `log_blocks_${dayOf(ms).replaceAll('-', '')}`

async function withClient<T> (url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try { return await fn(client) } finally { await client.end() }
}

let nowMs = T0
const { app, config, databaseUrl } = await buildTestApp(t, {
  now: () => fromMillis(nowMs),
  env: { LOG_RETENTION_DAYS: '30', PARTITIONS_AHEAD_DAYS: '3' }
})
const headers = await authHeaders()

async function post (id: string, lines: Array<[number, string]>): Promise<void> {
  const payload = lines.map(([ms, msg]) => ({ timestamp: new Date(ms).toISOString().replace('Z', '123Z'), msg }))
  const res = await app.inject({ method: 'POST', url: `/v2/lm/deployments/${id}/logs`, headers, payload })
  if (res.statusCode !== 200) throw new Error(`ingest failed: ${res.statusCode} ${res.body}`)
}

const partitions = async (): Promise<string[]> => await withClient(databaseUrl, async (c) => (await c.query<{ relname: string }>(
  "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'log_blocks'::regclass ORDER BY 1")).rows.map((r) => r.relname))

interface RunRow { run_id: string, line_count: string, first_ts: string, first_ns: number, last_ts: string, next_seq: string }
const runs = async (): Promise<Record<string, RunRow>> => await withClient(databaseUrl, async (c) => Object.fromEntries((await c.query<RunRow>(
  "SELECT run_id, line_count, to_char(first_ts AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US') AS first_ts, first_ns, to_char(last_ts AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US') AS last_ts, next_seq FROM runs")).rows
  .map((r) => [r.run_id, r])))

const msgs = async (id: string): Promise<string[]> => {
  const res = await app.inject({ url: `/v2/lm/deployments/${id}/logs?start=${new Date(T0 - 40 * DAY).toISOString()}&end=${new Date(nowMs).toISOString()}`, headers })
  return res.json<{ data: { result: Array<{ msg: string }> } }>().data.result.map((l) => l.msg)
}

// Days before T0: 25 and 24 are past retention once the clock moves 10 days on; 15, 1 and 0 are kept.
const d = (days: number, hours = 0): number => T0 - days * DAY + hours * 3_600_000
await post('only-expired', [[d(25), 'a'], [d(24), 'b']])
await post('spanning', [[d(25), 'gone 1'], [d(25, 1), 'gone 2'], [d(24), 'gone 3'], [d(15, 2), 'kept 1'], [d(15, 3), 'kept 2'], [d(1), 'kept 3']])
await post('recent', [[d(1), 'x'], [d(0), 'y']])

t.test('partitions are made ahead: today and PARTITIONS_AHEAD_DAYS more, at start and at each upkeep', async (t) => {
  const made = await partitions()
  for (let i = 0; i <= 3; i++) t.ok(made.includes(partitionOf(T0 + i * DAY)), `${partitionOf(T0 + i * DAY)} exists`)
  t.notOk(made.includes(partitionOf(T0 + 4 * DAY)), 'and no further')
})

t.test('a day past LOG_RETENTION_DAYS is dropped whole, once, with its runs\' counts, never deleted row by row', async (t) => {
  // Any DELETE of a block fails: retention must not issue one. (Row triggers reach every partition, even future ones.)
  await withClient(databaseUrl, async (c) => {
    await c.query(`CREATE FUNCTION refuse_line_delete() RETURNS trigger LANGUAGE plpgsql AS
      $$ BEGIN RAISE EXCEPTION 'a line was deleted row by row'; END $$`)
    // On Citus it is made on every shard of every partition (ALLOW_TRIGGERS says why it needs a setting there).
    for (const sql of ALLOW_TRIGGERS) await c.query(sql)
    await c.query('CREATE TRIGGER no_line_delete BEFORE DELETE ON log_blocks FOR EACH ROW EXECUTE FUNCTION refuse_line_delete()')
  })
  t.teardown(async () => {
    await withClient(databaseUrl, async (c) => {
      for (const sql of ALLOW_TRIGGERS) await c.query(sql)
      await c.query('DROP TRIGGER no_line_delete ON log_blocks')
    })
  })
  const before = await runs()
  const rowsBefore = await withClient(databaseUrl, async (c) => Number((await c.query<{ n: string }>('SELECT sum(line_count) AS n FROM log_blocks')).rows[0]?.n))

  nowMs = T0 + 10 * DAY
  // Two replicas' upkeep at once: each day is dropped by one of them and counted once.
  const another = new Partitions(app.pools.get('primary') as pg.Pool)
  const results = await Promise.all([
    app.partitions.maintain(nowMs, config.partitionsAheadDays, config.retentionDays),
    another.maintain(nowMs, config.partitionsAheadDays, config.retentionDays)
  ])
  t.same(results.flatMap((r) => r.dropped).sort(), [partitionOf(d(25)), partitionOf(d(24))], 'the two expired days, each dropped once')

  const left = await partitions()
  t.notOk(left.includes(partitionOf(d(25))) || left.includes(partitionOf(d(24))), 'their partitions are gone')
  const gone = await withClient(databaseUrl, async (c) => (await c.query<{ r: string | null }>('SELECT to_regclass($1)::text AS r', [partitionOf(d(25))])).rows[0]?.r)
  t.equal(gone, null, 'the relation itself, not only its rows')
  t.ok(left.includes(partitionOf(d(15))), 'a day inside retention stays')
  for (let i = 0; i <= 3; i++) t.ok(left.includes(partitionOf(nowMs + i * DAY)), `made ahead from the new day: ${partitionOf(nowMs + i * DAY)}`)
  const rowsAfter = await withClient(databaseUrl, async (c) => Number((await c.query<{ n: string }>('SELECT sum(line_count) AS n FROM log_blocks')).rows[0]?.n))
  t.equal(rowsAfter, rowsBefore - 5, 'the five lines of the two days went with them')

  const after = await runs()
  t.notOk('only-expired' in after, 'a run with no line left is forgotten')
  expectError(t, await app.inject({ url: '/v2/lm/deployments/only-expired/logs', headers }), 404, 'NotFound')
  const spanning = after.spanning as RunRow
  t.equal(spanning.line_count, '3', 'the spanning run counts the lines it has left')
  t.same([spanning.first_ts, spanning.first_ns], [new Date(d(15, 2)).toISOString().slice(0, 23) + '123', 0], 'and starts at its first line left')
  t.equal(spanning.last_ts, before.spanning?.last_ts, 'its last line is unchanged')
  t.equal(spanning.next_seq, before.spanning?.next_seq, 'its sequence goes on where it was')
  t.same(await msgs('spanning'), ['kept 1', 'kept 2', 'kept 3'])
  t.same(after.recent, before.recent, 'a run with nothing past retention is untouched')

  await post('spanning', [[nowMs - 1000, 'kept 4']])
  t.same(await msgs('spanning'), ['kept 1', 'kept 2', 'kept 3', 'kept 4'], 'the run takes new lines after the drop')
  t.equal((await runs()).spanning?.line_count, '4')
})

t.test('LOG_RETENTION_DAYS=0 keeps every partition', async (t) => {
  const before = await partitions()
  const { dropped } = await app.partitions.maintain(nowMs + 3650 * DAY, 1, 0)
  t.same(dropped, [])
  const after = await partitions()
  t.ok(before.every((name) => after.includes(name)), 'nothing dropped, whatever the clock says')
})

t.test('LOG_RETENTION_DAYS_BY_GROUP: a group kept shorter loses whole blocks of its expired days; one kept longer keeps its partitions', async (t) => {
  const now = T0
  const { app: grouped, config: groupedConfig, databaseUrl: url } = await buildTestApp(t, {
    now: () => fromMillis(now),
    env: { LOG_RETENTION_DAYS: '30', LOG_RETENTION_DAYS_BY_GROUP: 'short=5,long=365', PARTITIONS_AHEAD_DAYS: '1' }
  })
  const write = async (group: string, id: string, lines: Array<[number, string]>): Promise<number> => (await grouped.inject({
    method: 'POST',
    url: `/v2/lm/deployments/${id}/logs`,
    headers: await authHeaders({}, group),
    payload: lines.map(([ms, msg]) => ({ timestamp: new Date(ms).toISOString(), msg }))
  })).statusCode
  t.equal(await write('short', 'short-run', [[d(10), 'too old for short']]), 400, 'a short-kept group refuses lines past its own retention')
  t.equal(await write('long', 'long-run', [[d(100), 'old but kept']]), 200, 'a long-kept group takes lines past LOG_RETENTION_DAYS')
  t.equal(await write('short', 'short-run', [[d(4), 'short kept'], [d(1), 'short recent']]), 200)
  t.equal(await write('default', 'default-run', [[d(20), 'default kept']]), 200)

  const read = async (group: string, id: string): Promise<string[]> => (await grouped.inject({
    url: `/v2/lm/deployments/${id}/logs?start=${new Date(T0 - 200 * DAY).toISOString()}&end=${new Date(T0 + DAY).toISOString()}`, headers: await authHeaders({}, group)
  })).json<{ data: { result: Array<{ msg: string }> } }>().data.result.map((l) => l.msg)
  // Three days on: short's line of day -4 is now 7 days old, past its 5.
  const later = T0 + 3 * DAY
  const { dropped, groupLines } = await grouped.partitions.maintain(later, groupedConfig.partitionsAheadDays, groupedConfig.retentionDays, groupedConfig.retentionDaysByGroup)
  t.equal(groupLines, 1, 'one line of the short-kept group went, with its block')
  t.same(dropped, [], 'no partition goes while a group keeps its days for a year')
  t.same(await read('short', 'short-run'), ['short recent'])
  t.same(await read('long', 'long-run'), ['old but kept'])
  t.same(await read('default', 'default-run'), ['default kept'])
  const { rows } = await withClient(url, async (c) => await c.query<{ line_count: string }>("SELECT line_count FROM runs WHERE run_id = 'short-run'"))
  t.equal(rows[0]?.line_count, '1', 'the run counts what it has left')
})

// The store under the API: the plan that serves reads, partitions made on demand, ingestion order
// (retention, which drops them whole: retention.test.ts).
import pg from 'pg'
import t from 'tap'
import type { LogRange } from '../src/model.js'
import { rangeBounds } from '../src/store/block-position.js'
import { blockPage } from '../src/store/block-read.js'
import { migrate } from '../src/store/migrate.js'
import { fromMillis } from '../src/time.js'
import { authHeaders, buildTestApp } from './helpers/app.js'
import { onCitus } from './helpers/citus.js'
import { createEmptyDatabase } from './helpers/database.js'

const DAY = 86_400_000
const NOW = Date.parse('2026-06-15T12:00:00Z')
const clock = (): bigint => fromMillis(NOW)

interface PlanNode {
  'Node Type': string
  'Index Name'?: string
  'Relation Name'?: string
  'Scan Direction'?: string
  'Actual Rows'?: number
  Plans?: PlanNode[]
  // Citus: the coordinator's Custom Scan carries the tasks and each task's plan on its worker.
  'Distributed Query'?: { Job: { 'Task Count': number, Tasks: Array<{ 'Remote Plan': Array<Array<{ Plan: PlanNode }>> }> } }
}
const remotePlans = (n: PlanNode): PlanNode[] => (n['Distributed Query']?.Job.Tasks ?? []).flatMap((task) => task['Remote Plan'].flat().map((p) => p.Plan))
const nodes = (n: PlanNode): PlanNode[] => [n, ...(n.Plans ?? []).flatMap(nodes), ...remotePlans(n).flatMap(nodes)]
// A shard's index is named after the partition's with the shard id appended (log_blocks_20260613_pkey_102008).
const PRIMARY_KEY_INDEX = onCitus ? /_pkey_\d+$/ : /_pkey$/

async function withClient<T> (url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try { return await fn(client) } finally { await client.end() }
}

async function post (app: Awaited<ReturnType<typeof buildTestApp>>['app'], id: string, lines: unknown[], group?: string): Promise<void> {
  const res = await app.inject({ method: 'POST', url: `/v2/lm/deployments/${id}/logs`, headers: await authHeaders({}, group), payload: lines })
  if (res.statusCode !== 200) throw new Error(res.body)
}

t.test('the blocks of a run in a range come from an ordered index walk, in both orders, with no sort', async (t) => {
  const { app, databaseUrl } = await buildTestApp(t, { now: clock })
  // 3 runs, 6,000 lines each, over two days (two partitions), as written by the service.
  for (const run of ['run-a', 'run-b', 'run-c']) {
    for (let b = 0; b < 6; b++) {
      await post(app, run, Array.from({ length: 1000 }, (_, i) => ({
        timestamp: new Date(NOW - 2 * DAY + (b * 1000 + i) * 20_000).toISOString(), msg: `m${i}`
      })))
    }
  }
  await app.partitions.analyzed() // the statistics the service gathers on its own as partitions fill
  for (const order of ['asc', 'desc'] as const) {
    const range: LogRange = {
      run: { group: 'default', kind: 'deployment', id: 'run-b' },
      start: fromMillis(NOW - 3 * DAY),
      end: fromMillis(NOW),
      top: 1000,
      order
    }
    const { lower, upper } = rangeBounds(range)
    const { text, values } = blockPage({ run: range.run, order, lower, upper }, 2)
    const plan = await withClient(databaseUrl, async (c) =>
      (await c.query<{ 'QUERY PLAN': Array<{ Plan: PlanNode }> }>(`EXPLAIN (ANALYZE, FORMAT JSON) ${text}`, values)).rows[0]?.['QUERY PLAN'][0]?.Plan)
    const all = nodes(plan as PlanNode)
    t.notOk(all.some((n) => /Sort/.test(n['Node Type'])), `${order}: no sort node`)
    t.notOk(all.some((n) => /Bitmap/.test(n['Node Type'])), `${order}: no bitmap scan`)
    // (runs is read once, by its primary key, for the run's block span.)
    const scans = all.filter((n) => n['Node Type'] === 'Index Scan' && (n['Relation Name'] ?? '').startsWith('log_blocks'))
    if (onCitus) t.equal(plan?.['Distributed Query']?.Job['Task Count'], 1, `${order}: one shard's task (Citus)`)
    // Both orders walk the primary key (by first line): asc forwards, desc backwards.
    t.ok(scans.length > 0 && scans.every((n) => PRIMARY_KEY_INDEX.test(n['Index Name'] ?? '')), `${order}: index scans of the primary key`)
    t.ok(scans.every((n) => n['Scan Direction'] === (order === 'asc' ? 'Forward' : 'Backward')), `${order}: scan direction`)
    t.equal(plan?.['Actual Rows'], 2, `${order}: stops after the page's blocks`)
    const lines = await app.store.read(range)
    t.equal(lines.length, 1000, `${order}: $top lines`)
  }
})

t.test('partitions are made ahead at start, and on demand for a line of any year', async (t) => {
  const { app, databaseUrl } = await buildTestApp(t, { now: clock, env: { LOG_RETENTION_DAYS: '0', PARTITIONS_AHEAD_DAYS: '2' } })
  const partitions = async (): Promise<string[]> => await withClient(databaseUrl, async (c) => (await c.query<{ relname: string }>(
    "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'log_blocks'::regclass ORDER BY 1")).rows.map((r) => r.relname))
  t.same(await partitions(), ['log_blocks_20260615', 'log_blocks_20260616', 'log_blocks_20260617'])
  await post(app, 'old-run', [{ timestamp: '1999-12-31T23:59:59.999999999-01:00', msg: 'old' }, { timestamp: '1850-03-01T00:00:00Z', msg: 'older' }])
  t.ok((await partitions()).includes('log_blocks_20000101'))
  t.ok((await partitions()).includes('log_blocks_18500301'))
  const res = await app.inject({ url: '/v2/lm/deployments/old-run/logs?start=1800-01-01T00:00:00Z', headers: await authHeaders() })
  t.same(res.json().data.result.map((l: { timestamp: string }) => l.timestamp), ['1850-03-01T00:00:00.000+00:00', '2000-01-01T00:59:59.999999999+00:00'])
})

t.test('concurrent batches into one run keep each batch contiguous and in order among equal timestamps', async (t) => {
  const { app } = await buildTestApp(t, { now: clock })
  const ts = new Date(NOW - 60_000).toISOString()
  await Promise.all(Array.from({ length: 10 }, async (_, b) =>
    await post(app, 'busy-run', Array.from({ length: 100 }, (_, i) => ({ timestamp: ts, msg: `${b}:${i}` })))))
  const res = await app.inject({ url: '/v2/lm/deployments/busy-run/logs?$top=5000', headers: await authHeaders() })
  const msgs: string[] = res.json().data.result.map((l: { msg: string }) => l.msg)
  t.equal(msgs.length, 1000)
  for (let k = 0; k < 1000; k += 100) {
    const batch = msgs[k]?.split(':')[0]
    t.same(msgs.slice(k, k + 100), Array.from({ length: 100 }, (_, i) => `${batch}:${i}`), `lines ${k}..${k + 99} are one batch in order`)
  }
})

t.test('migrations apply once, and replicas starting together apply them once', async (t) => {
  const url = await createEmptyDatabase(t, 'runlogs_migrate')
  const results = await Promise.all([migrate(url), migrate(url), migrate(url)])
  t.equal(results.filter((applied) => applied.length > 0).length, 1, 'one of three applied the migrations (and distributed the tables on Citus)')
  t.same(await migrate(url), [], 'a later start applies nothing')
})

t.test('the clock in nanoseconds drives the defaults: a read without start or end covers the hour before it', async (t) => {
  const { app } = await buildTestApp(t, { now: clock })
  await post(app, 'clocked-run', [
    { timestamp: new Date(NOW - 2 * 3600_000).toISOString(), msg: 'two hours before now' },
    { timestamp: new Date(NOW - 60_000).toISOString(), msg: 'a minute before now' }
  ])
  const res = await app.inject({ url: '/v2/lm/deployments/clocked-run/logs', headers: await authHeaders() })
  t.same(res.json().data.result.map((l: { msg: string }) => l.msg), ['a minute before now'])
})

t.test('a read in flight when the service closes ends with all its lines before the pools end', async (t) => {
  const { app } = await buildTestApp(t, { now: clock, env: { BLOCK_MERGE_ENABLED: 'false' } })
  // 60 blocks of 50 lines: more than a read's first page of blocks, so it queries again (in a snapshot).
  for (let b = 0; b < 60; b++) {
    await post(app, 'closing', Array.from({ length: 50 }, (_, i) => ({ timestamp: new Date(NOW - DAY + (b * 50 + i) * 1000).toISOString(), msg: `m${b}:${i}` })))
  }
  const range: LogRange = { run: { group: 'default', kind: 'deployment', id: 'closing' }, start: fromMillis(NOW - 2 * DAY), end: fromMillis(NOW), top: 3000, order: 'asc' }
  const reading = app.store.read(range)
  await app.close()
  t.equal((await reading).length, 3000, 'every line read')
})

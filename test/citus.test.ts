// Citus (docs/scaling.md): the migrations distribute the tables by run key, co-located, when the citus
// extension is in the database, and change nothing without it; every statement of ingest, reads and tails
// goes to one shard. The cluster's cases need `npm test` with TEST_CITUS_URL; the others run everywhere.
import pg from 'pg'
import t from 'tap'
import { CITUS_PLACEMENTS, distributeTables } from '../src/store/distribution.js'
import { migrate } from '../src/store/migrate.js'
import { fromMillis, parseRfc3339 } from '../src/time.js'
import { authHeaders, buildTestApp } from './helpers/app.js'
import { onCitus, onFirstWorker } from './helpers/citus.js'
import { createEmptyDatabase, createTestDatabase } from './helpers/database.js'

const NEEDS_CITUS = onCitus ? false : 'needs a Citus cluster: npm test with TEST_CITUS_URL (docs/scaling.md)'
const NOW = Date.parse('2026-06-15T12:00:00Z')

async function rows<R extends pg.QueryResultRow> (url: string, sql: string, values: unknown[] = []): Promise<R[]> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try { return (await client.query<R>(sql, values)).rows } finally { await client.end() }
}

t.test('every table the migrations make has its place on a Citus cluster, distributed by a column of every unique key', async (t) => {
  const url = await createTestDatabase(t)
  const tables = await rows<{ name: string }>(url, `SELECT c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') AND NOT c.relispartition`)
  t.same(tables.map((r) => r.name).sort(), CITUS_PLACEMENTS.map(([table]) => table).sort(), 'listed in CITUS_PLACEMENTS (src/store/distribution.ts)')
  for (const [i, [table, placement]] of CITUS_PLACEMENTS.entries()) {
    if (placement.kind !== 'distributed') continue
    // Citus requires the distribution column in every primary key and unique constraint.
    const keys = await rows<{ index: string, has: boolean }>(url, `SELECT i.indexrelid::regclass::text AS index,
        (SELECT attnum FROM pg_attribute WHERE attrelid = i.indrelid AND attname = $2) = ANY (i.indkey) AS has
      FROM pg_index i WHERE i.indrelid = $1::regclass AND i.indisunique`, [table, placement.column])
    t.ok(keys.length > 0 && keys.every((k) => k.has), `${table}: ${placement.column} is in ${keys.map((k) => k.index).join(', ')}`)
    if (placement.colocateWith !== 'none') {
      const anchor = CITUS_PLACEMENTS.slice(0, i).find(([name]) => name === placement.colocateWith)?.[1]
      t.match(anchor, { kind: 'distributed', column: placement.column }, `${table}: co-located with ${placement.colocateWith}, listed before it, by the same column`)
    }
  }
})

t.test('without the citus extension, migrations leave every table a plain PostgreSQL table', { skip: onCitus && 'the cluster has the extension' }, async (t) => {
  const url = await createTestDatabase(t)
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  t.teardown(async () => { await client.end() })
  t.same(await distributeTables(client), [], 'nothing to distribute')
  t.equal((await client.query("SELECT to_regclass('pg_dist_partition') AS r")).rows[0]?.r, null, 'no Citus catalog')
  t.same(await migrate(url), [], 'a later start changes nothing')
})

t.test('the runs upsert keeps a run\'s created_at and moves its updated_at on each write', async (t) => {
  const { app, databaseUrl } = await buildTestApp(t, { now: () => fromMillis(NOW) })
  const times = async (): Promise<{ created: string, updated: string }> => (await rows<{ created: string, updated: string }>(databaseUrl,
    "SELECT created_at::text AS created, updated_at::text AS updated FROM runs WHERE run_id = 'upserted'"))[0] as { created: string, updated: string }
  const post = async (msg: string): Promise<void> => {
    const res = await app.inject({ method: 'POST', url: '/v2/lm/deployments/upserted/logs', headers: await authHeaders(), payload: [{ timestamp: new Date(NOW - 1000).toISOString(), msg }] })
    t.equal(res.statusCode, 200, `written: ${msg}`)
  }
  await post('first')
  const first = await times()
  t.equal(first.updated, first.created, 'a new run: both are the time it was written')
  await new Promise((resolve) => setTimeout(resolve, 20))
  await post('second')
  const second = await times()
  t.equal(second.created, first.created, 'created_at stays')
  t.ok(Date.parse(second.updated) > Date.parse(first.updated), `updated_at moves: ${first.updated} -> ${second.updated}`)
})

t.test('on Citus, the tables are distributed as listed: a run\'s row and its lines on one shard', { skip: NEEDS_CITUS }, async (t) => {
  const url = await createTestDatabase(t)
  await rows(url, "SELECT log_blocks_ensure_partition('2026-06-15')") // as the service makes them: after distribution
  const placed = Object.fromEntries((await rows<{ name: string, type: string, column: string, colocation: number }>(url,
    'SELECT table_name::text AS name, citus_table_type AS type, distribution_column AS column, colocation_id AS colocation FROM citus_tables'))
    .map((r) => [r.name, r]))
  t.match(placed.runs, { type: 'distributed', column: 'run_id' })
  t.match(placed.log_blocks, { type: 'distributed', column: 'run_id', colocation: placed.runs?.colocation }, 'log_blocks co-located with runs')
  const partitions = Object.keys(placed).filter((name) => name.startsWith('log_blocks_'))
  t.ok(partitions.length > 0 && partitions.every((name) => placed[name]?.colocation === placed.runs?.colocation), `and its partitions: ${partitions.join(', ')}`)
  t.match(placed.idempotency_keys, { type: 'distributed', column: 'key' })
  t.not(placed.idempotency_keys?.colocation, placed.runs?.colocation, 'idempotency keys in a group of their own')
  t.notOk('exports' in placed || 'schema_version' in placed, 'exports and schema_version stay plain tables on the coordinator')
})

t.test('on Citus, every statement of ingest, reads and tails goes to one shard', { skip: NEEDS_CITUS }, async (t) => {
  const url = await createTestDatabase(t)
  // Citus refuses any statement that would run as more than one task; upkeep (which fans out) is off here.
  await rows(url, `ALTER DATABASE ${new URL(url).pathname.slice(1)} SET citus.multi_task_query_log_level = 'error'`)
  const { app } = await buildTestApp(t, { databaseUrl: url, now: () => fromMillis(NOW), maintenance: false })
  const headers = await authHeaders()
  const lines = Array.from({ length: 50 }, (_, i) => ({ timestamp: new Date(NOW - 60_000 + i).toISOString(), msg: `line ${i}` }))
  const write = await app.inject({ method: 'POST', url: '/v2/lm/deployments/routed/logs', headers: { ...headers, 'idempotency-key': 'routed-1' }, payload: lines })
  t.equal(write.statusCode, 200, 'ingest with an idempotency key')
  const replay = await app.inject({ method: 'POST', url: '/v2/lm/deployments/routed/logs', headers: { ...headers, 'idempotency-key': 'routed-1' }, payload: lines })
  t.equal(replay.headers['idempotent-replayed'], 'true', 'its replay')
  const page = await app.inject({ url: '/v2/lm/deployments/routed/logs?$top=20', headers })
  t.equal(page.statusCode, 200, 'a page')
  const cursor = page.json<{ data: { nextCursor?: string } }>().data.nextCursor
  const next = await app.inject({ url: `/v2/lm/deployments/routed/logs?$top=20&cursor=${encodeURIComponent(cursor ?? '')}`, headers })
  t.equal(next.statusCode, 200, 'the next page, from its cursor')
  const filtered = await app.inject({ url: '/v2/lm/deployments/routed/logs?$top=5&contains=line%204&$order=desc', headers: { ...headers, accept: 'application/x-ndjson' } })
  t.equal(filtered.statusCode, 200, 'a filtered NDJSON read, newest first')
  t.equal((await app.inject({ url: '/v2/lm/deployments/missing/logs', headers })).statusCode, 404, 'an unknown run')
  const run = { group: 'default', kind: 'deployment' as const, id: 'routed' }
  const nextSeq = await app.store.nextSeq(run)
  t.equal(nextSeq, 50n, "a tail's watermark")
  const range = { run, start: parseRfc3339('2026-06-15T00:00:00Z'), end: fromMillis(NOW), top: 100, order: 'asc' as const }
  t.equal((await app.store.newLines(range, 40n, 50n, 100)).length, 10, "a tail's new lines")
  // The check itself: a statement that fans out is refused under the same setting.
  await t.rejects(rows(url, 'SELECT count(*) FROM runs'), /multi-task query about to be executed/, 'a count of all runs is refused')
})

t.test('on Citus, replicas starting at once on a fresh database: one distributes, all start, and they share the runs', { skip: NEEDS_CITUS }, async (t) => {
  const url = await createEmptyDatabase(t, 'runlogs_replicas')
  // Each replica as the server starts: migrations (with the distribution step), then the app and its upkeep.
  const replicas = await Promise.all(Array.from({ length: 3 }, async () => {
    const applied = await migrate(url)
    const { app } = await buildTestApp(t, { databaseUrl: url, now: () => fromMillis(NOW) })
    return { applied, app }
  }))
  const distributed = replicas.map((r) => r.applied.filter((a) => a.includes(': distributed')))
  t.same(distributed.filter((d) => d.length > 0), [['runs: distributed by run_id', 'log_blocks: distributed by run_id, co-located with runs', 'idempotency_keys: distributed by key']],
    'one replica distributed the tables, the others found them done')
  const placed = await rows<{ name: string, colocated: boolean }>(url, `SELECT table_name::text AS name,
      colocation_id = (SELECT colocation_id FROM citus_tables WHERE table_name = 'runs'::regclass) AS colocated
    FROM citus_tables WHERE table_name::text LIKE 'log_blocks%' ORDER BY 1`)
  t.ok(placed.length > 1 && placed.every((p) => p.colocated), `log_blocks and the partitions the replicas made are co-located with runs: ${placed.map((p) => p.name).join(', ')}`)
  const headers = await authHeaders()
  for (const [i, { app }] of replicas.slice(0, 2).entries()) {
    const res = await app.inject({ method: 'POST', url: '/v2/lm/deployments/shared/logs', headers, payload: [{ timestamp: new Date(NOW - 1000 + i).toISOString(), msg: `from replica ${i + 1}` }] })
    t.equal(res.statusCode, 200, `replica ${i + 1} writes`)
  }
  const read = await replicas[2]?.app.inject({ url: '/v2/lm/deployments/shared/logs', headers })
  t.same(read?.json<{ data: { result: Array<{ msg: string }> } }>().data.result.map((l) => l.msg), ['from replica 1', 'from replica 2'], 'the third reads both lines')
})

t.test('on Citus, a database that had rows before the extension keeps them: the start moves them into the shards', { skip: NEEDS_CITUS }, async (t) => {
  const { app, databaseUrl: url } = await buildTestApp(t, { now: () => fromMillis(NOW) })
  const headers = await authHeaders()
  const write = await app.inject({ method: 'POST', url: '/v2/lm/deployments/before/logs', headers, payload: [{ timestamp: new Date(NOW - 1000).toISOString(), msg: 'kept' }] })
  t.equal(write.statusCode, 200, 'a line written')
  // As if the rows had been written without Citus: the run's tables back on the coordinator alone.
  await rows(url, "SELECT undistribute_table('log_blocks'), undistribute_table('runs')")
  t.same(await migrate(url), ['runs: distributed by run_id', 'log_blocks: distributed by run_id, co-located with runs'], 'the next start distributes them')
  const read = await app.inject({ url: '/v2/lm/deployments/before/logs', headers })
  t.same(read.json<{ data: { result: Array<{ msg: string }> } }>().data.result.map((l) => l.msg), ['kept'], 'the line is read from its shard')
  const local = await rows<{ bytes: string }>(url, "SELECT sum(pg_relation_size(relid))::text AS bytes FROM pg_partition_tree('log_blocks')")
  t.equal(local[0]?.bytes, '0', "the coordinator's copies are freed")
})

t.test('on Citus, a table distributed otherwise than listed stops the start with its name', { skip: NEEDS_CITUS }, async (t) => {
  const url = await createTestDatabase(t)
  await rows(url, "SELECT undistribute_table('idempotency_keys')")
  await rows(url, "SELECT create_distributed_table('idempotency_keys', 'scope')")
  await t.rejects(migrate(url), /idempotency_keys is a distributed table on scope, not distributed by key/)
})

t.test('on Citus, the service refuses a worker: it must connect to the coordinator', { skip: NEEDS_CITUS }, async (t) => {
  const url = await createTestDatabase(t)
  const client = new pg.Client({ connectionString: await onFirstWorker(url) })
  await client.connect()
  t.teardown(async () => { await client.end() })
  await t.rejects(distributeTables(client), /a Citus worker: connect the service to the coordinator/)
})

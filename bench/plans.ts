// `npm run bench -- plans [--lines 1000000]`: the query plans of the read shapes (filters, cursor, a tail's
// new lines) with EXPLAIN (ANALYZE, BUFFERS) on one run of ~1M lines, and what the indexes that were
// considered for them would cost at ingest. docs/reading.md quotes its output.
import { parseArgs } from 'node:util'
import pg from 'pg'
import type { LogFilters, LogRange } from '../src/logs/model.js'
import { newLinesStatement, readStatement, type Statement } from '../src/store/read-statements.js'
import { fromMillis } from '../src/time.js'
import { benchDatabase } from './harness.js'

const { values } = parseArgs({ args: process.argv.slice(3), options: { lines: { type: 'string', default: '1000000' } } })
const total = Number(values.lines)
const db = await benchDatabase()
const client = new pg.Client({ connectionString: db.url, options: '-c TimeZone=UTC' })
await client.connect()
const start = Date.UTC(2026, 0, 10, 0, 0, 0)
await client.query("SELECT log_lines_ensure_partition('2026-01-10'::date)")

// Two lines per ms from 00:00; 1 line in 1000 from container "rare", 1 in 9 on stderr, 1 in 10,000 says "needle".
const generate = (run: string, n: number): string => `INSERT INTO log_lines (resource_group, run_kind, run_id, ts, ts_ns, seq, container, pod, stream, msg)
  SELECT 'default', 'deployment', '${run}', to_timestamp(${start / 1000}) + (i / 2) * interval '1 millisecond', i % 1000, i,
         CASE WHEN i % 1000 = 7 THEN 'rare' WHEN i % 2 = 0 THEN 'main' ELSE 'sidecar' END, 'pod-' || (i % 3),
         CASE WHEN i % 9 = 0 THEN 'stderr' ELSE 'stdout' END,
         'request ' || i || CASE WHEN i % 10000 = 5 THEN ' needle ' ELSE ' handled ' END || repeat('payload ', (1 + i % 16)::int)
  FROM generate_series(0, ${n - 1}) AS i`
await client.query(generate('big', total))
await client.query('ANALYZE log_lines')

const range = (filters: LogFilters, order: 'asc' | 'desc' = 'asc'): LogRange => ({
  run: { group: 'default', kind: 'deployment', id: 'big' }, start: fromMillis(start), end: fromMillis(start + 86_400_000 - 1), top: 1000, order, filters
})
async function explain (title: string, statement: Statement): Promise<void> {
  await client.query(`PREPARE q AS ${statement.text}`)
  const args = statement.values.map((v) => (v === null ? 'NULL' : `'${String(v).replaceAll("'", "''")}'`)).join(', ')
  // Five runs first, so the plan shown is the one a warm, prepared statement gets (generic or custom).
  for (let i = 0; i < 6; i++) await client.query(`EXECUTE q(${args})`)
  const { rows } = await client.query<{ 'QUERY PLAN': string }>(`EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) EXECUTE q(${args})`)
  await client.query('DEALLOCATE q')
  console.log(`\n### ${title}\n\`\`\`\n${rows.map((r) => r['QUERY PLAN']).join('\n')}\n\`\`\``)
}

console.log(`plans on ${total} lines of one run, ${db.server}`)
await explain('no filter, $top=1000 (+1)', readStatement(range({}), 1001))
await explain('stream=stderr (1 line in 9)', readStatement(range({ stream: 'stderr' }), 1001))
await explain('container=rare (1 line in 1000)', readStatement(range({ container: 'rare' }), 1001))
await explain('contains=needle (1 line in 10,000)', readStatement(range({ contains: 'needle' }), 1001))
await explain('container=nothing (no line matches: the whole run in range is walked)', readStatement(range({ container: 'nothing' }), 1001))
await explain('all four filters', readStatement(range({ container: 'main', pod: 'pod-1', stream: 'stderr', contains: 'handled' }), 1001))
await explain('a cursor in the middle, desc', readStatement({ ...range({}, 'desc'), after: { ts: new Date(start + 250_000).toISOString(), nanos: 0, seq: String(500_000) } }, 1001))
await explain('a tail\'s new lines: the last 10 seqs, bounded by the batch\'s earliest time', newLinesStatement(range({}), BigInt(total - 10), BigInt(total), 2000, fromMillis(start + Math.floor((total - 10) / 2))))
await explain('a tail\'s new lines without the time bound (after a reconnect)', newLinesStatement(range({}), BigInt(total - 10), BigInt(total), 2000))

// Ingest cost of the indexes considered: the same 200,000 lines into a new run, without and with each.
async function timedInsert (label: string, run: string): Promise<void> {
  const t0 = performance.now()
  await client.query(generate(run, 200_000))
  console.log(`| ${label} | ${((performance.now() - t0) / 1000).toFixed(2)} s |`)
}
console.log('\n| 200,000 lines inserted into a new run | time |\n|---|---|')
await timedInsert('primary key only (as shipped)', 'ingest-0')
await timedInsert('primary key only, again', 'ingest-1')
await client.query('CREATE INDEX seq_idx ON log_lines (resource_group, run_kind, run_id, seq)')
await timedInsert('+ (group, kind, run, seq)', 'ingest-2')
await client.query('CREATE INDEX container_idx ON log_lines (resource_group, run_kind, run_id, container, ts, ts_ns, seq)')
await timedInsert('+ (group, kind, run, container, ts, ts_ns, seq) as well', 'ingest-3')
await client.query('DROP INDEX seq_idx, container_idx')
const trgm = await client.query('CREATE EXTENSION IF NOT EXISTS pg_trgm').then(() => true, () => false)
if (trgm) {
  await client.query('CREATE INDEX msg_trgm ON log_lines USING gin (msg gin_trgm_ops)')
  await timedInsert('+ GIN pg_trgm on msg (only)', 'ingest-4')
} else {
  console.log('| + GIN pg_trgm on msg | pg_trgm not available on this server |')
}
await client.end()
await db.close()

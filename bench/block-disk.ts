// `npm run bench -- block-disk [--lines 400000] [--reuse NAME]`: where the block store's bytes go on the scale
// data set (dataset.ts), without the row store or any read: the lines are generated and loaded into blocks as
// the scale benchmark loads them (load-blocks.ts: a run's lines of a day become full blocks, which is what the
// background merger leaves), then every relation of log_blocks' partitions (heap, TOAST, each index) and
// `runs` is measured, with per-block averages, beside zstd -3 of the same lines as NDJSON.
import { parseArgs } from 'node:util'
import pg from 'pg'
import { defaultSpec, generate, planRuns } from './dataset.js'
import { benchDatabase } from './harness.js'
import { BlockLoader } from './load-blocks.js'
import { storeBytes } from './row-store.js'

const { values } = parseArgs({ args: process.argv.slice(3), options: { lines: { type: 'string', default: '400000' }, reuse: { type: 'string' } } })
const spec = defaultSpec(Number(values.lines))
const db = await benchDatabase(values.reuse)
const client = new pg.Client({ connectionString: db.url, options: '-c TimeZone=UTC -c synchronous_commit=off' })
await client.connect()
try {
  const loaded = (await client.query('SELECT count(*)::int AS n FROM log_blocks')).rows[0].n > 0
  let zstd = NaN
  let lines = spec.lines
  if (!loaded) {
    const blocks = new BlockLoader(client)
    const plans = planRuns(spec)
    const bounds = await generate(spec, plans, blocks)
    zstd = await blocks.finish()
    lines = blocks.lines
    // Each run's row written once, its block span with it (an UPDATE of every row would leave the table twice its size).
    for (const p of plans) {
      await client.query(`INSERT INTO runs (resource_group, run_kind, run_id, first_ts, first_ns, last_ts, last_ns, line_count, next_seq, block_span)
        VALUES ($1, $2, $3, to_timestamp($4::float8 / 1e6), $5, to_timestamp($6::float8 / 1e6), $7, $8, $8, coalesce((SELECT max(last_ts - first_ts) + interval '1 microsecond'
          FROM log_blocks WHERE resource_group = $1 AND run_kind = $2 AND run_id = $3), '0'))`,
      [p.group, p.kind, p.id, bounds.firstMicros[p.index], bounds.firstNanos[p.index], bounds.lastMicros[p.index], bounds.lastNanos[p.index], p.lines])
    }
  }
  await client.query('VACUUM ANALYZE')
  const total = await storeBytes(db.url, 'log_blocks')
  const { rows: [b] } = await client.query(`SELECT count(*)::int AS blocks, sum(line_count)::int AS lines, avg(line_count)::float AS avg_lines,
    sum(pg_column_size(payload))::float8 AS payload, sum(pg_column_size(filter))::float8 AS filter, sum(pg_column_size(b.*))::float8 AS row,
    count(*) FILTER (WHERE line_count < 100)::int AS small FROM log_blocks b`)
  console.log(`${lines} lines, ${b.blocks} blocks (${b.avg_lines.toFixed(1)} lines a block, ${b.small} under 100 lines)`)
  console.log(`whole store: ${(total / lines).toFixed(1)} B/line${Number.isNaN(zstd) ? '' : `; zstd -3 of the NDJSON ${(zstd / lines).toFixed(1)} B/line`}`)
  console.log(`columns: payload ${(b.payload / lines).toFixed(2)} B/line, filter ${(b.filter / lines).toFixed(2)}, row as a value ${(b.row / lines).toFixed(2)} (${(b.row / b.blocks).toFixed(0)} B a block)`)
  const { rows } = await client.query(`SELECT kind, sum(bytes)::float8 AS bytes FROM (
      SELECT 'heap' AS kind, pg_relation_size(c.oid) AS bytes FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'log_blocks'::regclass
      UNION ALL SELECT 'toast', pg_total_relation_size(c.reltoastrelid) FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'log_blocks'::regclass AND c.reltoastrelid <> 0
      UNION ALL SELECT 'index ' || regexp_replace(x.relname, '^log_blocks_\\d+_', ''), pg_relation_size(x.oid) FROM pg_inherits i JOIN pg_index ix ON ix.indrelid = i.inhrelid JOIN pg_class x ON x.oid = ix.indexrelid WHERE i.inhparent = 'log_blocks'::regclass
      UNION ALL SELECT 'runs (all)', pg_total_relation_size('runs')
      UNION ALL SELECT 'dictionaries (all)', coalesce(pg_total_relation_size(to_regclass('block_dictionaries')), 0)) s GROUP BY kind ORDER BY bytes DESC`)
  console.log('| relation | bytes | B/line | B/block |\n|---|---|---|---|')
  for (const r of rows) console.log(`| ${r.kind} | ${r.bytes} | ${(r.bytes / lines).toFixed(2)} | ${(r.bytes / b.blocks).toFixed(0)} |`)
} finally {
  await client.end()
  await db.close()
}

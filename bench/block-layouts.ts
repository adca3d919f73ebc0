// `npm run bench -- block-layouts`: the block payload's two versions side by side, in one run, on the same
// realistic lines (bench/messages.ts): 40 runs of 10,000 lines by default, as the held-out comparison has
// them. Version 1 (one zstd frame per block, as the first block store wrote) and version 2 (a head frame
// and message granules with their filters) are written to one database as two resource groups; the service's
// read (readRange, the JSON body rendered by renderLogsBody) runs against both with as many concurrent
// callers as connections, cycling through the runs. Prints bytes a line of each layout and, per shape,
// req/s, p50 and the node CPU per request. Needs a PostgreSQL server: BENCH_DATABASE_URL or DATABASE_URL.
import { compress } from '@mongodb-js/zstd'
import { parseArgs } from 'node:util'
import pg from 'pg'
import { renderLogsBody } from '../src/read/render.js'
import { BLOCK_LINES, BlockRows, blockSpan, buildBlocks, type BuiltBlock } from '../src/store/block-build.js'
import { encodeColumns, type BlockLine } from '../src/store/block-codec.js'
import { buildFilter } from '../src/store/block-filter.js'
import { readRange } from '../src/store/block-read.js'
import { INSERT_BLOCKS } from '../src/store/block-statements.js'
import { migrate } from '../src/store/migrate.js'
import { createPool } from '../src/store/pool.js'
import { prng } from './dataset.js'
import { podsOf, RARE_WORD, RunVoice } from './messages.js'

const { values } = parseArgs({
  args: process.argv.slice(3),
  options: { runs: { type: 'string', default: '40' }, lines: { type: 'string', default: '10000' }, duration: { type: 'string', default: '5' }, connections: { type: 'string', default: '10' } }
})
const RUNS = Number(values.runs)
const PER = Number(values.lines)
const DURATION_MS = Number(values.duration) * 1000
const CONNECTIONS = Number(values.connections)
const server = process.env.BENCH_DATABASE_URL ?? process.env.DATABASE_URL
if (server === undefined || server === '') throw new Error('block-layouts needs BENCH_DATABASE_URL (a PostgreSQL server)')
const name = `runlogs_block_layouts_${process.pid}`
const admin = new pg.Client({ connectionString: server })
await admin.connect()
await admin.query(`CREATE DATABASE ${name}`)
const url = new URL(server)
url.pathname = `/${name}`
await migrate(url.toString())
const pool = createPool(url.toString(), CONNECTIONS)

const DAY = 20_619 // 2026-06-15
const DAY_NS = 86_400_000_000_000n
const STEP_NS = 4_000_123 // 10,000 lines over 40 s

/** A block as the first block store built it: one zstd frame of all columns (version 1). */
async function versionOne (lines: BlockLine[]): Promise<BuiltBlock[]> {
  const blocks: BuiltBlock[] = []
  for (let i = 0; i < lines.length; i += BLOCK_LINES) {
    const part = lines.slice(i, i + BLOCK_LINES)
    const first = part[0] as BlockLine
    const last = part[part.length - 1] as BlockLine
    blocks.push({
      first: { day: DAY, t: first.t, seq: first.seq },
      last: { day: DAY, t: last.t, seq: last.seq },
      minSeq: first.seq,
      maxSeq: last.seq,
      count: part.length,
      filter: buildFilter(part.map((l) => Buffer.from(l.msg))),
      payload: await compress(encodeColumns(part.map((l) => ({ ...l, seq: l.seq - first.seq }))), 3)
    })
  }
  return blocks
}

const layouts = { v1: versionOne, v2: async (lines: BlockLine[]) => await buildBlocks(lines.map((l) => ({ ...l }))) }
await pool.query("SELECT log_blocks_ensure_partition('2026-06-15')")
const random = prng(13)
for (let r = 0; r < RUNS; r++) {
  const voice = new RunVoice('deployment', PER, random)
  const pods = podsOf('deployment', `run${r}`, 3, random)
  const lines: BlockLine[] = []
  for (let i = 0; i < PER; i++) {
    const t = 3_600_000_000_000 + i * STEP_NS
    const m = voice.line(i, Number(BigInt(DAY) * DAY_NS / 1000n) + Math.floor(t / 1000))
    lines.push({ day: DAY, t, seq: i, pod: pods[i % pods.length] as string, container: m.container, stream: m.stream, msg: m.msg })
  }
  for (const [group, build] of Object.entries(layouts)) {
    const blocks = await build(lines)
    const rows = new BlockRows()
    for (const b of blocks) rows.add({ group, kind: 'deployment', id: `run${r}` }, 0, b)
    await pool.query(`INSERT INTO runs (resource_group, run_kind, run_id, first_ts, first_ns, last_ts, last_ns, line_count, next_seq, block_span)
      VALUES ($1, 'deployment', $2, '2026-06-15 01:00:00+00', 0, '2026-06-15 02:00:00+00', 0, $3, $3, $4::interval)`, [group, `run${r}`, PER, blockSpan(blocks)])
    await pool.query(INSERT_BLOCKS, rows.columns)
  }
}
await pool.query('ANALYZE')
console.log(`${RUNS} runs of ${PER} lines; ${CONNECTIONS} connections, ${DURATION_MS / 1000} s a point`)
console.log('| layout | payload B/line | filter B/line | row B/line (all columns) |\n|---|---|---|---|')
for (const group of Object.keys(layouts)) {
  const { rows: [s] } = await pool.query<{ p: number, f: number, a: number }>(`SELECT sum(pg_column_size(payload))::float / sum(line_count) AS p,
    sum(pg_column_size(filter))::float / sum(line_count) AS f, sum(pg_column_size(b.*))::float / sum(line_count) AS a FROM log_blocks b WHERE resource_group = $1`, [group])
  console.log(`| ${group} | ${s?.p.toFixed(2) ?? ''} | ${s?.f.toFixed(2) ?? ''} | ${s?.a.toFixed(2) ?? ''} |`)
}

const start = BigInt(DAY) * DAY_NS + 3_600_000_000_000n
let seed = 7
const next = (): number => { seed = (seed * 16807) % 2147483647; return seed / 2147483647 }
async function point (group: string, top: number, contains: string | undefined): Promise<string> {
  const times: number[] = []
  const t0 = performance.now()
  const cpu0 = process.cpuUsage()
  const caller = async (): Promise<void> => {
    while (performance.now() - t0 < DURATION_MS) {
      const run = { group, kind: 'deployment' as const, id: `run${Math.floor(next() * RUNS)}` }
      // A random start with a page and a half after it; a search reads its run from the first line.
      const from = contains === undefined ? BigInt(Math.floor(next() * Math.max(0, PER - top * 1.5))) * BigInt(STEP_NS) : 0n
      const a = performance.now()
      const rows = await readRange(pool, { run, start: start + from, end: start + DAY_NS / 2n, top, order: 'asc', ...(contains === undefined ? {} : { filters: { contains } }) }, top + 1)
      renderLogsBody(rows.slice(0, top), rows.length > top ? 'cursor' : undefined)
      times.push(performance.now() - a)
    }
  }
  await Promise.all(Array.from({ length: CONNECTIONS }, caller))
  const cpu = process.cpuUsage(cpu0)
  times.sort((x, y) => x - y)
  const rps = times.length / ((performance.now() - t0) / 1000)
  return `${rps.toFixed(0)} req/s, p50 ${(times[Math.floor(times.length / 2)] ?? NaN).toFixed(2)} ms, ${((cpu.user + cpu.system) / 1000 / times.length).toFixed(2)} CPU-ms`
}
console.log('\n| shape | v1 | v2 |\n|---|---|---|')
for (const [label, top, contains] of [['$top=100', 100], ['$top=1000', 1000], ['$top=5000', 5000], [`contains=${RARE_WORD} $top=1000`, 1000, RARE_WORD]] as Array<[string, number, string?]>) {
  const cells: string[] = []
  for (const group of Object.keys(layouts)) cells.push(await point(group, top, contains))
  console.log(`| ${label} | ${cells.join(' | ')} |`)
}
await pool.end()
await admin.query(`DROP DATABASE ${name} WITH (FORCE)`)
await admin.end()

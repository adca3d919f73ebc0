// `npm run bench -- merge [--runs 20] [--lines 10000] [--batch 100] [--level 3]`: background merging. Lines go
// in through the service's ingest in small batches (one part-filled block per batch per run), then merge
// rounds run until nothing is due. Printed in one run, side by side: blocks, bytes a line (block data and the
// whole store after VACUUM FULL) and $top=1000 reads before and after the merges, the merge's throughput, and
// what each zstd level would cost and save on the merged blocks.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { decompress } from '@mongodb-js/zstd'
import { buildApp } from '../src/app.js'
import { parseConfig } from '../src/config.js'
import type { LogRange } from '../src/model.js'
import { encodeColumns, type BlockLine } from '../src/store/block-codec.js'
import { decodePayload } from '../src/store/block-open.js'
import { defaultPlanSettings } from '../src/store/block-merge-plan.js'
import { mergeRound } from '../src/store/block-merge.js'
import { createPool } from '../src/store/pool.js'
import { compressAt } from '../src/store/zstd-level.js'
import { BENCH_SECRET, benchDatabase, benchToken, NO_RATE_LIMITS, percentile } from './harness.js'

const { values } = parseArgs({
  args: process.argv.slice(3),
  options: {
    runs: { type: 'string', default: '20' },
    lines: { type: 'string', default: '10000' },
    batch: { type: 'string', default: '100' },
    level: { type: 'string', default: String(parseConfig({}).blockMerge.zstdLevel) }
  }
})
const RUNS = Number(values.runs)
const LINES = Number(values.lines)
const BATCH = Number(values.batch)
const LEVEL = Number(values.level)

// Templated lines as services write them: application, HTTP access and JSON lines, about 130 bytes each.
const PATHS = ['/api/v1/orders', '/api/v1/users/42', '/healthz', '/api/v2/inference', '/metrics']
function message (i: number, run: number): string {
  const r = (i * 2654435761 + run * 40503) >>> 0
  switch (r % 4) {
    case 0: return `INFO  [worker-${r % 8}] processed batch ${i} of job ${run}-${r % 1000} in ${r % 997} ms (${r % 50} items, queue depth ${r % 13})`
    case 1: return `10.0.${r % 256}.${(r >> 8) % 256} - - "GET ${PATHS[r % PATHS.length] as string} HTTP/1.1" ${r % 10 === 0 ? 500 : 200} ${r % 5000} "-" "python-requests/2.31"`
    case 2: return JSON.stringify({ level: r % 7 === 0 ? 'warn' : 'info', step: i, loss: (r % 10000) / 10000, lr: 0.0003, epoch: Math.floor(i / 1000), msg: 'training step' })
    default: return `DEBUG cache ${r % 3 === 0 ? 'miss' : 'hit'} for key tenant:${r % 97}:session:${r.toString(16)} ttl=${r % 3600}s`
  }
}

const db = await benchDatabase()
const dataDir = await mkdtemp(path.join(tmpdir(), 'run-logs-bench-merge-'))
// Merging off in the app: the rounds below are the only merger. Load shedding off: this process merges too.
const settings = { AUTH_JWT_SECRET: BENCH_SECRET, LOG_LEVEL: 'silent', DATA_DIR: dataDir, LOG_RETENTION_DAYS: '0', BLOCK_MERGE_ENABLED: 'false' }
const config = parseConfig({ ...settings, PRESSURE_MAX_EVENT_LOOP_DELAY_MS: '0', PRESSURE_MAX_EVENT_LOOP_UTILIZATION_PERCENT: '0', ...NO_RATE_LIMITS })
const app = await buildApp(config, { databaseUrl: db.url, maintenance: false })
await app.ready()
const pool = createPool(db.url, 2)
const headers = { authorization: `Bearer ${await benchToken()}`, 'content-type': 'application/json' }
const start = Date.now() - 3_600_000

console.log(`merge: ${RUNS} runs x ${LINES} lines in batches of ${BATCH}, merged at zstd level ${LEVEL}; ${db.server}`)
const ingestStarted = performance.now()
for (let from = 0; from < LINES; from += BATCH) {
  await Promise.all(Array.from({ length: RUNS }, async (_, run) => {
    const lines = Array.from({ length: Math.min(BATCH, LINES - from) }, (_, k) => {
      const i = from + k
      return { timestamp: new Date(start + i * 10).toISOString(), msg: message(i, run), pod: `pod-${run}-${i % 3}`, container: 'main', stream: i % 17 === 0 ? 'stderr' : 'stdout' }
    })
    const res = await app.inject({ method: 'POST', url: `/v2/lm/executions/bench-merge-${run}/logs`, headers, payload: lines })
    if (res.statusCode !== 200) throw new Error(res.body)
  }))
}
const total = RUNS * LINES
console.log(`ingested ${total} lines in ${((performance.now() - ingestStarted) / 1000).toFixed(1)} s`)

interface Shape { blocks: number, dataPerLine: number, storePerLine: number, readMs: number, readP95: number }
async function shape (): Promise<Shape> {
  await pool.query('VACUUM FULL ANALYZE log_blocks')
  const { rows } = await pool.query<{ blocks: number, data: string, store: string }>(`SELECT count(*)::int AS blocks,
    sum(octet_length(payload) + octet_length(filter))::bigint AS data,
    (SELECT sum(pg_total_relation_size(inhrelid)) FROM pg_inherits WHERE inhparent = 'log_blocks'::regclass)::bigint AS store FROM log_blocks`)
  const row = rows[0] as { blocks: number, data: string, store: string }
  // $top=1000 from the start of each run, twice round: the store's read, as a page is read.
  const times: number[] = []
  for (let round = 0; round < 3; round++) {
    for (let run = 0; run < RUNS; run++) {
      const range: LogRange = { run: { group: 'default', kind: 'execution', id: `bench-merge-${run}` }, start: BigInt(start) * 1_000_000n, end: BigInt(Date.now()) * 1_000_000n, top: 1000, order: 'asc' }
      const t0 = performance.now()
      const got = await app.store.read(range, 1001)
      if (round > 0) times.push(performance.now() - t0)
      if (got.length !== Math.min(1001, LINES)) throw new Error(`read ${got.length} lines`)
    }
  }
  times.sort((a, b) => a - b)
  return { blocks: row.blocks, dataPerLine: Number(row.data) / total, storePerLine: Number(row.store) / total, readMs: percentile(times, 50), readP95: percentile(times, 95) }
}

const before = await shape()
const cpu0 = process.cpuUsage()
const merging = performance.now()
let rounds = 0
let merged = 0
for (;;) {
  const round = await mergeRound(pool, { ...defaultPlanSettings(config.blockMerge.fillPercent), zstdLevel: LEVEL, minNewBlocks: 1, quietSeconds: 0, runsPerRound: 1000 },
    (run, err) => { throw new Error(`merge of ${run.id}: ${String(err)}`) })
  rounds++
  merged += round.lines
  if (round.merges === 0) break
}
const mergeSeconds = (performance.now() - merging) / 1000
const cpu = process.cpuUsage(cpu0)
const after = await shape()

const row = (name: string, b: string, a: string): string => `| ${name} | ${b} | ${a} |`
console.log('\n| figure | before merging | after merging |\n|---|---|---|')
console.log(row('blocks', String(before.blocks), String(after.blocks)))
console.log(row('lines a block', (total / before.blocks).toFixed(0), (total / after.blocks).toFixed(0)))
console.log(row('bytes a line, block data (payload + filter)', before.dataPerLine.toFixed(1), after.dataPerLine.toFixed(1)))
console.log(row('bytes a line, whole store (VACUUM FULL)', before.storePerLine.toFixed(1), after.storePerLine.toFixed(1)))
console.log(row('$top=1000 read, p50 / p95 ms', `${before.readMs.toFixed(2)} / ${before.readP95.toFixed(2)}`, `${after.readMs.toFixed(2)} / ${after.readP95.toFixed(2)}`))
console.log(`\nmerge: ${merged} lines in ${rounds} rounds, ${mergeSeconds.toFixed(2)} s: ${(merged / mergeSeconds).toFixed(0)} lines/s; ` +
  `service CPU ${((cpu.user + cpu.system) / 1e6).toFixed(2)} s (${(merged / ((cpu.user + cpu.system) / 1e6)).toFixed(0)} lines per CPU-second)`)

// What each level costs and saves on the merged (full) blocks: their columns compressed again.
const { rows: sample } = await pool.query<{ min_seq: string, payload: Buffer }>('SELECT min_seq, payload FROM log_blocks WHERE line_count = 2048 LIMIT 40')
const columns: Buffer[] = []
let sampleLines = 0
for (const s of sample) {
  const b = await decodePayload(s.payload, Number(s.min_seq))
  const lines: BlockLine[] = Array.from({ length: b.n }, (_, i) => {
    const [pod, container, stream] = b.labelsOf(i)
    return { day: b.day, t: b.t[i] as number, seq: (b.seq[i] as number) - Number(s.min_seq), pod, container, stream, msg: b.msg(i) }
  })
  columns.push(encodeColumns(lines))
  sampleLines += b.n
}
console.log(`\nzstd level on ${columns.length} merged blocks (${sampleLines} lines), one block at a time:\n| level | payload bytes a line | compress ms a block | decompress ms a block |\n|---|---|---|---|`)
for (const level of [1, 3, 6, 9, 12, 15, 19]) {
  let bytes = 0
  const packed: Buffer[] = []
  const c0 = performance.now()
  for (const c of columns) { const p = await compressAt(c, level); bytes += p.length; packed.push(p) }
  const c1 = performance.now()
  for (let k = 0; k < 3; k++) for (const p of packed) await decompress(p)
  const d1 = performance.now()
  console.log(`| ${level} | ${(bytes / sampleLines).toFixed(2)} | ${((c1 - c0) / columns.length).toFixed(2)} | ${((d1 - c1) / 3 / columns.length).toFixed(3)} |`)
}

await app.close()
await pool.end()
await db.close()
await rm(dataDir, { recursive: true, force: true })

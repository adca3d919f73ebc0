// `npm run bench` (= `npm run bench -- scale`): loads a realistic store by COPY at one or more sizes and, on
// the same data in the same run, measures the service's reads under autocannon next to the bare query (the
// same SQL and rendering through pg in one process: the limit), ingestion over HTTP next to raw COPY, and
// the service's peak memory. Prints a table with the ratios and writes JSON under bench/results/.
//   --lines 1000000         size of the store (or --points 1000000,10000000 for several, each loaded anew)
//   --duration 10           seconds per measured point
//   --connections 1,10,100  autocannon connections (and bare-query callers)
//   --reuse NAME            keep the store in database NAME on BENCH_DATABASE_URL's server: loaded there the
//                           first time, measured again without loading afterwards
//   --plans                 print each read's plan, EXPLAIN (ANALYZE, BUFFERS) of the prepared statement
//   --runs 1               the number of runs (default: 10,000 from 1M lines up, 1 per 100 lines below)
//   --baseline FILE         also compare read p50s with the smallest point of an earlier results file
//   --smoke                 20,000 lines, 1 s points, 1 and 10 connections: that it runs, not the numbers (no row store)
//   --no-row-store          measure the block store alone (the row store, release 0.1 = commit 9eaf22d, is
//                           otherwise built in a temporary git worktree and served beside it: bench/row-store.ts)
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import os from 'node:os'
import { parseArgs } from 'node:util'
import { build } from '../scripts/build.js'
import { addDictionarySource } from '../src/store/block-dictionary.js'
import { createPool } from '../src/store/pool.js'
import { defaultSpec, planRuns, type DatasetSpec } from './dataset.js'
import { pipeline } from 'node:stream/promises'
import path from 'node:path'
import pg from 'pg'
import { from as copyFrom, to as copyTo } from 'pg-copy-streams'
import { benchDatabase, benchToken, memoryOf, startService, type BenchDatabase } from './harness.js'
import { loadDataset, loadedDataset, type LoadReport } from './load.js'
import { BlockLoader } from './load-blocks.js'
import { migrateRowStore, rowStoreRelease, storeBytes } from './row-store.js'
import { bareLoad, explainShape, readRequests, serviceLoad, SHAPES, type LoadResult, type ReadRequest, type Shape } from './scale-reads.js'
import { ingestBench, type IngestRow } from './scale-ingest.js'

const { values } = parseArgs({
  args: process.argv.slice(3),
  options: {
    lines: { type: 'string', default: '1000000' },
    points: { type: 'string' },
    duration: { type: 'string', default: '10' },
    connections: { type: 'string', default: '1,10,100' },
    reuse: { type: 'string' },
    'ingest-lines': { type: 'string', default: '100000' },
    smoke: { type: 'boolean', default: false },
    'no-row-store': { type: 'boolean', default: false },
    plans: { type: 'boolean', default: false },
    baseline: { type: 'string' },
    runs: { type: 'string' }
  }
})
const smoke = values.smoke
const points = smoke ? [20_000] : (values.points ?? values.lines).split(',').map(Number)
const seconds = smoke ? 1 : Number(values.duration)
const connectionCounts = smoke ? [1, 10] : values.connections.split(',').map(Number)
const ingestLines = smoke ? 20_000 : Number(values['ingest-lines'])
// The row store's release is built and started beside the block store, except in the smoke run (CI).
const withRowStore = !smoke && values['no-row-store'] !== true
// A pool sized to the cores (docs/performance.md) unless DATABASE_POOL_SIZE says otherwise; the bare query gets the same.
const poolSize = Number(process.env.DATABASE_POOL_SIZE ?? os.availableParallelism())
if (values.reuse !== undefined && points.length > 1) throw new Error('--reuse keeps one store: give one --lines')
if (points.some((n) => !Number.isInteger(n) || n < 1000)) throw new Error('--lines must be whole numbers of at least 1000')

// The service as it is deployed (`npm start`): compiled, no TypeScript loader in its memory; built as npm
// start's prestart builds it, only when its sources changed (CI's build step has just built it).
if ((await build({ ifStale: true, only: ['server'] })).length > 0) console.error('built dist/')

interface ReadRow { shape: string, connections: number, service: LoadResult, bare: LoadResult, rows?: LoadResult }
/** The load and the disk: bytes of each store (line table's partitions with TOAST and indexes, and runs), zstd -3 of the lines as NDJSON. */
interface StoreLoad extends LoadReport { disk: { rowStore: number, blockStore: number, zstdNdjson: number, lines: number } }
interface PointResult { lines: number, database: string, load: StoreLoad & { reused: boolean }, reads: ReadRow[], ingest: IngestRow[], rowIngest: IngestRow[], peakRssMiB: number, freshPeakRssMiB: number, plans: Array<{ shape: string, path: string, plan: string }> }

/** Resident memory of a process and its children (cluster workers), summed. */
async function treeRssMiB (pid: number): Promise<number> {
  const children = (await readFile(`/proc/${pid}/task/${pid}/children`, 'utf8').catch(() => '')).trim().split(/\s+/).filter(Boolean).map(Number)
  let total = (await memoryOf(pid).catch(() => ({ rssMiB: 0 }))).rssMiB
  for (const child of children) total += await treeRssMiB(child)
  return total
}

/**
 * The memory target alone: a service started for it, under the largest connection count of `$top=5000`
 * (the read points before it leave V8's heap grown, which the figure after them includes). Load shedding
 * is off, as for the read points: every request is served, none answered 503 at no cost.
 */
async function freshServicePeak (url: string, token: string, requests: ReadRequest[]): Promise<number> {
  const service = await startService(url, { LOG_RETENTION_DAYS: '0', EXPORT_WORKERS: '0', DATABASE_POOL_SIZE: String(poolSize), PRESSURE_MAX_EVENT_LOOP_DELAY_MS: '0' }, ['dist/server.js'])
  try {
    const pid = service.child.pid as number
    let peak = 0
    const sampler = setInterval(() => { treeRssMiB(pid).then((m) => { peak = Math.max(peak, m) }, () => undefined) }, 50)
    const load = await serviceLoad(service.baseUrl, token, requests, Math.max(...connectionCounts), seconds)
    clearInterval(sampler)
    console.error(`fresh service, $top=5000 c=${Math.max(...connectionCounts)}: ${load.rps.toFixed(0)} req/s, ${load.errors} errors, peak RSS ${peak.toFixed(0)} MiB`)
    return peak
  } finally {
    await service.stop()
  }
}

/** Loads the point's data set into both stores: the row store by COPY (load.ts), the block store from the same text. */
async function loadBoth (db: BenchDatabase, rowsDb: BenchDatabase, spec: DatasetSpec): Promise<StoreLoad> {
  const client = new pg.Client({ connectionString: db.url, options: '-c TimeZone=UTC -c synchronous_commit=off' })
  await client.connect()
  const rowsClient = new pg.Client({ connectionString: rowsDb.url })
  await rowsClient.connect()
  try {
    const blocks = new BlockLoader(client)
    const rows = await loadDataset(rowsDb.url, spec, (text) => { console.error(text) }, blocks)
    const zstdNdjson = await blocks.finish()
    const runColumns = 'resource_group, run_kind, run_id, first_ts, first_ns, last_ts, last_ns, line_count, next_seq, created_at, updated_at'
    // Each run's row written once with its block span: an UPDATE of every row afterwards would leave the runs
    // table twice the row store's (dead rows), which the disk figure would count.
    await client.query('CREATE TEMP TABLE runs_copy (LIKE runs INCLUDING DEFAULTS)')
    await pipeline(rowsClient.query(copyTo(`COPY runs (${runColumns}) TO STDOUT`)), client.query(copyFrom(`COPY runs_copy (${runColumns}) FROM STDIN`)))
    await client.query(`INSERT INTO runs (${runColumns}, block_span) SELECT ${runColumns.split(', ').map((c) => `r.${c}`).join(', ')}, coalesce(s.span, '0')
      FROM runs_copy r LEFT JOIN (SELECT resource_group, run_kind, run_id, max(last_ts - first_ts) + interval '1 microsecond' AS span FROM log_blocks GROUP BY 1, 2, 3) s
      USING (resource_group, run_kind, run_id)`)
    await client.query('ANALYZE')
    const disk = { rowStore: await storeBytes(rowsDb.url, 'log_lines'), blockStore: await storeBytes(db.url, 'log_blocks'), zstdNdjson, lines: blocks.lines }
    const load: StoreLoad = { ...rows, disk }
    await client.query('CREATE TABLE IF NOT EXISTS bench_dataset (spec jsonb NOT NULL, report jsonb NOT NULL, loaded_at timestamptz NOT NULL DEFAULT now())')
    await client.query('INSERT INTO bench_dataset (spec, report) VALUES ($1, $2)', [JSON.stringify(spec), JSON.stringify(load)])
    return load
  } finally {
    await client.end()
    await rowsClient.end()
  }
}

async function measurePoint (lines: number): Promise<PointResult> {
  const spec = { ...defaultSpec(lines), ...(values.runs === undefined ? {} : { runs: Number(values.runs) }) }
  const db = await benchDatabase(values.reuse)
  const rowsDb = await benchDatabase(values.reuse === undefined ? undefined : `${values.reuse}_rows`, { migrateWith: migrateRowStore, serverOf: db })
  try {
    let load = await loadedDataset(db.url) as StoreLoad | undefined
    const reused = load !== undefined
    const same = (a: DatasetSpec, b: DatasetSpec): boolean => (Object.keys(b) as Array<keyof DatasetSpec>).every((k) => a[k] === b[k])
    if (load !== undefined && !same(load.spec, spec)) {
      throw new Error(`database ${db.name} holds ${JSON.stringify(load.spec)}, not ${JSON.stringify(spec)}`)
    }
    if (load === undefined) {
      console.error(`loading ${lines} lines into ${db.name} (blocks) and ${rowsDb.name} (rows) ...`)
      load = await loadBoth(db, rowsDb, spec)
    }
    console.error(`${lines} lines ${reused ? 'found' : 'loaded'}: ${load.seconds.total.toFixed(0)} s; bytes a line: block store ${(load.disk.blockStore / load.disk.lines).toFixed(1)}, row store ${(load.disk.rowStore / load.disk.lines).toFixed(1)}, zstd -3 NDJSON ${(load.disk.zstdNdjson / load.disk.lines).toFixed(1)}`)
    const plans = planRuns(spec)
    const token = await benchToken()
    // Load shedding off: on a busy machine it would turn the measured requests into 503s.
    const settings = { LOG_RETENTION_DAYS: '0', EXPORT_WORKERS: '0', DATABASE_POOL_SIZE: String(poolSize), PRESSURE_MAX_EVENT_LOOP_DELAY_MS: '0' }
    // Old lines are the point: no retention, so the services never drop the data set's partitions.
    const service = await startService(db.url, settings, ['dist/server.js'])
    const rowService = withRowStore ? await startService(rowsDb.url, settings, [path.join(rowStoreRelease(), 'dist', 'server.js')]) : undefined
    const pid = service.child.pid as number
    const bare = createPool(db.url, poolSize)
    // The bare read decodes version-3 blocks too: their dictionary is fetched through this pool, as the service's.
    addDictionarySource(bare)
    const secret = 'bench-cursor-secret-bench-cursor-secret'
    const reads: ReadRow[] = []
    const explained: PointResult['plans'] = []
    let peakRssMiB = 0
    try {
      for (const shape of SHAPES) {
        const requests = readRequests(spec, plans, shape)
        explained.push({ shape: shape.name, path: (requests[0] as ReadRequest).path, plan: await explainShape(bare, requests[0] as ReadRequest) })
        // Warm-up: plans cached, pages in memory, code compiled; not measured.
        await bareLoad(bare, secret, requests, 4, Math.min(seconds, 2))
        if (rowService !== undefined) await serviceLoad(rowService.baseUrl, token, requests, 4, Math.min(seconds, 2))
        for (const connections of connectionCounts) {
          let peak = 0
          const sampler = setInterval(() => { treeRssMiB(pid).then((m) => { peak = Math.max(peak, m) }, () => undefined) }, 50)
          const service_ = await serviceLoad(service.baseUrl, token, requests, connections, seconds)
          clearInterval(sampler)
          if (shape.top === 5000 && (connections === 100 || !connectionCounts.includes(100))) peakRssMiB = Math.max(peakRssMiB, peak)
          const rows = rowService === undefined ? undefined : await serviceLoad(rowService.baseUrl, token, requests, connections, seconds)
          const bareResult = await bareLoad(bare, secret, requests, connections, seconds)
          reads.push({ shape: shape.name, connections, service: service_, bare: bareResult, ...(rows === undefined ? {} : { rows }) })
          console.error(`${lines} ${shape.name} c=${connections}: blocks ${service_.rps.toFixed(0)} req/s p50 ${service_.p50} ms (${service_.errors} errors), rows ${rows?.rps.toFixed(0) ?? '-'} req/s p50 ${rows?.p50 ?? '-'} ms, bare ${bareResult.rps.toFixed(0)} req/s p50 ${bareResult.p50.toFixed(2)} ms (${bareResult.errors} errors)`)
          // Failed requests are counted in the table; a smoke run (CI) fails on any.
          if (smoke && service_.errors + bareResult.errors > 0) throw new Error(`${shape.name} at ${connections} connections: ${service_.errors + bareResult.errors} failed requests`)
        }
      }
      const ingest = await ingestBench(service.baseUrl, db.url, token, ingestLines, 4, 'log_blocks')
      const rowIngest = rowService === undefined ? [] : await ingestBench(rowService.baseUrl, rowsDb.url, token, ingestLines, 4, 'log_lines')
      await service.stop()
      await rowService?.stop()
      const freshPeakRssMiB = await freshServicePeak(db.url, token, readRequests(spec, plans, SHAPES.find((s) => s.top === 5000) as Shape))
      return { lines, database: db.name, load: { ...load, reused }, reads, ingest, rowIngest, peakRssMiB, freshPeakRssMiB, plans: explained }
    } finally {
      await bare.end()
      await service.stop()
      await rowService?.stop()
    }
  } finally {
    // The row store's database lives on the block store's server, which db.close() stops when it is embedded.
    await rowsDb.close()
    await db.close()
  }
}

const results: PointResult[] = []
for (const lines of points) results.push(await measurePoint(lines))

// The table.
const f = (n: number, digits = 1): string => (Number.isFinite(n) ? n.toFixed(digits) : '-')
const out: string[] = []
out.push(`\nscale benchmark: ${os.cpus().length} cores, ${seconds} s per point, service and bare query DATABASE_POOL_SIZE=${poolSize}`)
const ratio = (a: number | undefined, b: number | undefined): number => (a === undefined || b === undefined ? NaN : a / b)
for (const r of results) {
  const d = r.load.disk
  out.push(`\n### ${r.lines.toLocaleString('en')} lines (${r.load.spec.runs.toLocaleString('en')} runs, ${r.load.spec.days} days; ${r.load.reused ? 'loaded earlier' : 'loaded'} in ${f(r.load.seconds.total, 0)} s)\n`)
  out.push('| disk, whole store | bytes | bytes a line | vs block store |\n|---|---|---|---|')
  for (const [name, bytes] of [['block store', d.blockStore], ['row store (9eaf22d)', d.rowStore], ['zstd -3 of the lines as NDJSON', d.zstdNdjson]] as const) {
    out.push(`| ${name} | ${bytes.toLocaleString('en')} | ${f(bytes / d.lines)} | ${f(bytes / d.blockStore, 2)}x |`)
  }
  out.push('\n| read | conns | blocks req/s | blocks p50 ms | blocks p99 ms | rows req/s | rows p50 ms | req/s blocks/rows | bare req/s | bare p50 ms | req/s blocks/bare | body bytes | errors blocks/rows/bare |')
  out.push('|---|---|---|---|---|---|---|---|---|---|---|---|---|')
  for (const x of r.reads) {
    out.push(`| ${x.shape} | ${x.connections} | ${f(x.service.rps, 0)} | ${f(x.service.p50, 0)} | ${f(x.service.p99, 0)} | ${f(x.rows?.rps ?? NaN, 0)} | ${f(x.rows?.p50 ?? NaN, 0)} | ${f(ratio(x.service.rps, x.rows?.rps), 2)} | ${f(x.bare.rps, 0)} | ${f(x.bare.p50, 2)} | ${f(x.service.rps / x.bare.rps, 2)} | ${x.service.bytes} | ${x.service.errors}/${x.rows?.errors ?? '-'}/${x.bare.errors} |`)
  }
  out.push('\n| ingest | batch | block store lines/s | row store lines/s | blocks/rows |')
  out.push('|---|---|---|---|---|')
  for (const x of [...r.ingest, ...r.rowIngest.filter((y) => y.bodyBytes === 0)]) {
    const row = r.rowIngest.find((y) => y.batch === x.batch && y.format === x.format)
    const blocks = r.ingest.includes(x) ? x.linesPerSecond : NaN
    out.push(`| ${x.format} | ${x.batch} | ${f(blocks, 0)} | ${f(row?.linesPerSecond ?? NaN, 0)} | ${f(ratio(blocks, row?.linesPerSecond), 2)} |`)
  }
  if (values.plans === true) {
    for (const p of r.plans) out.push(`\n${p.shape}: GET ${p.path}\n\`\`\`\n${p.plan}\n\`\`\``)
  }
  out.push(`\npeak RSS of the block store service under ${Math.max(...connectionCounts)} connections of $top=5000: ${f(r.freshPeakRssMiB, 0)} MiB started for it; ${f(r.peakRssMiB, 0)} MiB after the read points before it`)
}
// The issue's targets, as measured.
const baselineRun: PointResult | undefined = values.baseline === undefined
  ? undefined
  : (JSON.parse(await readFile(values.baseline, 'utf8')) as { results: PointResult[] }).results.sort((a, b) => a.lines - b.lines)[0]
const smallest = [baselineRun, ...results].filter((r): r is PointResult => r !== undefined).sort((a, b) => a.lines - b.lines)[0] as PointResult
const verdict = (ok: boolean): string => (ok ? 'holds' : 'short')
out.push('\n| target | point | measured | verdict |\n|---|---|---|---|')
for (const r of results) {
  const at = `${r.lines.toLocaleString('en')} lines`
  const d = r.load.disk
  out.push(`| disk <= zstd -3 of NDJSON | ${at} | ${f(d.blockStore / d.lines)} vs ${f(d.zstdNdjson / d.lines)} B/line | ${verdict(d.blockStore <= d.zstdNdjson)} |`)
  out.push(`| disk >= 10x less than the row store | ${at} | ${f(d.rowStore / d.blockStore, 1)}x | ${verdict(d.rowStore >= 10 * d.blockStore)} |`)
  for (const x of r.ingest) {
    const row = r.rowIngest.find((y) => y.batch === x.batch && y.format === x.format)
    if (row !== undefined) out.push(`| ingest >= 2x the row store: ${x.format}, ${x.batch} | ${at} | ${f(x.linesPerSecond / row.linesPerSecond, 2)}x (${f(x.linesPerSecond, 0)} lines/s) | ${verdict(x.linesPerSecond >= 2 * row.linesPerSecond)} |`)
    if (x.batch === 10_000) out.push(`| ingest >= 200,000 lines/s at 10,000: ${x.format} | ${at} | ${f(x.linesPerSecond, 0)} | ${verdict(x.linesPerSecond >= 200_000)} |`)
  }
  const bar: Record<string, number> = { '$top=1000': 1.8, '$top=5000': 1.5, '$top=100': 1 }
  for (const x of r.reads.filter((x) => x.connections === 10 && bar[x.shape] !== undefined && x.rows !== undefined)) {
    const want = bar[x.shape] as number
    const got = ratio(x.service.rps, x.rows?.rps)
    out.push(`| ${x.shape} at 10 conns >= ${want}x the row store | ${at} | ${f(got, 2)}x | ${verdict(got >= want)} |`)
  }
  for (const x of r.reads.filter((x) => x.shape.includes('contains='))) {
    out.push(`| contains of a word in 1 of 2,000 lines, p50 <= 10 ms, ${x.connections} conns | ${at} | ${f(x.service.p50, 0)} ms (rows ${f(x.rows?.p50 ?? NaN, 0)} ms) | ${verdict(x.service.p50 <= 10)} |`)
  }
  out.push(`| RSS <= 200 MiB under 100 conns of $top=5000 (here ${Math.max(...connectionCounts)}), service started for it | ${at} | ${f(r.freshPeakRssMiB, 0)} MiB | ${verdict(r.freshPeakRssMiB <= 200)} |`)
  if (r !== smallest) {
    for (const x of r.reads) {
      const small = smallest.reads.find((y) => y.shape === x.shape && y.connections === x.connections)
      if (small === undefined) continue
      const p = x.service.p50 / small.service.p50
      // autocannon counts whole milliseconds: two p50s of 0 say "under 1 ms", not a ratio.
      out.push(`| p50 within 1.5x of ${smallest.lines.toLocaleString('en')} lines: ${x.shape}, ${x.connections} conns | ${at} | ${f(p, 2)}x (${f(x.service.p50, 0)} vs ${f(small.service.p50, 0)} ms) | ${small.service.p50 === 0 ? 'under 1 ms at both' : verdict(p <= 1.5)} |`)
    }
  }
}
console.log(out.join('\n'))

await mkdir('bench/results', { recursive: true })
const file = `bench/results/scale-${new Date().toISOString().replace(/[:.]/g, '-')}.json`
await writeFile(file, JSON.stringify({ kind: 'scale', cores: os.cpus().length, seconds, connections: connectionCounts, results }, null, 2) + '\n')
console.log(`wrote ${file}`)

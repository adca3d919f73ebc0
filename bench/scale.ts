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
//   --baseline FILE         also compare read p50s with the smallest point of an earlier results file
//   --smoke                 20,000 lines, 1 s points, 1 and 10 connections: that it runs, not the numbers
import { execFileSync } from 'node:child_process'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import os from 'node:os'
import { parseArgs } from 'node:util'
import { createPool } from '../src/store/pool.js'
import { defaultSpec, planRuns, type DatasetSpec } from './dataset.js'
import { benchDatabase, benchToken, memoryOf, startService } from './harness.js'
import { loadDataset, loadedDataset, type LoadReport } from './load.js'
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
    plans: { type: 'boolean', default: false },
    baseline: { type: 'string' }
  }
})
const smoke = values.smoke
const points = smoke ? [20_000] : (values.points ?? values.lines).split(',').map(Number)
const seconds = smoke ? 1 : Number(values.duration)
const connectionCounts = smoke ? [1, 10] : values.connections.split(',').map(Number)
const ingestLines = smoke ? 20_000 : Number(values['ingest-lines'])
// A pool sized to the cores (docs/performance.md) unless DATABASE_POOL_SIZE says otherwise; the bare query gets the same.
const poolSize = Number(process.env.DATABASE_POOL_SIZE ?? os.availableParallelism())
if (values.reuse !== undefined && points.length > 1) throw new Error('--reuse keeps one store: give one --lines')
if (points.some((n) => !Number.isInteger(n) || n < 1000)) throw new Error('--lines must be whole numbers of at least 1000')

// The service as it is deployed (`npm start`): compiled, no TypeScript loader in its memory.
console.error('building dist/ ...')
execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], { stdio: 'inherit' })

interface ReadRow { shape: string, connections: number, service: LoadResult, bare: LoadResult }
interface PointResult { lines: number, database: string, load: LoadReport & { reused: boolean }, reads: ReadRow[], ingest: IngestRow[], peakRssMiB: number, freshPeakRssMiB: number, plans: Array<{ shape: string, path: string, plan: string }> }

/** Resident memory of a process and its children (cluster workers), summed. */
async function treeRssMiB (pid: number): Promise<number> {
  const children = (await readFile(`/proc/${pid}/task/${pid}/children`, 'utf8').catch(() => '')).trim().split(/\s+/).filter(Boolean).map(Number)
  let total = (await memoryOf(pid).catch(() => ({ rssMiB: 0 }))).rssMiB
  for (const child of children) total += await treeRssMiB(child)
  return total
}

/**
 * The memory target alone: a service started for it, under the largest connection count of `$top=5000`
 * (the read points before it leave V8's heap grown, which the figure after them includes).
 */
async function freshServicePeak (url: string, token: string, requests: ReadRequest[]): Promise<number> {
  const service = await startService(url, { LOG_RETENTION_DAYS: '0', EXPORT_WORKERS: '0', DATABASE_POOL_SIZE: String(poolSize) }, ['dist/server.js'])
  try {
    const pid = service.child.pid as number
    let peak = 0
    const sampler = setInterval(() => { treeRssMiB(pid).then((m) => { peak = Math.max(peak, m) }, () => undefined) }, 50)
    await serviceLoad(service.baseUrl, token, requests, Math.max(...connectionCounts), seconds)
    clearInterval(sampler)
    return peak
  } finally {
    await service.stop()
  }
}

async function measurePoint (lines: number): Promise<PointResult> {
  const spec = defaultSpec(lines)
  const db = await benchDatabase(values.reuse)
  try {
    let load = await loadedDataset(db.url)
    const reused = load !== undefined
    const same = (a: DatasetSpec, b: DatasetSpec): boolean => (Object.keys(b) as Array<keyof DatasetSpec>).every((k) => a[k] === b[k])
    if (load !== undefined && !same(load.spec, spec)) {
      throw new Error(`database ${db.name} holds ${JSON.stringify(load.spec)}, not ${JSON.stringify(spec)}`)
    }
    if (load === undefined) {
      console.error(`loading ${lines} lines into ${db.name} ...`)
      load = await loadDataset(db.url, spec, (text) => { console.error(text) })
    }
    console.error(`${lines} lines ${reused ? 'found' : 'loaded'} in ${db.name}: ${load.seconds.total.toFixed(0)} s, ${((load.bytes.table + load.bytes.indexes) / 2 ** 30).toFixed(2)} GiB`)
    const plans = planRuns(spec)
    const token = await benchToken()
    // Old lines are the point: no retention, so the service never drops the data set's partitions.
    const service = await startService(db.url, { LOG_RETENTION_DAYS: '0', EXPORT_WORKERS: '0', DATABASE_POOL_SIZE: String(poolSize) }, ['dist/server.js'])
    const pid = service.child.pid as number
    const bare = createPool(db.url, poolSize)
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
        for (const connections of connectionCounts) {
          let peak = 0
          const sampler = setInterval(() => { treeRssMiB(pid).then((m) => { peak = Math.max(peak, m) }, () => undefined) }, 50)
          const service_ = await serviceLoad(service.baseUrl, token, requests, connections, seconds)
          clearInterval(sampler)
          if (shape.top === 5000 && (connections === 100 || !connectionCounts.includes(100))) peakRssMiB = Math.max(peakRssMiB, peak)
          const bareResult = await bareLoad(bare, secret, requests, connections, seconds)
          reads.push({ shape: shape.name, connections, service: service_, bare: bareResult })
          console.error(`${lines} ${shape.name} c=${connections}: service ${service_.rps.toFixed(0)} req/s p50 ${service_.p50} ms (${service_.errors} errors), bare ${bareResult.rps.toFixed(0)} req/s p50 ${bareResult.p50.toFixed(2)} ms (${bareResult.errors} errors)`)
          // Failed requests are counted in the table; a smoke run (CI) fails on any.
          if (smoke && service_.errors + bareResult.errors > 0) throw new Error(`${shape.name} at ${connections} connections: ${service_.errors + bareResult.errors} failed requests`)
        }
      }
      const ingest = await ingestBench(service.baseUrl, db.url, token, ingestLines, 4)
      await service.stop()
      const freshPeakRssMiB = await freshServicePeak(db.url, token, readRequests(spec, plans, SHAPES.find((s) => s.top === 5000) as Shape))
      return { lines, database: db.name, load: { ...load, reused }, reads, ingest, peakRssMiB, freshPeakRssMiB, plans: explained }
    } finally {
      await bare.end()
      await service.stop()
    }
  } finally {
    await db.close()
  }
}

const results: PointResult[] = []
for (const lines of points) results.push(await measurePoint(lines))

// The table.
const f = (n: number, digits = 1): string => (Number.isFinite(n) ? n.toFixed(digits) : '-')
const out: string[] = []
out.push(`\nscale benchmark: ${os.cpus().length} cores, ${seconds} s per point, service and bare query DATABASE_POOL_SIZE=${poolSize}`)
for (const r of results) {
  const gib = (r.load.bytes.table + r.load.bytes.indexes) / 2 ** 30
  out.push(`\n### ${r.lines.toLocaleString('en')} lines (${r.load.spec.runs.toLocaleString('en')} runs, ${r.load.spec.days} daily partitions, ${f(gib, 2)} GiB with indexes; ` +
    `${r.load.reused ? 'loaded earlier' : 'loaded'} in ${f(r.load.seconds.total, 0)} s: COPY ${f(r.load.seconds.generateAndCopy, 0)} s, then keys and ATTACH ${f(r.load.seconds.indexAndAttach, 0)} s)\n`)
  out.push('| read | conns | service req/s | service p50 ms | service p99 ms | limit req/s | limit p50 ms | limit p99 ms | req/s service/limit | p50 service/limit | body bytes | errors service/limit |')
  out.push('|---|---|---|---|---|---|---|---|---|---|---|---|')
  for (const x of r.reads) {
    out.push(`| ${x.shape} | ${x.connections} | ${f(x.service.rps, 0)} | ${f(x.service.p50, 0)} | ${f(x.service.p99, 0)} | ${f(x.bare.rps, 0)} | ${f(x.bare.p50, 2)} | ${f(x.bare.p99, 2)} | ${f(x.service.rps / x.bare.rps, 2)} | ${f(x.service.p50 / x.bare.p50, 2)} | ${x.service.bytes} | ${x.service.errors}/${x.bare.errors} |`)
  }
  out.push('\n| ingest | batch | lines/s | vs raw COPY |')
  out.push('|---|---|---|---|')
  for (const x of r.ingest) {
    const copy = r.ingest.find((c) => c.batch === x.batch && c.bodyBytes === 0)?.linesPerSecond ?? NaN
    out.push(`| ${x.format} | ${x.batch} | ${f(x.linesPerSecond, 0)} | ${f(100 * x.linesPerSecond / copy, 0)}% |`)
  }
  if (values.plans === true) {
    for (const p of r.plans) out.push(`\n${p.shape}: GET ${p.path}\n\`\`\`\n${p.plan}\n\`\`\``)
  }
  out.push(`\npeak RSS of the service (all its processes) under ${Math.max(...connectionCounts)} connections of $top=5000: ${f(r.freshPeakRssMiB, 0)} MiB started for it; ${f(r.peakRssMiB, 0)} MiB after the read points before it`)
}
// The targets, as measured.
const baselineRun: PointResult | undefined = values.baseline === undefined
  ? undefined
  : (JSON.parse(await readFile(values.baseline, 'utf8')) as { results: PointResult[] }).results.sort((a, b) => a.lines - b.lines)[0]
const smallest = [baselineRun, ...results].filter((r): r is PointResult => r !== undefined).sort((a, b) => a.lines - b.lines)[0] as PointResult
const verdict = (ok: boolean): string => (ok ? 'holds' : 'short')
out.push('\n| target | point | measured | verdict |\n|---|---|---|---|')
for (const r of results) {
  const at = `${r.lines.toLocaleString('en')} lines`
  for (const x of r.reads.filter((x) => x.shape === '$top=1000')) {
    const ratio = x.service.p50 / x.bare.p50
    out.push(`| $top=1000 p50 within 1.5x the bare query, ${x.connections} conns | ${at} | ${f(ratio, 2)}x (${f(x.service.p50, 0)} vs ${f(x.bare.p50, 2)} ms) | ${verdict(ratio <= 1.5)} |`)
  }
  const top100 = r.reads.find((x) => x.shape === '$top=100' && x.connections === 10)
  if (top100 !== undefined) out.push(`| $top=100 at 10 conns >= 1,500 req/s | ${at} | ${f(top100.service.rps, 0)} req/s | ${verdict(top100.service.rps >= 1500)} |`)
  for (const x of r.ingest.filter((x) => x.bodyBytes > 0)) {
    const copy = r.ingest.find((c) => c.batch === x.batch && c.bodyBytes === 0)?.linesPerSecond ?? NaN
    out.push(`| ingest >= 100,000 lines/s and >= 50% of raw COPY: ${x.format}, ${x.batch} | ${at} | ${f(x.linesPerSecond, 0)} lines/s, ${f(100 * x.linesPerSecond / copy, 0)}% | ${verdict(x.linesPerSecond >= 100_000 && x.linesPerSecond >= copy / 2)} |`)
  }
  out.push(`| RSS < 200 MB under 100 conns of $top=5000 (here ${Math.max(...connectionCounts)}), service started for it | ${at} | ${f(r.freshPeakRssMiB, 0)} MiB | ${verdict(r.freshPeakRssMiB * 2 ** 20 < 200e6)} |`)
  out.push(`| the same, after all the read points in one service | ${at} | ${f(r.peakRssMiB, 0)} MiB | ${verdict(r.peakRssMiB * 2 ** 20 < 200e6)} |`)
  if (r !== smallest) {
    for (const x of r.reads) {
      const small = smallest.reads.find((y) => y.shape === x.shape && y.connections === x.connections)
      if (small === undefined) continue
      const ratio = x.service.p50 / small.service.p50
      // autocannon counts whole milliseconds: two p50s of 0 say "under 1 ms", not a ratio.
      out.push(`| p50 within 1.5x of ${smallest.lines.toLocaleString('en')} lines: ${x.shape}, ${x.connections} conns | ${at} | ${f(ratio, 2)}x (${f(x.service.p50, 0)} vs ${f(small.service.p50, 0)} ms) | ${small.service.p50 === 0 ? 'under 1 ms at both' : verdict(ratio <= 1.5)} |`)
    }
  }
}
console.log(out.join('\n'))

await mkdir('bench/results', { recursive: true })
const file = `bench/results/scale-${new Date().toISOString().replace(/[:.]/g, '-')}.json`
await writeFile(file, JSON.stringify({ kind: 'scale', cores: os.cpus().length, seconds, connections: connectionCounts, results }, null, 2) + '\n')
console.log(`wrote ${file}`)

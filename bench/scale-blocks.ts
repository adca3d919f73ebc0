// `npm run bench -- scale-blocks`: the read target "p50 at 100 M lines within 1.5x of p50 at 1 M", on the
// block store alone. Two stores, loaded with bounded memory (grow-blocks.ts): the scale data set of --base
// lines, and the same data set grown by further slices of runs over the same days to --lines. The same
// requests, over the same runs (the largest of the base data set, as scale chooses them), go to a service
// on each store, one store right after the other at every point, and to the bare query on each; the table
// gives the ratio of the p50s beside the target. The row store is not loaded: at 100 M lines it would be
// about 40 GB and hours of COPY and index builds.
//   --lines 100000000   the large store          --base 1000000       the small store and the slice size
//   --generated 4       slices generated; the large store's others are copies of them under new run ids
//   --duration 10       seconds per point        --connections 1,10   autocannon connections (bare callers)
//   --reuse NAME        keep the stores in NAME (large) and NAME_base on BENCH_DATABASE_URL's server: a load
//                       stopped midway resumes, a finished one is measured again without loading
//   --plans             print the plan of each shape's first request on both stores
//   --smoke             20,000 and 60,000 lines, 1 s points, 1 connection: that it runs, not the numbers
import { mkdir, writeFile } from 'node:fs/promises'
import os from 'node:os'
import { parseArgs } from 'node:util'
import { build } from '../scripts/build.js'
import { createPool } from '../src/store/pool.js'
import { planRuns } from './dataset.js'
import { growBlockStore, sliceSpec, type GrowReport } from './grow-blocks.js'
import { benchDatabase, benchToken, startService } from './harness.js'
import { storeBytes } from './row-store.js'
import { bareLoad, explainShape, readRequests, serviceLoad, SHAPES, TARGET_RUNS, type LoadResult, type ReadRequest } from './scale-reads.js'

const { values } = parseArgs({
  args: process.argv.slice(3),
  options: {
    lines: { type: 'string', default: '100000000' },
    base: { type: 'string', default: '1000000' },
    generated: { type: 'string', default: '4' },
    duration: { type: 'string', default: '10' },
    connections: { type: 'string', default: '1,10' },
    reuse: { type: 'string' },
    plans: { type: 'boolean', default: false },
    smoke: { type: 'boolean', default: false }
  }
})
const smoke = values.smoke
const base = smoke ? 20_000 : Number(values.base)
const lines = smoke ? 60_000 : Number(values.lines)
const generated = smoke ? 2 : Number(values.generated)
const seconds = smoke ? 1 : Number(values.duration)
const connectionCounts = smoke ? [1] : values.connections.split(',').map(Number)
if (!Number.isInteger(base) || base < 1000 || !Number.isInteger(lines) || lines <= base || lines % base !== 0) {
  throw new Error('--lines must be a whole multiple (more than one) of --base, and --base at least 1000')
}
const poolSize = Number(process.env.DATABASE_POOL_SIZE ?? os.availableParallelism())
// The target's shapes: first pages of 100, 1,000 and 5,000 lines, a descending page and a rare word.
const shapes = SHAPES.filter((s) => s.filters?.stream === undefined && (s.order === 'asc' || s.top === 1000))

if ((await build({ ifStale: true, only: ['server'] })).length > 0) console.error('built dist/')

const small = await benchDatabase(values.reuse === undefined ? undefined : `${values.reuse}_base`)
const large = await benchDatabase(values.reuse, { serverOf: small })
interface Point { shape: string, connections: number, small: LoadResult, large: LoadResult, bareSmall: LoadResult, bareLarge: LoadResult }
const points: Point[] = []
let loads: { small: GrowReport, large: GrowReport, smallBytes: number, largeBytes: number }
const started = performance.now()
try {
  const progress = (text: string): void => { console.error(text) }
  const smallLoad = await growBlockStore(small.url, base, base, 1, progress)
  const largeLoad = await growBlockStore(large.url, lines, base, generated, progress)
  loads = { small: smallLoad, large: largeLoad, smallBytes: await storeBytes(small.url, 'log_blocks'), largeBytes: await storeBytes(large.url, 'log_blocks') }
  console.error(`loaded: ${base} lines in ${smallLoad.seconds.toFixed(0)} s, ${lines} lines in ${largeLoad.seconds.toFixed(0)} s (${largeLoad.loadedSlices} slices loaded now)`)

  const spec = sliceSpec(0, base)
  const plans = planRuns(spec)
  const token = await benchToken()
  const settings = { LOG_RETENTION_DAYS: '0', EXPORT_WORKERS: '0', DATABASE_POOL_SIZE: String(poolSize), PRESSURE_MAX_EVENT_LOOP_DELAY_MS: '0' }
  const smallService = await startService(small.url, settings, ['dist/server.js'])
  const largeService = await startService(large.url, settings, ['dist/server.js'])
  const smallPool = createPool(small.url, poolSize)
  const largePool = createPool(large.url, poolSize)
  const secret = 'bench-cursor-secret-bench-cursor-secret'
  try {
    for (const shape of shapes) {
      const requests = readRequests(spec, plans, shape)
      if (values.plans) {
        for (const [name, pool] of [['small', smallPool], ['large', largePool]] as const) {
          console.error(`plan, ${name} store, ${shape.name}:\n${await explainShape(pool, requests[0] as ReadRequest)}`)
        }
      }
      // Warm-up of both stores: plans cached, the runs' pages in memory, code compiled; not measured.
      for (const pool of [smallPool, largePool]) await bareLoad(pool, secret, requests, 4, Math.min(seconds, 2))
      for (const service of [smallService, largeService]) await serviceLoad(service.baseUrl, token, requests, 4, Math.min(seconds, 2))
      for (const connections of connectionCounts) {
        const point: Point = {
          shape: shape.name,
          connections,
          small: await serviceLoad(smallService.baseUrl, token, requests, connections, seconds),
          large: await serviceLoad(largeService.baseUrl, token, requests, connections, seconds),
          bareSmall: await bareLoad(smallPool, secret, requests, connections, seconds),
          bareLarge: await bareLoad(largePool, secret, requests, connections, seconds)
        }
        points.push(point)
        console.error(`${shape.name} c=${connections}: ${base} lines ${point.small.rps.toFixed(0)} req/s p50 ${point.small.p50} ms, ${lines} lines ${point.large.rps.toFixed(0)} req/s p50 ${point.large.p50} ms; bare p50 ${point.bareSmall.p50.toFixed(2)} vs ${point.bareLarge.p50.toFixed(2)} ms`)
        const errors = point.small.errors + point.large.errors + point.bareSmall.errors + point.bareLarge.errors
        if (smoke && errors > 0) throw new Error(`${shape.name} at ${connections} connections: ${errors} failed requests`)
      }
    }
  } finally {
    await smallPool.end()
    await largePool.end()
    await smallService.stop()
    await largeService.stop()
  }
} finally {
  await large.close()
  await small.close()
}

const f = (n: number, digits = 1): string => (Number.isFinite(n) ? n.toFixed(digits) : '-')
const n = (x: number): string => x.toLocaleString('en')
const target = plans0Summary()
const out: string[] = []
out.push(`\nscale-blocks: the block store alone at ${n(base)} and ${n(lines)} lines; ${os.cpus().length} cores, ${seconds} s per point, DATABASE_POOL_SIZE=${poolSize}, ${((performance.now() - started) / 1000).toFixed(0)} s in all`)
out.push(`The row store is not measured: at ${n(lines)} lines it would hold about 400 bytes a line (~${f(lines * 400 / 1e9, 0)} GB), out of reach of this machine.`)
out.push(`Both stores: slices of ${n(base)} lines (${n(sliceSpec(0, base).runs)} runs over the same ${sliceSpec(0, base).days} days); slice 0 is the scale data set of ${n(base)} lines. The large store: ${n(loads.large.slices)} slices, ${n(loads.large.generatedSlices)} generated, the others copies of those under new run ids.`)
out.push(`Reads: the ${TARGET_RUNS} largest runs of slice 0 (${target}), the same requests to both stores.\n`)
out.push('| store | lines | bytes | bytes a line | loaded now in |\n|---|---|---|---|---|')
for (const [name, load, bytes] of [['small', loads.small, loads.smallBytes], ['large', loads.large, loads.largeBytes]] as const) {
  out.push(`| ${name} | ${n(load.lines)} | ${n(bytes)} | ${f(bytes / load.lines)} | ${load.loadedSlices === 0 ? 'loaded earlier' : `${f(load.seconds, 0)} s (${load.loadedSlices} of ${load.slices} slices)`} |`)
}
out.push(`\n| read | conns | ${n(base)}: req/s | p50 ms | ${n(lines)}: req/s | p50 ms | p50 ratio | target | bare p50 ms, ${n(base)} | bare p50 ms, ${n(lines)} | bare ratio | errors |`)
out.push('|---|---|---|---|---|---|---|---|---|---|---|---|')
for (const p of points) {
  const ratio = p.large.p50 / p.small.p50
  // autocannon counts whole milliseconds: two p50s of 0 say "under 1 ms", not a ratio.
  const verdict = p.small.p50 === 0 ? (p.large.p50 === 0 ? 'under 1 ms at both' : `${p.large.p50} ms vs under 1: FAIL`) : `${f(ratio, 2)}x ${ratio <= 1.5 ? 'PASS' : 'FAIL'}`
  const errors = [p.small, p.large, p.bareSmall, p.bareLarge].map((r) => r.errors).join('/')
  out.push(`| ${p.shape} | ${p.connections} | ${f(p.small.rps, 0)} | ${p.small.p50} | ${f(p.large.rps, 0)} | ${p.large.p50} | ${verdict} | <= 1.5x | ${f(p.bareSmall.p50, 2)} | ${f(p.bareLarge.p50, 2)} | ${f(p.bareLarge.p50 / p.bareSmall.p50, 2)}x | ${errors} |`)
}
console.log(out.join('\n'))
await mkdir('bench/results', { recursive: true })
const file = `bench/results/scale-blocks-${new Date().toISOString().replace(/[:.]/g, '-')}.json`
await writeFile(file, JSON.stringify({ kind: 'scale-blocks', cores: os.cpus().length, seconds, connections: connectionCounts, base, lines, loads, points }, null, 2) + '\n')
console.log(`wrote ${file}`)

function plans0Summary (): string {
  const runs = planRuns(sliceSpec(0, base)).slice(0, TARGET_RUNS)
  return `${n(runs[runs.length - 1]?.lines ?? 0)} to ${n(runs[0]?.lines ?? 0)} lines each`
}

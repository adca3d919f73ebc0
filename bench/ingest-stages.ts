// `npm run bench -- ingest-stages [--lines 10000] [--rounds 30]`: where a native JSON write's CPU goes, in
// this process, stage by stage, on one body of the data set's lines (bench/messages.ts): the body scanned
// and parsed, its lines checked (ingest-body.ts), cut into blocks, encoded, filtered and compressed
// (block-build.ts; zstd runs on libuv's pool, whose CPU is counted too). CPU time, not wall time: on a
// shared machine it moves far less than lines per second do. HTTP, the transaction and PostgreSQL are not
// in it (`npm run bench -- ingest` measures them end to end, with the service's CPU a line).
import { parseArgs } from 'node:util'
import { ItemBudget } from '../src/ingest/item-budget.js'
import { parseJsonBody } from '../src/ingest/json-scan.js'
import { LINE_ITEMS, linesOf, parseLogBatch } from '../src/ingest/lines.js'
import { ingestLimits } from '../src/ingest/line-checks.js'
import { buildBlocks } from '../src/store/block-build.js'
import { FORMATS, makeLines } from './scale-ingest.js'

const { values } = parseArgs({ args: process.argv.slice(3), options: { lines: { type: 'string', default: '10000' }, rounds: { type: 'string', default: '30' } } })
const n = Number(values.lines)
const rounds = Number(values.rounds)
const warmUp = Math.min(5, rounds - 1)
const body = (FORMATS[0] as typeof FORMATS[0]).body(makeLines(n))
const limits = ingestLimits(BigInt(Date.now()) * 1_000_000n, 0, 300, 65_536)
const cpuMs = (): number => { const u = process.cpuUsage(); return (u.user + u.system) / 1000 }
const spent = { 'scan and parse the body': 0, 'check the lines': 0, 'build blocks (encode, filter, zstd)': 0 }
for (let r = 0; r < rounds; r++) {
  const t0 = cpuMs()
  const raw = linesOf(parseJsonBody(body, new ItemBudget(n, body.length, 'lines'), LINE_ITEMS))
  const t1 = cpuMs()
  const batch = parseLogBatch(raw, limits)
  const t2 = cpuMs()
  await buildBlocks(batch?.lines ?? [])
  const t4 = cpuMs()
  if (r < warmUp) continue
  spent['scan and parse the body'] += t1 - t0
  spent['check the lines'] += t2 - t1
  spent['build blocks (encode, filter, zstd)'] += t4 - t2
}
const perLine = (ms: number): number => ms * 1000 / ((rounds - warmUp) * n)
console.log(`\ningest stages: one native JSON body of ${n} lines (${(body.length / n).toFixed(0)} bytes a line), ${rounds - warmUp} measured rounds, CPU time`)
console.log('| stage | CPU µs a line |\n|---|---|')
let total = 0
for (const [stage, ms] of Object.entries(spent)) {
  total += perLine(ms)
  console.log(`| ${stage} | ${perLine(ms).toFixed(2)} |`)
}
console.log(`| total | ${total.toFixed(2)} (one core: ${Math.round(1e6 / total).toLocaleString('en')} lines/s before HTTP and the database) |`)

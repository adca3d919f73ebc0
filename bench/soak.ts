// `npm run bench -- soak [--connections 200] [--duration 60]`: a long mixed load (pages of several sizes,
// newest-first pages, JSON and NDJSON writes) through many connections; reports answers by status, latency
// percentiles and the service's resident memory at start and end. Rate limits are off (startService: one
// token drives every connection); load shedding keeps its defaults, so a 503 here means it shed load.
import { writeFile } from 'node:fs/promises'
import { parseArgs } from 'node:util'
import autocannon from 'autocannon'
import { benchDatabase, benchToken, memoryOf, startService } from './harness.js'

const { values } = parseArgs({
  args: process.argv.slice(3),
  options: {
    connections: { type: 'string', default: '200' },
    duration: { type: 'string', default: '60' },
    runs: { type: 'string', default: '20' },
    lines: { type: 'string', default: '200000' }
  }
})
const connections = Number(values.connections)
const duration = Number(values.duration)
const runs = Number(values.runs)
const preload = Number(values.lines)

const db = await benchDatabase()
const service = await startService(db.url)
const token = await benchToken()
const auth = { authorization: `Bearer ${token}` }
const base = Date.now() - 50 * 60_000
const line = (i: number, at: number): object => ({ timestamp: new Date(at + i).toISOString(), msg: `request ${i} handled ` + 'payload '.repeat(1 + (i % 20)), pod: `pod-${i % 3}`, container: 'main' })

for (let run = 0; run < runs; run++) {
  const per = Math.ceil(preload / runs)
  for (let offset = 0; offset < per; offset += 10_000) {
    const lines = Array.from({ length: Math.min(10_000, per - offset) }, (_, k) => line(offset + k, base))
    const res = await fetch(`${service.baseUrl}/v2/lm/deployments/soak-${run}/logs`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify(lines) })
    if (!res.ok) throw new Error(`preload failed: ${res.status} ${await res.text()}`)
  }
}

const start = new Date(base - 60_000).toISOString()
const read = (query: string): autocannon.Request => ({ method: 'GET', path: `/v2/lm/deployments/soak-0/logs?start=${start}&${query}`, headers: auth })
const writeBody = JSON.stringify(Array.from({ length: 100 }, (_, i) => line(i, Date.now() - 60_000)))
const ndjsonBody = Array.from({ length: 100 }, (_, i) => JSON.stringify(line(i, Date.now() - 60_000))).join('\n')
// Each connection cycles through these; setupRequest spreads them over the runs.
const requests: autocannon.Request[] = [
  read('$top=100'),
  { method: 'POST', path: '/v2/lm/deployments/soak-0/logs', headers: { ...auth, 'content-type': 'application/json' }, body: writeBody },
  read('$top=1000'),
  read('$top=100&$order=desc'),
  { method: 'POST', path: '/v2/lm/executions/soak-w/logs', headers: { ...auth, 'content-type': 'application/x-ndjson' }, body: ndjsonBody },
  read('$top=5000&contains=handled')
]
let counter = 0
const spread = (request: autocannon.Request): autocannon.Request =>
  ({ ...request, path: (request.path ?? '').replace(/soak-0|soak-w/, (m) => m === 'soak-0' ? `soak-${counter++ % runs}` : `soak-w-${counter++ % 50}`) })

const memoryStart = await memoryOf(service.child.pid as number)
const result = await autocannon({
  url: service.baseUrl,
  connections,
  duration,
  requests: requests.map((r) => ({ ...r, setupRequest: spread })),
  timeout: 30
})
const memoryEnd = await memoryOf(service.child.pid as number)
const metrics = await (await fetch(`${service.baseUrl}/metrics`)).text()
await service.stop()
await db.close()

const byStatus = Object.fromEntries(Object.entries(result.statusCodeStats ?? {}).map(([status, s]) => [status, s.count ?? 0]))
const ingested = metrics.split('\n').filter((l) => l.startsWith('runlogs_lines_ingested_total')).reduce((sum, l) => sum + Number(l.split(' ')[1]), 0)
const summary = {
  kind: 'soak',
  server: db.server,
  connections,
  durationSeconds: duration,
  preloadedLines: preload,
  requests: result.requests.total,
  requestsPerSecond: result.requests.average,
  byStatus,
  connectionErrors: result.errors,
  timeouts: result.timeouts,
  latencyMs: { p50: result.latency.p50, p90: result.latency.p90, p99: result.latency.p99, max: result.latency.max },
  rssMiB: { start: memoryStart.rssMiB, end: memoryEnd.rssMiB, peak: memoryEnd.hwmMiB },
  linesIngested: ingested
}
console.log(`\nsoak: ${connections} connections for ${duration} s on ${db.server} (mixed: pages of 100, 1000 and 5000 lines, newest-first pages, JSON and NDJSON writes of 100 lines)`)
console.log('| requests | req/s | by status | connection errors | timeouts | p50 ms | p90 ms | p99 ms | max ms | RSS start MiB | RSS end MiB | RSS peak MiB |')
console.log('|---|---|---|---|---|---|---|---|---|---|---|---|')
console.log(`| ${summary.requests} | ${Math.round(summary.requestsPerSecond)} | ${Object.entries(byStatus).map(([s, n]) => `${s}: ${n}`).join(', ')} | ${summary.connectionErrors} | ${summary.timeouts} | ` +
  `${summary.latencyMs.p50} | ${summary.latencyMs.p90} | ${summary.latencyMs.p99} | ${summary.latencyMs.max} | ${memoryStart.rssMiB.toFixed(0)} | ${memoryEnd.rssMiB.toFixed(0)} | ${memoryEnd.hwmMiB.toFixed(0)} |`)
const file = `bench/results/soak-${new Date().toISOString().replace(/[:.]/g, '-')}.json`
await writeFile(file, JSON.stringify(summary, null, 2) + '\n')
console.log(`wrote ${file}`)

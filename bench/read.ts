// `npm run bench -- read [--lines 100000] [--runs 10] [--duration 10]`: loads lines through the service's
// ingest endpoint, then measures GET latency one request at a time and throughput under autocannon.
import { writeFile } from 'node:fs/promises'
import { parseArgs } from 'node:util'
import autocannon from 'autocannon'
import { benchDatabase, benchToken, percentile, startService } from './harness.js'

const { values } = parseArgs({
  args: process.argv.slice(3),
  options: {
    lines: { type: 'string', default: '100000' },
    runs: { type: 'string', default: '10' },
    duration: { type: 'string', default: '10' },
    samples: { type: 'string', default: '500' }
  }
})
const totalLines = Number(values.lines)
const runs = Number(values.runs)
const perRun = Math.ceil(totalLines / runs)
const BATCH = 10_000

const db = await benchDatabase()
const service = await startService(db.url)
const token = await benchToken()
const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' }

// Lines of the last 50 minutes, with bursts of equal timestamps (every 20 lines share one).
const base = Date.now() - 50 * 60_000
let loaded = 0
const loadStart = performance.now()
for (let run = 0; run < runs; run++) {
  for (let offset = 0; offset < perRun; offset += BATCH) {
    const n = Math.min(BATCH, perRun - offset)
    const lines = Array.from({ length: n }, (_, k) => {
      const i = offset + k
      return {
        timestamp: new Date(base + Math.floor(i / 20) * 7).toISOString().replace('Z', `${String(i % 1000).padStart(3, '0')}Z`),
        msg: `request ${i} handled in ${i % 97} ms ` + 'payload '.repeat(1 + (i % 40)),
        pod: `pod-${i % 3}`,
        container: i % 4 === 0 ? 'sidecar' : 'main',
        stream: i % 9 === 0 ? 'stderr' : 'stdout'
      }
    })
    const res = await fetch(`${service.baseUrl}/v2/lm/deployments/run-${run}/logs`, { method: 'POST', headers, body: JSON.stringify(lines) })
    if (!res.ok) throw new Error(`ingest failed: ${res.status} ${await res.text()}`)
    loaded += n
  }
}
const loadSeconds = (performance.now() - loadStart) / 1000

const url = (top: number, run = 0): string =>
  `${service.baseUrl}/v2/lm/deployments/run-${run}/logs?$top=${top}&start=${new Date(base - 60_000).toISOString()}`

async function sequential (top: number, samples: number): Promise<{ p50: number, p99: number, bytes: number }> {
  const times: number[] = []
  let bytes = 0
  for (let i = 0; i < samples; i++) {
    const t0 = performance.now()
    const res = await fetch(url(top, i % runs), { headers })
    const body = await res.text()
    times.push(performance.now() - t0)
    if (!res.ok) throw new Error(`read failed: ${res.status} ${body}`)
    bytes = body.length
  }
  times.sort((a, b) => a - b)
  return { p50: percentile(times, 50), p99: percentile(times, 99), bytes }
}

async function load (top: number, connections: number): Promise<{ rps: number, p50: number, p99: number, errors: number }> {
  const result = await autocannon({ url: url(top), connections, duration: Number(values.duration), headers: { authorization: headers.authorization } })
  return { rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99, errors: result.errors + result.non2xx }
}

const samples = Number(values.samples)
await sequential(1000, 50) // warm-up: prepared statements, plan cache, JIT of the render path
const rows = []
for (const top of [100, 1000, 5000]) {
  const one = await sequential(top, top === 5000 ? Math.ceil(samples / 5) : samples)
  const ten = await load(top, 10)
  rows.push({ top, bodyBytes: one.bytes, sequentialP50ms: one.p50, sequentialP99ms: one.p99, c10rps: ten.rps, c10p50ms: ten.p50, c10p99ms: ten.p99, c10errors: ten.errors })
}
await service.stop()
await db.close()

const fmt = (n: number): string => n.toFixed(2)
console.log(`\nread benchmark: ${loaded} lines in ${runs} runs on ${db.server}; loaded over HTTP in ${loadSeconds.toFixed(1)} s (${Math.round(loaded / loadSeconds)} lines/s)`)
console.log('| $top | body bytes | 1 conn p50 ms | 1 conn p99 ms | 10 conn req/s | 10 conn p50 ms | 10 conn p99 ms | errors |')
console.log('|---|---|---|---|---|---|---|---|')
for (const r of rows) {
  console.log(`| ${r.top} | ${r.bodyBytes} | ${fmt(r.sequentialP50ms)} | ${fmt(r.sequentialP99ms)} | ${Math.round(r.c10rps)} | ${r.c10p50ms} | ${r.c10p99ms} | ${r.c10errors} |`)
}
const file = `bench/results/read-${new Date().toISOString().replace(/[:.]/g, '-')}.json`
await writeFile(file, JSON.stringify({ kind: 'read', lines: loaded, runs, server: db.server, loadSeconds, rows }, null, 2) + '\n')
console.log(`wrote ${file}`)

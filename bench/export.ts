// `npm run bench -- export [--runs 1000] [--lines 1000]`: loads runs x lines straight into the store with
// COPY, requests one export of all of them through the service's HTTP API, waits for READY and prints the
// time it took and the service process's peak RSS (VmHWM), before and after the export.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { parseArgs } from 'node:util'
import pg from 'pg'
import { from as copyFrom } from 'pg-copy-streams'
import { benchDatabase, benchToken, memoryOf, startService } from './harness.js'

const { values } = parseArgs({ args: process.argv.slice(3), options: { runs: { type: 'string', default: '1000' }, lines: { type: 'string', default: '1000' } } })
const runs = Number(values.runs)
const perRun = Number(values.lines)

const db = await benchDatabase()
const client = new pg.Client({ connectionString: db.url })
await client.connect()
const base = Date.now() - 60 * 60_000
// A run's lines span about 33 minutes (up to 2 million lines a run; 1 ms apart beyond), all before now.
const stepMs = Math.max(1, Math.floor(2_000_000 / perRun))
const days = new Set([new Date(base).toISOString().slice(0, 10), new Date(base + perRun * stepMs).toISOString().slice(0, 10)])
for (const day of days) await client.query('SELECT log_lines_ensure_partition($1::date)', [day])

function * copyRows (): Generator<string> {
  for (let r = 0; r < runs; r++) {
    let chunk = ''
    for (let i = 0; i < perRun; i++) {
      const ts = new Date(base + i * stepMs).toISOString()
      chunk += `bench\texecution\te-bench-${String(r).padStart(4, '0')}\t${ts}\t${i % 1000}\t${i}\tmain\tpod-${i % 2}\t${i % 9 === 0 ? 'stderr' : 'stdout'}\t` +
        `step ${i} of run ${r} finished in ${i % 97} ms ${'payload '.repeat(1 + (i % 12))}\n`
      if (chunk.length > 1 << 20) { yield chunk; chunk = '' }
    }
    yield chunk
  }
}
const loadStart = performance.now()
await pipeline(Readable.from(copyRows()), client.query(copyFrom('COPY log_lines (resource_group, run_kind, run_id, ts, ts_ns, seq, container, pod, stream, msg) FROM STDIN')))
await client.query(`INSERT INTO runs (resource_group, run_kind, run_id, first_ts, first_ns, last_ts, last_ns, line_count, next_seq)
  SELECT resource_group, run_kind, run_id, min(ts), 0, max(ts), 999, count(*), count(*) FROM log_lines GROUP BY 1, 2, 3`)
await client.query('ANALYZE log_lines')
await client.end()
const loadSeconds = (performance.now() - loadStart) / 1000

const dataDir = await mkdtemp(path.join(tmpdir(), 'run-logs-bench-export-'))
const service = await startService(db.url, { DATA_DIR: dataDir, EXPORT_POLL_INTERVAL_MS: '200' })
const vmHwmMiB = async (): Promise<number> => (await memoryOf(service.child.pid as number)).hwmMiB
const headers = { authorization: `Bearer ${await benchToken()}`, 'ai-resource-group': 'bench', 'content-type': 'application/json' }
const peakBefore = await vmHwmMiB()
const t0 = performance.now()
const res = await fetch(`${service.baseUrl}/v2/lm/exports`, { method: 'POST', headers, body: JSON.stringify({ filters: { start: new Date(base - 60_000).toISOString() } }) })
if (res.status !== 202) throw new Error(`export request failed: ${res.status} ${await res.text()}`)
const { requestId, totalExecutions } = await res.json() as { requestId: string, totalExecutions: number }
let body: { status: string, errorMessage: string | null } = { status: 'QUEUED', errorMessage: null }
while (body.status === 'QUEUED') {
  await new Promise((resolve) => setTimeout(resolve, 100))
  body = await (await fetch(`${service.baseUrl}/v2/lm/exports/${requestId}`, { headers })).json() as typeof body
}
const seconds = (performance.now() - t0) / 1000
const peakAfter = await vmHwmMiB()
if (body.status !== 'READY') throw new Error(`export ended ${body.status}: ${body.errorMessage ?? ''}`)
const archiveBytes = (await readFile(path.join(dataDir, 'exports', `${requestId}.tar.gz`))).length
await service.stop()
await rm(dataDir, { recursive: true, force: true })
await db.close()

const lines = runs * perRun
console.log(`\nexport benchmark: ${runs} runs x ${perRun} lines (${lines} lines) on ${db.server}; loaded with COPY in ${loadSeconds.toFixed(1)} s`)
console.log('| runs | lines | request to READY s | lines/s | archive MiB | service peak RSS before MiB | service peak RSS after MiB |')
console.log('|---|---|---|---|---|---|---|')
console.log(`| ${totalExecutions} | ${lines} | ${seconds.toFixed(1)} | ${Math.round(lines / seconds)} | ${(archiveBytes / 1048576).toFixed(1)} | ${peakBefore.toFixed(0)} | ${peakAfter.toFixed(0)} |`)
const file = `bench/results/export-${new Date().toISOString().replace(/[:.]/g, '-')}.json`
await writeFile(file, JSON.stringify({ kind: 'export', runs, linesPerRun: perRun, server: db.server, loadSeconds, seconds, archiveBytes, peakRssBeforeMiB: peakBefore, peakRssAfterMiB: peakAfter }, null, 2) + '\n')
console.log(`wrote ${file}`)

// `npm run bench -- export [--runs 1000] [--lines 1000]`: loads runs x lines of the data set's messages
// straight into the block store (bench/fill-blocks.ts), requests one export of all of them through the
// service's HTTP API, waits for READY and prints the time it took and the service process's peak RSS
// (VmHWM), before and after the export.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { parseArgs } from 'node:util'
import pg from 'pg'
import { prng } from './dataset.js'
import { BlockFiller, type FillLine } from './fill-blocks.js'
import { benchDatabase, benchToken, memoryOf, startService } from './harness.js'
import { RunVoice } from './messages.js'

const { values } = parseArgs({ args: process.argv.slice(3), options: { runs: { type: 'string', default: '1000' }, lines: { type: 'string', default: '1000' } } })
const runs = Number(values.runs)
const perRun = Number(values.lines)

const db = await benchDatabase()
const client = new pg.Client({ connectionString: db.url })
await client.connect()
const base = Date.now() - 60 * 60_000
// A run's lines span about 33 minutes (up to 2 million lines a run; 1 ms apart beyond), all before now.
const stepMs = Math.max(1, Math.floor(2_000_000 / perRun))
const loadStart = performance.now()
const filler = new BlockFiller(client)
for (let r = 0; r < runs; r++) {
  // The data set's messages (bench/messages.ts), a voice per run.
  const voice = new RunVoice('execution', perRun, prng(r + 1))
  for (let from = 0; from < perRun; from += 10_000) {
    const lines: FillLine[] = []
    for (let i = from; i < Math.min(perRun, from + 10_000); i++) {
      const ms = base + i * stepMs
      const { msg, container, stream } = voice.line(i, ms * 1000)
      lines.push({ instant: BigInt(ms) * 1_000_000n + BigInt(i % 1000), msg, container, stream, pod: `pod-${i % 2}` })
    }
    await filler.add({ group: 'bench', kind: 'execution', id: `e-bench-${String(r).padStart(4, '0')}` }, lines)
  }
}
await filler.finish()
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
console.log(`\nexport benchmark: ${runs} runs x ${perRun} lines (${lines} lines) on ${db.server}; loaded into blocks in ${loadSeconds.toFixed(1)} s`)
console.log('| runs | lines | request to READY s | lines/s | archive MiB | service peak RSS before MiB | service peak RSS after MiB |')
console.log('|---|---|---|---|---|---|---|')
console.log(`| ${totalExecutions} | ${lines} | ${seconds.toFixed(1)} | ${Math.round(lines / seconds)} | ${(archiveBytes / 1048576).toFixed(1)} | ${peakBefore.toFixed(0)} | ${peakAfter.toFixed(0)} |`)
const file = `bench/results/export-${new Date().toISOString().replace(/[:.]/g, '-')}.json`
await writeFile(file, JSON.stringify({ kind: 'export', runs, linesPerRun: perRun, server: db.server, loadSeconds, seconds, archiveBytes, peakRssBeforeMiB: peakBefore, peakRssAfterMiB: peakAfter }, null, 2) + '\n')
console.log(`wrote ${file}`)

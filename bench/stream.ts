// `npm run bench -- stream [--lines 1000000]`: one NDJSON read of a whole run, and the service process's
// peak RSS (VmHWM in /proc/<pid>/status) before and after it. The lines are written into blocks by this
// process (bench/fill-blocks.ts), not by the measured service, so the peak is the read's.
import { writeFile } from 'node:fs/promises'
import http from 'node:http'
import { parseArgs } from 'node:util'
import { createBrotliDecompress, createGunzip } from 'node:zlib'
import pg from 'pg'
import { prng } from './dataset.js'
import { BlockFiller, type FillLine } from './fill-blocks.js'
import { benchDatabase, benchToken, memoryOf, startService } from './harness.js'
import { RunVoice } from './messages.js'

const { values } = parseArgs({ args: process.argv.slice(3), options: { lines: { type: 'string', default: '1000000' }, encoding: { type: 'string', default: 'identity' } } })
const total = Number(values.lines)

const db = await benchDatabase()
const start = Date.now() - 3 * 3600_000
const client = new pg.Client({ connectionString: db.url })
await client.connect()
const loadStart = performance.now()
// Two lines per millisecond over the hours before now, the data set's messages (bench/messages.ts).
const filler = new BlockFiller(client)
const voice = new RunVoice('deployment', total, prng(1))
for (let from = 0; from < total; from += 50_000) {
  const lines: FillLine[] = []
  for (let i = from; i < Math.min(total, from + 50_000); i++) {
    const ms = start + Math.floor(i / 2)
    const { msg, container, stream } = voice.line(i, ms * 1000)
    lines.push({ instant: BigInt(ms) * 1_000_000n + BigInt(i % 1000), msg, container, stream, pod: `pod-${i % 3}` })
  }
  await filler.add({ group: 'default', kind: 'deployment', id: 'stream-bench' }, lines)
}
await filler.finish()
await client.end()
const loadSeconds = (performance.now() - loadStart) / 1000

const service = await startService(db.url)
const pid = service.child.pid as number
const memory = async (): Promise<{ rssMiB: number, hwmMiB: number }> => await memoryOf(pid)
const token = await benchToken()
const before = await memory()
const url = `${service.baseUrl}/v2/lm/deployments/stream-bench/logs?$top=${total}&start=${new Date(start - 60_000).toISOString()}`
const readStart = performance.now()
const { lines, bytes } = await new Promise<{ lines: number, bytes: number }>((resolve, reject) => {
  http.get(url, { agent: false, headers: { authorization: `Bearer ${token}`, accept: 'application/x-ndjson', 'accept-encoding': values.encoding } }, (res) => {
    if (res.statusCode !== 200) reject(new Error(`read failed: ${res.statusCode}`))
    let count = 0
    let size = 0
    const body = values.encoding === 'identity' ? res : res.pipe(values.encoding === 'br' ? createBrotliDecompress() : createGunzip())
    res.on('data', (chunk: Buffer) => { size += chunk.length })
    body.on('data', (chunk: Buffer) => {
      for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) count++
    })
    body.on('end', () => { resolve({ lines: count, bytes: size }) })
  }).on('error', reject)
})
const readSeconds = (performance.now() - readStart) / 1000
const after = await memory()
await service.stop()
await db.close()

const row = { lines, bodyMiB: bytes / 1048576, readSeconds, linesPerSecond: lines / readSeconds, rssBeforeMiB: before.rssMiB, peakBeforeMiB: before.hwmMiB, peakAfterMiB: after.hwmMiB }
console.log(`\nstream benchmark: one NDJSON read (Accept-Encoding: ${values.encoding}) of ${total} lines written into blocks in ${loadSeconds.toFixed(1)} s, on ${db.server}`)
console.log('| lines read | body MiB | seconds | lines/s | RSS before MiB | peak RSS before MiB | peak RSS after read MiB |')
console.log('|---|---|---|---|---|---|---|')
console.log(`| ${row.lines} | ${row.bodyMiB.toFixed(1)} | ${row.readSeconds.toFixed(2)} | ${Math.round(row.linesPerSecond)} | ${row.rssBeforeMiB.toFixed(1)} | ${row.peakBeforeMiB.toFixed(1)} | ${row.peakAfterMiB.toFixed(1)} |`)
const file = `bench/results/stream-${new Date().toISOString().replace(/[:.]/g, '-')}.json`
await writeFile(file, JSON.stringify({ kind: 'stream', server: db.server, encoding: values.encoding, ...row }, null, 2) + '\n')
console.log(`wrote ${file}`)

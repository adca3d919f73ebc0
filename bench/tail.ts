// `npm run bench -- tail [--lines 1000]`: the delay from a POST to the line reaching a live tail. One NDJSON
// tail is open on the service; each line is posted on its own (one POST per line, one after another), and
// the delay runs from the moment the POST is sent to the moment the line arrives on the tail.
import http from 'node:http'
import { writeFile } from 'node:fs/promises'
import { parseArgs } from 'node:util'
import { benchDatabase, benchToken, percentile, startService } from './harness.js'

const { values } = parseArgs({ args: process.argv.slice(3), options: { lines: { type: 'string', default: '1000' } } })
const total = Number(values.lines)

const db = await benchDatabase()
const service = await startService(db.url)
const token = await benchToken()
const run = `${service.baseUrl}/v2/lm/deployments/tail-bench/logs`

const sentAt = new Map<number, number>()
const delays: number[] = []
let allArrived: () => void = () => {}
const arrived = new Promise<void>((resolve) => { allArrived = resolve })
const tail = http.get(`${run}?follow=true`, { agent: false, headers: { authorization: `Bearer ${token}`, accept: 'application/x-ndjson' } }, (res) => {
  let buffer = ''
  res.setEncoding('utf8')
  res.on('data', (text: string) => {
    const now = performance.now()
    buffer += text
    const lines = buffer.split('\n')
    buffer = lines.pop() ?? ''
    for (const line of lines) {
      if (line === '') continue
      const n = Number((JSON.parse(line) as { msg: string }).msg.split(' ')[1])
      delays.push(now - (sentAt.get(n) ?? now))
      if (delays.length === total) allArrived()
    }
  })
})
await new Promise((resolve) => tail.once('response', resolve))

const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' }
const started = performance.now()
for (let n = 0; n < total; n++) {
  const body = JSON.stringify([{ timestamp: new Date().toISOString(), msg: `line ${n}`, stream: 'stdout' }])
  sentAt.set(n, performance.now())
  const res = await fetch(run, { method: 'POST', headers, body })
  if (!res.ok) throw new Error(`POST failed: ${res.status} ${await res.text()}`)
}
await arrived
const seconds = (performance.now() - started) / 1000
tail.destroy()
await service.stop()
await db.close()

delays.sort((a, b) => a - b)
const row = { lines: total, postsPerSecond: total / seconds, p50ms: percentile(delays, 50), p99ms: percentile(delays, 99), maxms: delays[delays.length - 1] }
console.log(`\ntail benchmark: ${total} lines, one POST per line, sequential, one NDJSON tail, on ${db.server}`)
console.log('| lines | POSTs/s | POST→tail p50 ms | p99 ms | max ms |')
console.log('|---|---|---|---|---|')
console.log(`| ${row.lines} | ${Math.round(row.postsPerSecond)} | ${row.p50ms.toFixed(2)} | ${row.p99ms.toFixed(2)} | ${(row.maxms ?? 0).toFixed(2)} |`)
const file = `bench/results/tail-${new Date().toISOString().replace(/[:.]/g, '-')}.json`
await writeFile(file, JSON.stringify({ kind: 'tail', server: db.server, ...row }, null, 2) + '\n')
console.log(`wrote ${file}`)

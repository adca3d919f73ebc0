// `npm run bench -- ingest [--lines 100000] [--concurrency 4] [--repeat 1]`: lines per second ingested over
// HTTP in each format a client or shipper sends (native JSON and NDJSON, Fluent Bit json and json_lines,
// Vector json and ndjson, Loki JSON and snappy protobuf), at batches of 1,000 and 10,000 lines, next to raw
// COPY of the same lines through pg in this process, on the same database in the same run.
import { writeFile } from 'node:fs/promises'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { parseArgs } from 'node:util'
import pg from 'pg'
import { from as copyFrom } from 'pg-copy-streams'
import { compressSync } from 'snappy'
import { PushRequest } from '../src/ingest/loki-proto.js'
import { benchDatabase, benchToken, startService } from './harness.js'

const { values } = parseArgs({
  args: process.argv.slice(3),
  options: {
    lines: { type: 'string', default: '100000' },
    concurrency: { type: 'string', default: '4' },
    // On a shared machine one pass is noisy: with --repeat N each case runs N times and the median counts.
    repeat: { type: 'string', default: '1' }
  }
})
const LINES = Number(values.lines)
const CONCURRENCY = Number(values.concurrency)
const REPEAT = Number(values.repeat)
const BATCHES = [1000, 10_000]

interface Line { ns: bigint, msg: string, pod: string, container: string, stream: string }

// Lines of the last 50 minutes, as the read benchmark makes them: about 190 bytes of message each.
const base = BigInt(Date.now() - 50 * 60_000) * 1_000_000n
function makeLines (n: number): Line[] {
  return Array.from({ length: n }, (_, i) => ({
    ns: base + BigInt(i) * 20_000_123n,
    msg: `request ${i} handled in ${i % 97} ms ` + 'payload '.repeat(1 + (i % 40)),
    pod: `predictor-7d9c5b-${i % 3}`,
    container: i % 4 === 0 ? 'sidecar' : 'main',
    stream: i % 9 === 0 ? 'stderr' : 'stdout'
  }))
}

const rfc3339 = (ns: bigint): string => `${new Date(Number(ns / 1_000_000n)).toISOString().slice(0, 19)}.${String(ns % 1_000_000_000n).padStart(9, '0')}Z`
// Fluent Bit prints its double date with 6 decimals.
const epochDouble = (ns: bigint): string => `${ns / 1_000_000_000n}.${String((ns % 1_000_000_000n) / 1000n).padStart(6, '0')}`

interface Format { name: string, url: (run: string) => string, type: string, body: (run: string, lines: Line[]) => Buffer }

const ndjson = (records: string[]): Buffer => Buffer.from(records.join('\n') + '\n')
const native = (lines: Line[]): string[] => lines.map((l) => JSON.stringify({ timestamp: rfc3339(l.ns), msg: l.msg, pod: l.pod, container: l.container, stream: l.stream }))
const fluentBit = (run: string, lines: Line[]): string[] => lines.map((l) =>
  `{"date":${epochDouble(l.ns)},${JSON.stringify({
    time: rfc3339(l.ns),
    stream: l.stream,
    _p: 'F',
    log: l.msg,
    kubernetes: { pod_name: l.pod, namespace_name: 'default', labels: { 'ai.sap.com/deploymentId': run, 'pod-template-hash': '7d9c5b' }, host: 'node-1', container_name: l.container, container_image: 'registry.example/iris:1.0' }
  }).slice(1)}`)
const vector = (run: string, lines: Line[]): string[] => lines.map((l) => JSON.stringify({
  file: `/var/log/pods/default_${l.pod}/${l.container}/0.log`,
  kubernetes: { container_name: l.container, container_image: 'registry.example/iris:1.0', pod_labels: { 'ai.sap.com/deploymentId': run }, pod_name: l.pod, pod_namespace: 'default', pod_node_name: 'node-1' },
  message: l.msg,
  source_type: 'kubernetes_logs',
  stream: l.stream,
  timestamp: rfc3339(l.ns)
}))

/** Promtail's streams: one per label set (pod, container, stream), entries in order. */
function lokiStreams (run: string, lines: Line[]): Array<{ labels: Record<string, string>, lines: Line[] }> {
  const streams = new Map<string, { labels: Record<string, string>, lines: Line[] }>()
  for (const l of lines) {
    const key = `${l.pod}/${l.container}/${l.stream}`
    let s = streams.get(key)
    if (s === undefined) {
      s = { labels: { ai_sap_com_deploymentId: run, container: l.container, namespace: 'default', pod: l.pod, stream: l.stream }, lines: [] }
      streams.set(key, s)
    }
    s.lines.push(l)
  }
  return [...streams.values()]
}

const FORMATS: Format[] = [
  { name: 'native JSON', url: (run) => `/v2/lm/deployments/${run}/logs`, type: 'application/json', body: (_run, lines) => Buffer.from(`[${native(lines).join(',')}]`) },
  { name: 'native NDJSON', url: (run) => `/v2/lm/deployments/${run}/logs`, type: 'application/x-ndjson', body: (_run, lines) => ndjson(native(lines)) },
  { name: 'Fluent Bit json', url: () => '/v2/lm/logs', type: 'application/json', body: (run, lines) => Buffer.from(`[${fluentBit(run, lines).join(',')}]`) },
  { name: 'Fluent Bit json_lines', url: () => '/v2/lm/logs', type: 'application/x-ndjson', body: (run, lines) => ndjson(fluentBit(run, lines)) },
  { name: 'Vector json', url: () => '/v2/lm/logs', type: 'application/json', body: (run, lines) => Buffer.from(`[${vector(run, lines).join(',')}]`) },
  { name: 'Vector ndjson', url: () => '/v2/lm/logs', type: 'application/x-ndjson', body: (run, lines) => ndjson(vector(run, lines)) },
  {
    name: 'Loki JSON',
    url: () => '/loki/api/v1/push',
    type: 'application/json',
    body: (run, lines) => Buffer.from(JSON.stringify({ streams: lokiStreams(run, lines).map((s) => ({ stream: s.labels, values: s.lines.map((l) => [String(l.ns), l.msg]) })) }))
  },
  {
    name: 'Loki protobuf+snappy',
    url: () => '/loki/api/v1/push',
    type: 'application/x-protobuf',
    body: (run, lines) => compressSync(Buffer.from(PushRequest.encode(PushRequest.fromObject({
      streams: lokiStreams(run, lines).map((s) => ({
        labels: `{${Object.entries(s.labels).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(', ')}}`,
        entries: s.lines.map((l) => ({ timestamp: { seconds: Number(l.ns / 1_000_000_000n), nanos: Number(l.ns % 1_000_000_000n) }, line: l.msg }))
      }))
    })).finish()))
  }
]

const db = await benchDatabase()
const service = await startService(db.url)
const token = await benchToken()
const lines = makeLines(LINES)

/** Sends the bodies with CONCURRENCY requests in flight; lines per second over the whole set. */
async function send (format: Format, run: string, bodies: Buffer[], linesPerBody: number[]): Promise<number> {
  let next = 0
  const started = performance.now()
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (next < bodies.length) {
      const i = next++
      const res = await fetch(`${service.baseUrl}${format.url(run)}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': format.type },
        body: bodies[i] as Buffer
      })
      const text = await res.text()
      if (!res.ok) throw new Error(`${format.name}: ${res.status} ${text}`)
    }
  }))
  const seconds = (performance.now() - started) / 1000
  return linesPerBody.reduce((a, b) => a + b, 0) / seconds
}

/** Raw COPY of the same lines straight into log_lines, one COPY per batch, one connection. */
async function rawCopy (run: string, batch: number): Promise<number> {
  const client = new pg.Client({ connectionString: db.url })
  await client.connect()
  await client.query("SELECT log_lines_ensure_partition((now() AT TIME ZONE 'UTC')::date), log_lines_ensure_partition((now() AT TIME ZONE 'UTC')::date - 1)")
  const escape = (v: string): string => v.replace(/[\\\n\r\t]/g, (c) => ({ '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t' })[c] ?? c)
  const chunks: string[] = []
  for (let offset = 0; offset < lines.length; offset += batch) {
    chunks.push(lines.slice(offset, offset + batch).map((l, i) => {
      const micros = l.ns / 1000n
      const ts = new Date(Number(micros / 1000n)).toISOString().replace('Z', `${String(micros % 1000n).padStart(3, '0')}Z`)
      return `default\tdeployment\t${run}\t${ts}\t${Number(l.ns % 1000n)}\t${offset + i}\t${l.container}\t${l.pod}\t${l.stream}\t${escape(l.msg)}\n`
    }).join(''))
  }
  const started = performance.now()
  for (const chunk of chunks) {
    await client.query('BEGIN')
    await pipeline(Readable.from([chunk]), client.query(copyFrom('COPY log_lines (resource_group, run_kind, run_id, ts, ts_ns, seq, container, pod, stream, msg) FROM STDIN')))
    await client.query('COMMIT')
  }
  const seconds = (performance.now() - started) / 1000
  await client.end()
  return lines.length / seconds
}

const rows: Array<{ format: string, batch: number, bodyBytes: number, linesPerSecond: number, passes: number[] }> = []
let runNo = 0

async function median (pass: () => Promise<number>): Promise<{ linesPerSecond: number, passes: number[] }> {
  const passes: number[] = []
  for (let i = 0; i < REPEAT; i++) passes.push(await pass())
  return { linesPerSecond: [...passes].sort((a, b) => a - b)[Math.floor(REPEAT / 2)] as number, passes }
}
// Warm-up: the service's JIT and prepared statements, not measured.
await send(FORMATS[0] as Format, 'warm-up', [(FORMATS[0] as Format).body('warm-up', lines.slice(0, 1000))], [1000])
for (const batch of BATCHES) {
  rows.push({ format: 'raw COPY (pg, in process)', batch, bodyBytes: 0, ...await median(async () => await rawCopy(`copy-${runNo++}`, batch)) })
  for (const format of FORMATS) {
    const bodiesOf = (run: string): { bodies: Buffer[], counts: number[] } => {
      const bodies: Buffer[] = []
      const counts: number[] = []
      for (let offset = 0; offset < lines.length; offset += batch) {
        const part = lines.slice(offset, offset + batch)
        bodies.push(format.body(run, part))
        counts.push(part.length)
      }
      return { bodies, counts }
    }
    let bodyBytes = 0
    const result = await median(async () => {
      const run = `bench-${runNo++}`
      const { bodies, counts } = bodiesOf(run)
      bodyBytes = bodies[0]?.length ?? 0
      return await send(format, run, bodies, counts)
    })
    rows.push({ format: format.name, batch, bodyBytes, ...result })
  }
}
await service.stop()
await db.close()

console.log(`\ningest benchmark: ${LINES} lines per case, ${CONCURRENCY} requests in flight, median of ${REPEAT}, on ${db.server}`)
console.log('| format | batch | body bytes | lines/s | vs raw COPY |')
console.log('|---|---|---|---|---|')
for (const r of rows) {
  const copy = rows.find((c) => c.batch === r.batch && c.bodyBytes === 0)?.linesPerSecond ?? NaN
  console.log(`| ${r.format} | ${r.batch} | ${r.bodyBytes === 0 ? '-' : r.bodyBytes} | ${Math.round(r.linesPerSecond)} | ${(100 * r.linesPerSecond / copy).toFixed(0)}% |`)
}
const file = `bench/results/ingest-${new Date().toISOString().replace(/[:.]/g, '-')}.json`
await writeFile(file, JSON.stringify({ kind: 'ingest', lines: LINES, concurrency: CONCURRENCY, repeat: REPEAT, server: db.server, rows }, null, 2) + '\n')
console.log(`wrote ${file}`)

// `npm run bench -- ingest [--lines 100000] [--concurrency 4] [--repeat 1] [--no-row-store] [--formats native]`: lines per
// second ingested over HTTP in each format a client or shipper sends (native JSON and NDJSON, Fluent Bit
// json and json_lines, Vector json and ndjson, Loki JSON and snappy protobuf), at batches of 1,000 and
// 10,000 lines, by the block store's service and, in the same run on the same PostgreSQL server, by the
// row store's release (bench/row-store.ts, built from commit 9eaf22d in a temporary worktree), next to raw
// COPY of the same lines into the row store's log_lines through pg in this process. The lines are the
// data set's (bench/messages.ts). Both services run compiled (dist/), as deployed.
import { execFileSync } from 'node:child_process'
import { readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { parseArgs } from 'node:util'
import pg from 'pg'
import { from as copyFrom } from 'pg-copy-streams'
import { compressSync } from 'snappy'
import { PushRequest } from '../src/ingest/loki-proto.js'
import { benchDatabase, benchToken, startService } from './harness.js'
import { migrateRowStore, ROW_STORE_COMMIT, rowStoreRelease } from './row-store.js'
import { makeLines as dataSetLines } from './scale-ingest.js'

const { values } = parseArgs({
  args: process.argv.slice(3),
  options: {
    lines: { type: 'string', default: '100000' },
    concurrency: { type: 'string', default: '4' },
    // On a shared machine one pass is noisy: with --repeat N each case runs N times and the median counts.
    repeat: { type: 'string', default: '1' },
    'no-row-store': { type: 'boolean', default: false },
    // Only the formats whose names start with one of these (comma-separated, case-insensitive): `--formats native`.
    formats: { type: 'string', default: '' }
  }
})
const LINES = Number(values.lines)
const CONCURRENCY = Number(values.concurrency)
const REPEAT = Number(values.repeat)
const BATCHES = [1000, 10_000]
const withRowStore = values['no-row-store'] !== true

interface Line { ns: bigint, msg: string, pod: string, container: string, stream: string }

// Lines of the last 50 minutes, the data set's messages (about 130 bytes each).
function makeLines (n: number): Line[] {
  return dataSetLines(n).map((l) => ({ ns: BigInt(l.ms) * 1_000_000n + BigInt(l.ns), msg: l.msg, pod: l.pod, container: l.container, stream: l.stream }))
}

const rfc3339 = (ns: bigint): string => `${new Date(Number(ns / 1_000_000n)).toISOString().slice(0, 19)}.${String(ns % 1_000_000_000n).padStart(9, '0')}Z`
// Fluent Bit prints its double date with 6 decimals.
const epochDouble = (ns: bigint): string => `${ns / 1_000_000_000n}.${String((ns % 1_000_000_000n) / 1000n).padStart(6, '0')}`

/** `rowStore`: the row store's release serves this format too (its Loki push API came later). */
interface Format { name: string, url: (run: string) => string, type: string, body: (run: string, lines: Line[]) => Buffer, rowStore?: false }

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

const ALL_FORMATS: Format[] = [
  { name: 'native JSON', url: (run) => `/v2/lm/deployments/${run}/logs`, type: 'application/json', body: (_run, lines) => Buffer.from(`[${native(lines).join(',')}]`) },
  { name: 'native NDJSON', url: (run) => `/v2/lm/deployments/${run}/logs`, type: 'application/x-ndjson', body: (_run, lines) => ndjson(native(lines)) },
  { name: 'Fluent Bit json', url: () => '/v2/lm/logs', type: 'application/json', body: (run, lines) => Buffer.from(`[${fluentBit(run, lines).join(',')}]`) },
  { name: 'Fluent Bit json_lines', url: () => '/v2/lm/logs', type: 'application/x-ndjson', body: (run, lines) => ndjson(fluentBit(run, lines)) },
  { name: 'Vector json', url: () => '/v2/lm/logs', type: 'application/json', body: (run, lines) => Buffer.from(`[${vector(run, lines).join(',')}]`) },
  { name: 'Vector ndjson', url: () => '/v2/lm/logs', type: 'application/x-ndjson', body: (run, lines) => ndjson(vector(run, lines)) },
  {
    name: 'Loki JSON',
    rowStore: false,
    url: () => '/loki/api/v1/push',
    type: 'application/json',
    body: (run, lines) => Buffer.from(JSON.stringify({ streams: lokiStreams(run, lines).map((s) => ({ stream: s.labels, values: s.lines.map((l) => [String(l.ns), l.msg]) })) }))
  },
  {
    name: 'Loki protobuf+snappy',
    rowStore: false,
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

const wanted = values.formats.split(',').map((w) => w.trim().toLowerCase()).filter((w) => w !== '')
const FORMATS = ALL_FORMATS.filter((f) => wanted.length === 0 || wanted.some((w) => f.name.toLowerCase().startsWith(w)))

console.error('building dist/ ...')
execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], { stdio: 'inherit' })
const db = await benchDatabase()
const rowsDb = withRowStore ? await benchDatabase(undefined, { migrateWith: migrateRowStore, serverOf: db }) : undefined
// Load shedding off: on a busy machine it would turn measured requests into 503s.
const settings = { LOG_RETENTION_DAYS: '0', EXPORT_WORKERS: '0', PRESSURE_MAX_EVENT_LOOP_DELAY_MS: '0' }
const services = {
  blocks: await startService(db.url, settings, ['dist/server.js']),
  rows: rowsDb === undefined ? undefined : await startService(rowsDb.url, settings, [path.join(rowStoreRelease(), 'dist', 'server.js')])
}
const token = await benchToken()
const lines = makeLines(LINES)

/** CPU seconds a process has used (user and system, /proc/<pid>/stat; clock ticks of 10 ms). */
async function cpuSeconds (pid: number): Promise<number> {
  const fields = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1]?.split(' ') ?? []
  return (Number(fields[11]) + Number(fields[12])) / 100
}

/** Sends the bodies with CONCURRENCY requests in flight; lines per second over the whole set. */
async function send (baseUrl: string, format: Format, run: string, bodies: Buffer[], linesPerBody: number[]): Promise<number> {
  let next = 0
  const started = performance.now()
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (next < bodies.length) {
      const i = next++
      const res = await fetch(`${baseUrl}${format.url(run)}`, {
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

/** Raw COPY of the same lines straight into the row store's log_lines, one COPY per batch, one connection. */
async function rawCopy (url: string, run: string, batch: number): Promise<number> {
  const client = new pg.Client({ connectionString: url })
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

/** Lines per second (median of the passes), and the service process's CPU microseconds a line (summed over the passes). */
interface Row { format: string, batch: number, bodyBytes: number, blocks: number, rows: number, blockPasses: number[], rowPasses: number[], blockCpuUs: number, rowCpuUs: number }
const rows: Row[] = []
let runNo = 0

/** `pid`: the service's process, whose CPU time per line is counted too (steadier than lines/s on a busy machine). */
async function median (pass: () => Promise<number>, pid?: number): Promise<{ value: number, passes: number[], cpuUs: number }> {
  const passes: number[] = []
  const cpu0 = pid === undefined ? NaN : await cpuSeconds(pid)
  for (let i = 0; i < REPEAT; i++) passes.push(await pass())
  const cpuUs = pid === undefined ? NaN : (await cpuSeconds(pid) - cpu0) * 1e6 / (REPEAT * LINES)
  return { value: [...passes].sort((a, b) => a - b)[Math.floor(REPEAT / 2)] as number, passes, cpuUs }
}
try {
  // Warm-up: each service's JIT and prepared statements, not measured.
  const warm = FORMATS[0] as Format
  for (const s of [services.blocks, services.rows]) if (s !== undefined) await send(s.baseUrl, warm, `warm-up-${runNo++}`, [warm.body('warm-up', lines.slice(0, 1000))], [1000])
  for (const batch of BATCHES) {
    if (rowsDb !== undefined) {
      const copy = await median(async () => await rawCopy(rowsDb.url, `copy-${runNo++}`, batch))
      rows.push({ format: 'raw COPY into the row store (pg, in process)', batch, bodyBytes: 0, blocks: NaN, rows: copy.value, blockPasses: [], rowPasses: copy.passes, blockCpuUs: NaN, rowCpuUs: NaN })
    }
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
      const measure = async (baseUrl: string): Promise<number> => {
        const run = `bench-${runNo++}`
        const { bodies, counts } = bodiesOf(run)
        bodyBytes = bodies[0]?.length ?? 0
        return await send(baseUrl, format, run, bodies, counts)
      }
      // Alternating the two services case by case, so both see the same share of the machine's noise.
      const blocks = await median(async () => await measure(services.blocks.baseUrl), services.blocks.child.pid)
      const rowService = format.rowStore === false ? undefined : services.rows
      const rowResult = rowService === undefined ? { value: NaN, passes: [], cpuUs: NaN } : await median(async () => await measure(rowService.baseUrl), rowService.child.pid)
      rows.push({ format: format.name, batch, bodyBytes, blocks: blocks.value, rows: rowResult.value, blockPasses: blocks.passes, rowPasses: rowResult.passes, blockCpuUs: blocks.cpuUs, rowCpuUs: rowResult.cpuUs })
    }
  }
} finally {
  await services.blocks.stop()
  await services.rows?.stop()
  await rowsDb?.close()
  await db.close()
}

const f = (n: number, digits = 0): string => (Number.isFinite(n) ? n.toFixed(digits) : '-')
console.log(`\ningest benchmark: ${LINES} lines per case, ${CONCURRENCY} requests in flight, median of ${REPEAT}, on ${db.server}; block store beside the row store (${withRowStore ? ROW_STORE_COMMIT : 'not run'})`)
console.log('| format | batch | body bytes | block store lines/s | row store lines/s | blocks/rows | blocks vs raw COPY | service CPU µs a line, blocks | rows |')
console.log('|---|---|---|---|---|---|---|---|---|')
for (const r of rows) {
  const copy = rows.find((c) => c.batch === r.batch && c.bodyBytes === 0)?.rows ?? NaN
  console.log(`| ${r.format} | ${r.batch} | ${r.bodyBytes === 0 ? '-' : r.bodyBytes} | ${f(r.blocks)} | ${f(r.rows)} | ${f(r.blocks / r.rows, 2)} | ${r.bodyBytes === 0 ? '-' : `${f(100 * r.blocks / copy)}%`} | ${f(r.blockCpuUs, 1)} | ${f(r.rowCpuUs, 1)} |`)
}
console.log('\n| target | measured | verdict |\n|---|---|---|')
for (const r of rows.filter((x) => x.format.startsWith('native'))) {
  if (Number.isFinite(r.rows)) console.log(`| ingest >= 2x the row store: ${r.format}, ${r.batch} | ${f(r.blocks / r.rows, 2)}x | ${r.blocks >= 2 * r.rows ? 'holds' : 'short'} |`)
  if (r.batch === 10_000) console.log(`| ingest >= 200,000 lines/s at 10,000: ${r.format} | ${f(r.blocks)} | ${r.blocks >= 200_000 ? 'holds' : 'short'} |`)
}
const file = `bench/results/ingest-${new Date().toISOString().replace(/[:.]/g, '-')}.json`
await writeFile(file, JSON.stringify({ kind: 'ingest', lines: LINES, concurrency: CONCURRENCY, repeat: REPEAT, server: db.server, rowStore: withRowStore ? ROW_STORE_COMMIT : null, rows }, null, 2) + '\n')
console.log(`wrote ${file}`)

// The scale benchmark's writes: lines per second over HTTP (native JSON and NDJSON, batches of 1,000 and
// 10,000 lines) next to raw COPY of the same lines through pg in this process, into the same store. The
// lines go to a resource group of their own, deleted afterwards, so a kept data set stays as loaded.
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import pg from 'pg'
import { from as copyFrom } from 'pg-copy-streams'
import { prng } from './dataset.js'
import { podsOf, RunVoice } from './messages.js'

export const INGEST_GROUP = 'bench-ingest'
export const INGEST_BATCHES = [1000, 10_000]

export interface Line { ms: number, ns: number, msg: string, pod: string, container: string, stream: string }

export interface IngestRow { format: string, batch: number, bodyBytes: number, linesPerSecond: number }

/** Lines of the last 50 minutes, the data set's messages (messages.ts): one deployment's voice, three pods. */
export function makeLines (n: number): Line[] {
  const random = prng(7)
  const voice = new RunVoice('deployment', n, random)
  const pods = podsOf('deployment', 'd0bench', 3, random)
  const base = Date.now() - 50 * 60_000
  return Array.from({ length: n }, (_, i) => {
    const ms = base + Math.floor(i * 2_500_000 / n)
    const { msg, container, stream } = voice.line(i, ms * 1000)
    return { ms, ns: Math.floor(random() * 1_000_000), msg, pod: pods[i % pods.length] as string, container, stream }
  })
}

export const rfc3339 = (l: Line): string => `${new Date(l.ms).toISOString().slice(0, 19)}.${String((l.ms % 1000) * 1_000_000 + l.ns).padStart(9, '0')}Z`
export const native = (l: Line): string => JSON.stringify({ timestamp: rfc3339(l), msg: l.msg, pod: l.pod, container: l.container, stream: l.stream })
export const FORMATS = [
  { name: 'HTTP JSON', type: 'application/json', body: (lines: Line[]) => Buffer.from(`[${lines.map(native).join(',')}]`) },
  { name: 'HTTP NDJSON', type: 'application/x-ndjson', body: (lines: Line[]) => Buffer.from(lines.map(native).join('\n') + '\n') }
]

const slices = <T>(items: T[], size: number): T[][] => Array.from({ length: Math.ceil(items.length / size) }, (_, i) => items.slice(i * size, (i + 1) * size))

/** Bodies sent with `concurrency` requests in flight, each to one of 8 runs; lines per second overall. */
async function overHttp (baseUrl: string, token: string, type: string, bodies: Buffer[], lines: number, runPrefix: string, concurrency: number): Promise<number> {
  let next = 0
  const started = performance.now()
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < bodies.length) {
      const i = next++
      const res = await fetch(`${baseUrl}/v2/lm/deployments/${runPrefix}-${i % 8}/logs`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'ai-resource-group': INGEST_GROUP, 'content-type': type },
        body: bodies[i] as Buffer
      })
      const text = await res.text()
      if (!res.ok) throw new Error(`ingest ${type}: ${res.status} ${text}`)
    }
  }))
  return lines / ((performance.now() - started) / 1000)
}

const copyEscape = (v: string): string => v.replace(/[\\\n\r\t]/g, (c) => ({ '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t' })[c] ?? c)

/** The same lines by raw COPY into log_lines, one transaction per batch, one connection. */
async function rawCopy (databaseUrl: string, batches: Line[][], run: string): Promise<number> {
  const client = new pg.Client({ connectionString: databaseUrl })
  await client.connect()
  try {
    const texts = batches.map((batch, b) => batch.map((l, i) => {
      const micros = String((l.ms % 1000) * 1000 + Math.floor(l.ns / 1000)).padStart(6, '0')
      return `${INGEST_GROUP}\tdeployment\t${run}\t${new Date(l.ms).toISOString().slice(0, 19)}.${micros}Z\t${l.ns % 1000}\t${b * batch.length + i}\t${l.container}\t${l.pod}\t${l.stream}\t${copyEscape(l.msg)}\n`
    }).join(''))
    const started = performance.now()
    for (const text of texts) {
      await client.query('BEGIN')
      await pipeline(Readable.from([text]), client.query(copyFrom('COPY log_lines (resource_group, run_kind, run_id, ts, ts_ns, seq, container, pod, stream, msg) FROM STDIN')))
      await client.query('COMMIT')
    }
    return batches.reduce((n, b) => n + b.length, 0) / ((performance.now() - started) / 1000)
  } finally {
    await client.end()
  }
}

/** `table`: the store's line table (log_lines: the row store, where raw COPY is measured too). */
export async function ingestBench (baseUrl: string, databaseUrl: string, token: string, count: number, concurrency: number, table: 'log_lines' | 'log_blocks' = 'log_lines'): Promise<IngestRow[]> {
  const lines = makeLines(count)
  const rows: IngestRow[] = []
  let round = 0
  // Warm-up (the service's JIT, its prepared statements, today's partition), not measured.
  await overHttp(baseUrl, token, 'application/json', [(FORMATS[0] as typeof FORMATS[0]).body(lines.slice(0, 1000))], 1000, 'warm-up', 1)
  try {
    for (const batch of INGEST_BATCHES) {
      const batches = slices(lines, batch)
      if (table === 'log_lines') rows.push({ format: 'raw COPY (pg, 1 connection)', batch, bodyBytes: 0, linesPerSecond: await rawCopy(databaseUrl, batches, `copy-${round++}`) })
      for (const format of FORMATS) {
        const bodies = batches.map(format.body)
        rows.push({ format: format.name, batch, bodyBytes: bodies[0]?.length ?? 0, linesPerSecond: await overHttp(baseUrl, token, format.type, bodies, count, `http-${round++}`, concurrency) })
      }
    }
  } finally {
    const client = new pg.Client({ connectionString: databaseUrl })
    await client.connect()
    await client.query(`DELETE FROM ${table} WHERE resource_group = $1`, [INGEST_GROUP])
    await client.query('DELETE FROM runs WHERE resource_group = $1', [INGEST_GROUP])
    await client.end()
  }
  return rows
}

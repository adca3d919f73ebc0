// The scale benchmark's reads: the same requests sent to the service under autocannon and run as the bare
// query (the service's SQL through pg, rendered by the service's renderer, in this process): the limit.
import autocannon from 'autocannon'
import type pg from 'pg'
import { encodeCursor } from '../src/read/cursor.js'
import type { LogFilters, LogRange, SortOrder } from '../src/model.js'
import { cursorStateOf } from '../src/read/stream.js'
import { renderLogsBody } from '../src/read/render.js'
import { blockPage, readRange } from '../src/store/block-read.js'
import { rangeBounds } from '../src/store/block-position.js'
import { BLOCK_LINES } from '../src/store/block-build.js'
import { dayStartMicros, prng, RARE_WORD, type DatasetSpec, type RunPlan } from './dataset.js'
import { percentile } from './harness.js'

export interface Shape { name: string, top: number, order: SortOrder, filters?: LogFilters }

export const SHAPES: Shape[] = [
  { name: '$top=100', top: 100, order: 'asc' },
  { name: '$top=100 desc', top: 100, order: 'desc' },
  { name: '$top=1000', top: 1000, order: 'asc' },
  { name: '$top=1000 desc', top: 1000, order: 'desc' },
  { name: '$top=5000', top: 5000, order: 'asc' },
  { name: '$top=5000 desc', top: 5000, order: 'desc' },
  { name: '$top=1000 stream=stderr', top: 1000, order: 'asc', filters: { stream: 'stderr' } },
  // A word in 1 line of 2,000 (dataset.ts): the search over the whole rest of the run.
  { name: `$top=1000 contains=${RARE_WORD}`, top: 1000, order: 'asc', filters: { contains: RARE_WORD } }
]

/** The runs read: the largest ones, which hold enough lines for full pages at every size. */
export const TARGET_RUNS = 8

export interface ReadRequest { range: LogRange, path: string }

const isoOfMicros = (micros: number): string => new Date(Math.floor(micros / 1000)).toISOString()

/**
 * Requests of one shape over the largest runs: a random start inside the run with enough of its lines
 * after it (asc), or a random end with enough before it (desc); the other bound is the data set's edge.
 */
export function readRequests (spec: DatasetSpec, plans: RunPlan[], shape: Shape, count = 256): ReadRequest[] {
  const random = prng(spec.seed + shape.top + (shape.order === 'desc' ? 1 : 0) + (shape.filters === undefined ? 0 : 2))
  const spanStart = dayStartMicros(spec.firstDay)
  const spanEnd = spanStart + spec.days * 86_400_000_000
  return Array.from({ length: count }, (_, i) => {
    const run = plans[i % Math.min(TARGET_RUNS, plans.length)] as RunPlan
    const life = run.lastMicros - run.firstMicros
    // Lines are spread evenly over a run's life; leave room for 1.5 pages (10 for a filter that keeps 1 in 10).
    const needed = Math.min(life, life * shape.top * (shape.filters === undefined ? 1.5 : 15) / run.lines)
    const at = Math.floor(random() * (life - needed))
    const startMicros = shape.order === 'asc' ? run.firstMicros + at : spanStart
    const endMicros = shape.order === 'asc' ? spanEnd : run.lastMicros - at
    const start = isoOfMicros(startMicros)
    const end = isoOfMicros(endMicros)
    const range: LogRange = {
      run: { group: run.group, kind: run.kind, id: run.id },
      start: BigInt(Date.parse(start)) * 1_000_000n,
      end: BigInt(Date.parse(end)) * 1_000_000n,
      top: shape.top,
      order: shape.order,
      filters: shape.filters ?? {}
    }
    const filter = Object.entries(shape.filters ?? {}).map(([k, v]) => `&${k}=${encodeURIComponent(String(v))}`).join('')
    const path = `/v2/lm/${run.kind}s/${run.id}/logs?$top=${shape.top}&$order=${shape.order}&start=${start}&end=${end}${filter}`
    return { range, path }
  })
}

export interface LoadResult { rps: number, p50: number, p99: number, errors: number, bytes: number }

/** The service under autocannon: `connections` at once for `seconds`, cycling through the requests. */
export async function serviceLoad (baseUrl: string, token: string, requests: ReadRequest[], connections: number, seconds: number): Promise<LoadResult> {
  let next = 0
  const result = await autocannon({
    url: baseUrl,
    connections,
    duration: seconds,
    requests: [{
      method: 'GET',
      setupRequest: (req) => {
        const r = requests[next++ % requests.length] as ReadRequest
        return { ...req, path: r.path, headers: { authorization: `Bearer ${token}`, 'ai-resource-group': r.range.run.group } }
      }
    }]
  })
  if (result.errors + result.non2xx + result.timeouts > 0) {
    console.error('autocannon:', { errors: result.errors, timeouts: result.timeouts, non2xx: result.non2xx, statusCodes: result.statusCodeStats, resets: result.resets })
  }
  return {
    rps: result.requests.total / result.duration,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.non2xx + result.timeouts,
    bytes: result.requests.total === 0 ? 0 : Math.round(result.throughput.total / result.requests.total)
  }
}

/** The service's page read without the service: the store's block read through pg, renderLogsBody, the cursor. */
export async function barePage (pool: pg.Pool, secret: string, range: LogRange): Promise<Buffer> {
  const rows = await readRange(pool, range, range.top + 1)
  const more = rows.length > range.top
  if (more) rows.pop()
  const last = rows[rows.length - 1]
  return renderLogsBody(rows, more && last !== undefined ? encodeCursor(secret, { ...cursorStateOf(range), after: last.position }) : undefined)
}

/** The bare query at `connections` concurrent callers on the pool, for `seconds`. */
export async function bareLoad (pool: pg.Pool, secret: string, requests: ReadRequest[], connections: number, seconds: number): Promise<LoadResult> {
  const times: number[] = []
  let bytes = 0
  let errors = 0
  let next = 0
  const until = performance.now() + seconds * 1000
  const started = performance.now()
  await Promise.all(Array.from({ length: connections }, async () => {
    while (performance.now() < until) {
      const t0 = performance.now()
      // As the service answers 503 when no connection frees within its pool's timeout, this counts an error.
      const body = await barePage(pool, secret, (requests[next++ % requests.length] as ReadRequest).range).catch(() => undefined)
      if (body === undefined) { errors++; continue }
      times.push(performance.now() - t0)
      bytes += Buffer.byteLength(body)
    }
  }))
  const elapsed = (performance.now() - started) / 1000
  times.sort((a, b) => a - b)
  return { rps: times.length / elapsed, p50: percentile(times, 50), p99: percentile(times, 99), errors, bytes: times.length === 0 ? 0 : Math.round(bytes / times.length) }
}

/**
 * The plan of a shape's first request as the service runs it: a named prepared statement, executed six times
 * first so the plan shown is the one a warm statement gets (generic or custom), with EXPLAIN (ANALYZE, BUFFERS).
 */
export async function explainShape (pool: pg.Pool, request: ReadRequest): Promise<string> {
  const statement = blockPage({ run: request.range.run, order: request.range.order, ...rangeBounds(request.range) }, 2 + Math.floor(request.range.top / BLOCK_LINES))
  const client = await pool.connect()
  try {
    await client.query(`PREPARE explained AS ${statement.text}`)
    const args = statement.values.map((v) => (v === null ? 'NULL' : `'${String(v).replaceAll("'", "''")}'`)).join(', ')
    for (let i = 0; i < 6; i++) await client.query(`EXECUTE explained(${args})`)
    const { rows } = await client.query<{ 'QUERY PLAN': string }>(`EXPLAIN (ANALYZE, BUFFERS) EXECUTE explained(${args})`)
    return rows.map((r) => r['QUERY PLAN']).join('\n')
  } finally {
    await client.query('DEALLOCATE explained').catch(() => undefined)
    client.release()
  }
}

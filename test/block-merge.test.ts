// Background merging of blocks: small or overlapping blocks of a run become full, non-overlapping ones and
// every line reads back with the same bytes and position; one merger per run across processes; a read, a
// cursor and a tail stay exact while merges commit under them; kill -9 of the service mid-merge loses and
// repeats nothing.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { isDeepStrictEqual } from 'node:util'
import pg from 'pg'
import { pino } from 'pino'
import t, { type Test } from 'tap'
import type { FastifyInstance } from 'fastify'
import { startServiceProcess } from '../scripts/service-process.js'
import { BLOCK_LINES } from '../src/store/block-build.js'
import { defaultPlanSettings } from '../src/store/block-merge-plan.js'
import { mergeLockKey, mergeRound, type MergeRound, type MergeSettings } from '../src/store/block-merge.js'
import { readRange } from '../src/store/block-read.js'
import { exportLines } from '../src/store/export-lines.js'
import { LogStore } from '../src/store/log-store.js'
import type { StoredLine } from '../src/store/stored-line.js'
import { Partitions } from '../src/store/partitions.js'
import { createPool } from '../src/store/pool.js'
import type { LogRange, RunKey, SortOrder } from '../src/model.js'
import { authHeaders, buildTestApp, TEST_SECRET } from './helpers/app.js'

t.setTimeout(300_000)

const at = (iso: string): bigint => BigInt(Date.parse(iso)) * 1_000_000n
const NOW = at('2025-03-10T12:00:00.000Z')
const MS = 1_000_000n
const rfc3339 = (ns: bigint): string =>
  `${new Date(Number(ns / MS)).toISOString().slice(0, 19)}.${String(ns % 1_000_000_000n).padStart(9, '0')}Z`

interface Line { timestamp: string, msg: string, pod?: string, container?: string, stream?: string }

// Messages whose bytes must survive a rebuild: multi-byte UTF-8, a line separator, JSON, long and short.
const MESSAGES = ['plain ascii', 'ünïcödé – ✓ 日本語 🚀', 'line\u2028separator\ttab', '{"level":"info","n":1}', 'x', 'y'.repeat(700)]
const lineAt = (ns: bigint, n: number): Line =>
  ({ timestamp: rfc3339(ns), msg: `${n} ${MESSAGES[n % MESSAGES.length] as string}`, pod: `pod-${n % 3}`, container: n % 2 === 0 ? 'app' : 'sidecar', stream: n % 5 === 0 ? 'stderr' : 'stdout' })

const headers = await authHeaders()
// This file merges in its own process, beside the app it writes through: no request is shed for that.
const NO_SHEDDING = { PRESSURE_MAX_EVENT_LOOP_DELAY_MS: '0', PRESSURE_MAX_EVENT_LOOP_UTILIZATION_PERCENT: '0' }
const { app, databaseUrl } = await buildTestApp(t, { now: () => NOW, maintenance: false, env: { RATE_LIMIT_READS_PER_MINUTE: '0', RATE_LIMIT_WRITES_PER_MINUTE: '0', ...NO_SHEDDING } })
const pool = createPool(databaseUrl, 4)
t.teardown(async () => { await pool.end() })

const settings = (overrides: Partial<MergeSettings> = {}): MergeSettings =>
  ({ ...defaultPlanSettings(75), zstdLevel: 3, minNewBlocks: 1, quietSeconds: 0, runsPerRound: 1000, ...overrides })
const mergeNow = async (s: MergeSettings = settings()): Promise<MergeRound> =>
  await mergeRound(pool, s, (run, err) => { throw new Error(`merge of ${run.id} failed: ${String(err)}`) })

async function post (target: FastifyInstance, id: string, lines: Line[]): Promise<void> {
  const res = await target.inject({ method: 'POST', url: `/v2/lm/executions/${id}/logs`, headers, payload: lines })
  if (res.statusCode !== 200) throw new Error(res.body)
}

const runKey = (id: string): RunKey => ({ group: 'default', kind: 'execution', id })
const wholeRange = (id: string, order: SortOrder = 'asc'): LogRange =>
  ({ run: runKey(id), start: NOW - 3_600_000n * MS, end: NOW, top: 1_000_000, order })
/** Every stored line of the run with its seq, from the store itself. */
const storedLines = async (id: string, order: SortOrder = 'asc'): Promise<StoredLine[]> => await app.store.read(wholeRange(id, order))

/**
 * Lines (stored rows, or messages) equal field for field. A failure shows the seqs or message numbers, not a
 * diff of thousands of multi-byte messages.
 */
function sameLines<L extends StoredLine | string> (t: Test, got: L[], expected: L[] | undefined, message: string): void {
  const ids = (lines: L[] = []): string[] => lines.map((l) => (typeof l === 'string' ? l.split(' ')[0] as string : l.seq))
  t.same(ids(got), ids(expected), `${message} (in order, once each)`)
  const fields = (lines: L[] = []): unknown[] => lines.map((l) => (typeof l === 'string' ? l : l.toJSON()))
  t.ok(isDeepStrictEqual(fields(got), fields(expected)), `${message} (every byte and field)`)
}

interface BlockRow { first: string, last: string, count: number, merged: boolean }
async function blocksOf (id: string): Promise<BlockRow[]> {
  const { rows } = await pool.query<BlockRow>(`SELECT first_ts || '/' || first_ns || '/' || first_seq AS first, last_ts || '/' || last_ns || '/' || last_seq AS last,
    line_count AS count, merge_id <> 0 AS merged FROM log_blocks WHERE run_id = $1 ORDER BY first_ts, first_ns, first_seq`, [id])
  return rows
}
/** Whether any two blocks of the run overlap (compared in the database, by position). */
async function overlapping (id: string): Promise<number> {
  const { rows } = await pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM log_blocks a JOIN log_blocks b ON a.run_id = b.run_id
    AND (a.first_ts, a.first_ns, a.first_seq) < (b.first_ts, b.first_ns, b.first_seq) AND (b.first_ts, b.first_ns, b.first_seq) <= (a.last_ts, a.last_ns, a.last_seq)
    WHERE a.run_id = $1`, [id])
  return rows[0]?.n ?? -1
}
const unmergedOf = async (id: string): Promise<number> =>
  (await pool.query<{ n: number }>('SELECT unmerged_blocks AS n FROM runs WHERE run_id = $1', [id])).rows[0]?.n ?? -1

/** `batches` batches of `size` lines; `interleaved`: batch b holds every batches-th line, so all batches overlap. */
async function writeRun (id: string, batches: number, size: number, interleaved: boolean, startNs = NOW - 30n * 60_000n * MS): Promise<void> {
  for (let b = 0; b < batches; b++) {
    const lines = Array.from({ length: size }, (_, i) => {
      const n = interleaved ? i * batches + b : b * size + i
      // Every fourth line shares its millisecond with the one before: order at equal times is by seq.
      return lineAt(startNs + BigInt(n - (n % 4 === 3 ? 1 : 0)) * MS, n)
    })
    await post(app, id, lines)
  }
}

t.test('ingest counts the blocks a merge may want on the run: part-filled ones, and all of a batch reaching back', async (t) => {
  await writeRun('count-1', 3, 100, false)
  t.equal(await unmergedOf('count-1'), 3, 'three part-filled blocks')
  await post(app, 'count-1', Array.from({ length: 3000 }, (_, i) => lineAt(NOW - 10n * 60_000n * MS + BigInt(i) * MS, i)))
  t.equal(await unmergedOf('count-1'), 4, 'an in-order batch of 3,000 lines: a full block and a part-filled one; only the latter counts')
  await post(app, 'count-1', Array.from({ length: 3000 }, (_, i) => lineAt(NOW - 40n * 60_000n * MS + BigInt(i) * MS, i)))
  t.equal(await unmergedOf('count-1'), 6, 'a batch older than the run\'s last line overlaps: both its blocks count')
  const before = await storedLines('count-1')
  await mergeNow()
  sameLines(t, await storedLines('count-1'), before, 'the same lines')
  t.equal(await overlapping('count-1'), 0)
  t.equal(await unmergedOf('count-1'), 0)
})

t.test('descending reads over overlapping blocks of very different lengths are the exact reverse of ascending ones, page by page', async (t) => {
  // Pages of blocks come by first line in both orders; a descending read orders them by last line itself.
  // One long batch spans the whole hour, short batches sit inside it and before it, one line shares its instant.
  const id = 'desc-overlap-1'
  const base = NOW - 59n * 60_000n * MS
  await post(app, id, Array.from({ length: 3 * BLOCK_LINES }, (_, i) => lineAt(base + BigInt(i) * 500n * MS, i)))
  for (let b = 0; b < 12; b++) {
    await post(app, id, Array.from({ length: 15 + b * 7 }, (_, i) => lineAt(base + BigInt(b * 250_000 + i * 3) * MS, 10_000 + b * 1000 + i)))
  }
  await post(app, id, [lineAt(base - 30_000n * MS, 99_999), lineAt(base + 500n * MS, 99_998)])
  t.ok((await overlapping(id)) > 0, 'the blocks overlap')
  const asc = await storedLines(id)
  const desc = await storedLines(id, 'desc')
  t.equal(asc.length, 3 * BLOCK_LINES + 12 * 15 + 7 * 66 + 2)
  sameLines(t, desc, [...asc].reverse(), 'the whole range')
  for (const top of [1, 7, 100, 1000]) {
    const pages: StoredLine[] = []
    let after: StoredLine | undefined
    for (;;) {
      const page: StoredLine[] = await app.store.read({ ...wholeRange(id, 'desc'), top, ...(after === undefined ? {} : { after: after.position }) })
      pages.push(...page)
      after = page[page.length - 1]
      if (page.length < top || pages.length > asc.length) break
    }
    sameLines(t, pages, desc, `pages of ${top}`)
  }
  await mergeNow()
  t.equal(await overlapping(id), 0, 'merged')
  sameLines(t, await storedLines(id, 'desc'), desc, 'and after the merge')
})

t.test('small in-order blocks merge into full ones; every line keeps its bytes, time and seq', async (t) => {
  await writeRun('small-1', 30, 100, false)
  const before = await storedLines('small-1')
  const beforeDesc = await storedLines('small-1', 'desc')
  t.equal(before.length, 3000)
  t.equal((await blocksOf('small-1')).length, 30)
  const round = await mergeNow()
  t.match(round, { runs: 1, merges: 1, busy: 0, failed: 0, blocksIn: 30, blocksOut: 2, lines: 3000 }, 'only small-1 was due')
  const blocks = await blocksOf('small-1')
  t.same(blocks.map((b) => b.count), [BLOCK_LINES, 3000 - BLOCK_LINES], 'full blocks, the last one holding the rest')
  t.ok(blocks.every((b) => b.merged), 'written by the merge')
  t.equal(await overlapping('small-1'), 0)
  sameLines(t, await storedLines('small-1'), before, 'the same lines, bytes, positions and seqs')
  sameLines(t, await storedLines('small-1', 'desc'), beforeDesc, 'and in descending order')
  t.equal(await unmergedOf('small-1'), 0, 'the run is no longer due')
  t.same(await mergeNow(), { runs: 0, busy: 0, failed: 0, merges: 0, blocksIn: 0, blocksOut: 0, lines: 0 }, 'a second round finds nothing to do')
})

t.test('overlapping blocks (batches whose times interleave) merge into non-overlapping ones; block_span grows with them', async (t) => {
  await writeRun('overlap-1', 8, 500, true)
  t.ok(await overlapping('overlap-1') > 0, 'the batches\' blocks overlap')
  const before = await storedLines('overlap-1')
  const spanBefore = (await pool.query<{ s: string }>('SELECT block_span::text AS s FROM runs WHERE run_id = $1', ['overlap-1'])).rows[0]?.s
  await mergeNow()
  const blocks = await blocksOf('overlap-1')
  t.same(blocks.map((b) => b.count), [BLOCK_LINES, 4000 - BLOCK_LINES])
  t.equal(await overlapping('overlap-1'), 0)
  sameLines(t, await storedLines('overlap-1'), before, 'the same lines')
  const { rows } = await pool.query<{ ok: boolean, s: string }>(`SELECT block_span::text AS s, block_span >= (SELECT max(last_ts - first_ts) FROM log_blocks WHERE run_id = $1) AS ok
    FROM runs WHERE run_id = $1`, ['overlap-1'])
  t.ok(rows[0]?.ok, `block_span ${rows[0]?.s ?? ''} (was ${spanBefore ?? ''}) covers the longest merged block`)
  // A narrow range in the middle finds its lines through the bound block_span puts on the index walk.
  const middle: LogRange = { run: runKey('overlap-1'), start: NOW - 30n * 60_000n * MS + 2500n * MS, end: NOW - 30n * 60_000n * MS + 2510n * MS, top: 100, order: 'asc' }
  sameLines(t, await app.store.read(middle), before.filter((r) => r.ts >= '2025-03-10 11:30:02.5' && r.ts < '2025-03-10 11:30:02.51'), 'a narrow range')
  t.equal((await app.store.read(middle)).length, 10)
})

t.test('blocks already full and apart are left alone; a lone small block is not rewritten', async (t) => {
  await post(app, 'full-1', Array.from({ length: 2 * BLOCK_LINES + 10 }, (_, i) => lineAt(NOW - 20n * 60_000n * MS + BigInt(i) * MS, i)))
  const before = await blocksOf('full-1')
  t.equal(before.length, 3)
  await mergeNow()
  t.same(await blocksOf('full-1'), before, 'no merge: it would not save a block')
  t.equal(await unmergedOf('full-1'), 0)
})

t.test('one merger per run: a run another merger holds is left to it, and merging again after it repeats nothing', async (t) => {
  await writeRun('locked-1', 10, 50, true)
  const before = await storedLines('locked-1')
  const holder = new pg.Client({ connectionString: databaseUrl })
  await holder.connect()
  const [cls, key] = mergeLockKey(runKey('locked-1'))
  await holder.query('SELECT pg_advisory_lock($1, hashtext($2))', [cls, key])
  const round = await mergeNow()
  t.match(round, { busy: 1, merges: 0 })
  t.equal((await blocksOf('locked-1')).length, 10, 'untouched')
  t.equal(await unmergedOf('locked-1'), 10, 'still due')
  await holder.query('SELECT pg_advisory_unlock($1, hashtext($2))', [cls, key])
  await holder.end()
  // Two mergers at once (as two replicas): one merges, the other finds the run held or already done.
  await writeRun('locked-2', 10, 50, true)
  const before2 = await storedLines('locked-2')
  const rounds = await Promise.all([mergeNow(), mergeNow()])
  t.equal(rounds.reduce((n, r) => n + r.merges, 0), 2, 'each run merged once')
  for (const [id, lines] of [['locked-1', before], ['locked-2', before2]] as const) {
    sameLines(t, await storedLines(id), lines, id)
    t.same((await blocksOf(id)).map((b) => b.count), [500])
  }
})

/**
 * A store whose reads run `hook` (once) right after their first block page query in a snapshot returns. A
 * read's first try takes one page through pool.query (outside a snapshot: it needs no more, or runs again in
 * one), whose statements, sent with a callback, pass through.
 */
function storeWithHookAfterFirstPage (): { store: LogStore, arm: (hook: () => Promise<void>) => void, done: () => boolean } {
  const readPool = createPool(databaseUrl, 2)
  t.teardown(async () => { await readPool.end() })
  let hook: (() => Promise<void>) | undefined
  let ran = false
  readPool.on('acquire', (client) => {
    const c = client as unknown as { query: (...args: unknown[]) => Promise<unknown>, hooked?: boolean }
    if (c.hooked === true) return
    c.hooked = true
    const query = c.query.bind(client)
    c.query = async (...args: unknown[]) => {
      if (typeof args[args.length - 1] === 'function') return await query(...args)
      const result = await query(...args)
      const name = (args[0] as { name?: string }).name
      if (hook !== undefined && name?.startsWith('blocks-') === true) {
        const h = hook
        hook = undefined
        await h()
        ran = true
      }
      return result
    }
  })
  return { store: new LogStore(readPool, new Partitions(readPool, () => undefined), readPool), arm: (h) => { hook = h; ran = false }, done: () => ran }
}

t.test('a merge committed between two block pages of one read: no gap, no repeat (asc and desc)', async (t) => {
  const { store, arm, done } = storeWithHookAfterFirstPage()
  for (const order of ['asc', 'desc'] as const) {
    const id = `snapshot-${order}`
    await writeRun(id, 40, 100, false)
    const expected = await storedLines(id, order)
    // 40 blocks are more than a read's first page outside a snapshot (32 at most); in the snapshot $top=4000
    // takes 3 blocks a page: the merge replaces all 40 blocks after the first page.
    arm(async () => { t.equal((await mergeNow()).merges, 1, `${order}: the merge committed during the read`) })
    const rows = await store.read({ ...wholeRange(id, order), top: 4000 }, 4000)
    t.ok(done(), 'the hook ran between pages')
    t.equal((await blocksOf(id)).length, 2, 'the blocks were merged under the read')
    sameLines(t, rows, expected, `${order}: exactly the lines, once each`)
    sameLines(t, await storedLines(id, order), expected, `${order}: and the same after`)
  }
})

t.test('cursors across a merge page on without a gap or a repeat, in both orders', async (t) => {
  for (const order of ['asc', 'desc'] as const) {
    const id = `cursor-${order}`
    await writeRun(id, 12, 250, true)
    const expected = (await storedLines(id, order)).map((r) => r.msg)
    const msgs: string[] = []
    let url = `/v2/lm/executions/${id}/logs?$top=700&$order=${order}&start=${rfc3339(NOW - 3_600_000n * MS)}&end=${rfc3339(NOW)}`
    for (let page = 0; ; page++) {
      const res = await app.inject({ url, headers })
      t.equal(res.statusCode, 200, `${order} page ${page}`)
      const body = res.json() as { data: { result: Array<{ msg: string }>, nextCursor?: string } }
      msgs.push(...body.data.result.map((l) => l.msg))
      if (body.data.nextCursor === undefined) break
      if (page === 0) t.equal((await mergeNow()).merges, 1, 'merged after the first page')
      url = `/v2/lm/executions/${id}/logs?$top=700&cursor=${body.data.nextCursor}`
    }
    sameLines(t, msgs, expected, `${order}: every line once, in order`)
  }
})

/** An SSE tail read with fetch: its events as they come. */
async function openTail (base: string, id: string, lastEventId?: string): Promise<{ take: (n: number) => Promise<Array<{ id: string, msg: string }>>, close: () => void }> {
  const abort = new AbortController()
  const res = await fetch(`${base}/v2/lm/executions/${id}/logs?follow=true`, {
    headers: { ...headers, accept: 'text/event-stream', ...(lastEventId === undefined ? {} : { 'last-event-id': lastEventId }) },
    signal: abort.signal
  })
  if (res.status !== 200 || res.body === null) throw new Error(`tail: ${res.status}`)
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader()
  let buffer = ''
  const events: Array<{ id: string, msg: string }> = []
  return {
    take: async (n) => {
      while (events.length < n) {
        const { value, done } = await reader.read()
        if (done) throw new Error('the tail ended')
        buffer += value
        let cut: number
        while ((cut = buffer.indexOf('\n\n')) !== -1) {
          const frame = buffer.slice(0, cut)
          buffer = buffer.slice(cut + 2)
          // Split on \n only: a message may hold U+2028, which a regular expression's `.` and `$` stop at.
          const fields = frame.split('\n')
          const id = fields.find((f) => f.startsWith('id: '))?.slice(4)
          const data = fields.find((f) => f.startsWith('data: '))?.slice(6)
          if (id !== undefined && data !== undefined) events.push({ id, msg: (JSON.parse(data) as { msg: string }).msg })
        }
      }
      return events.splice(0, n)
    },
    close: () => { abort.abort() }
  }
}

t.test('a tail resumed with Last-Event-ID across a merge gets exactly the lines it missed', async (t) => {
  const base = await app.listen({ port: 0, host: '127.0.0.1' })
  const id = 'tail-1'
  await writeRun(id, 20, 100, true, NOW - 20n * 60_000n * MS)
  const expected = (await storedLines(id)).map((r) => r.msg)
  const first = await openTail(base, id)
  const got = await first.take(700)
  first.close()
  t.equal((await mergeNow()).merges, 1, 'merged while the client was away')
  const second = await openTail(base, id, got.at(-1)?.id)
  got.push(...await second.take(1300))
  sameLines(t, got.map((e) => e.msg), expected, 'the range, once, in order')
  // A line written after the merge comes next: nothing of the range was repeated before it.
  await post(app, id, [lineAt(NOW - 1000n * MS, 9999)])
  t.same((await second.take(1)).map((e) => e.msg), [lineAt(0n, 9999).msg])
  second.close()
})

t.test('the service merges on its timer, logs each round at info and counts merges in /metrics', async (t) => {
  const logged: Array<Record<string, unknown>> = []
  const loggerInstance = pino({ level: 'info' }, { write: (line: string) => { logged.push(JSON.parse(line) as Record<string, unknown>) } })
  await writeRun('timer-1', 6, 100, false)
  const expected = await storedLines('timer-1')
  const { app: merging } = await buildTestApp(t, {
    databaseUrl,
    now: () => NOW,
    loggerInstance,
    env: { BLOCK_MERGE_INTERVAL_SECONDS: '1', BLOCK_MERGE_MIN_NEW_BLOCKS: '5', BLOCK_MERGE_QUIET_SECONDS: '3600', ...NO_SHEDDING }
  })
  for (let i = 0; i < 100 && merging.blockMerges.merges === 0; i++) await new Promise((resolve) => setTimeout(resolve, 100))
  t.same((await blocksOf('timer-1')).map((b) => b.count), [600])
  sameLines(t, await storedLines('timer-1'), expected, 'the same lines')
  const round = logged.find((l) => l.msg === 'merge round')
  t.match(round, { level: 30, runs: 1, merges: 1, blocksIn: 6, blocksOut: 1, lines: 600 })
  const metrics = await merging.inject({ url: '/metrics' })
  t.match(metrics.body, /^runlogs_block_merges_total 1$/m)
  t.match(metrics.body, /^runlogs_blocks_merged_total 6$/m)
  t.match(metrics.body, /^runlogs_merged_lines_total 600$/m)
})

t.test('kill -9 of the service in the middle of a merge loses and repeats nothing; the next merger finishes', async (t) => {
  const ids = Array.from({ length: 6 }, (_, i) => `crash-${i}`)
  for (const id of ids) await writeRun(id, 40, 100, id.endsWith('1'))
  const expected = new Map<string, StoredLine[]>()
  for (const id of ids) expected.set(id, await storedLines(id))
  const dataDir = await mkdtemp(path.join(tmpdir(), 'run-logs-merge-crash-'))
  t.teardown(async () => { await rm(dataDir, { recursive: true, force: true }) })
  // zstd level 19 makes each merge slow enough to be caught inside its transaction.
  const merging = { BLOCK_MERGE_INTERVAL_SECONDS: '1', BLOCK_MERGE_QUIET_SECONDS: '0', BLOCK_MERGE_MIN_NEW_BLOCKS: '1', BLOCK_MERGE_ZSTD_LEVEL: '19' }
  const service = await startServiceProcess({ DATABASE_URL: databaseUrl, AUTH_JWT_SECRET: TEST_SECRET, DATA_DIR: dataDir, LOG_LEVEL: 'warn', LOG_RETENTION_DAYS: '0', ...merging })
  t.teardown(() => { service.child.kill('SIGKILL') })
  const [cls] = mergeLockKey(runKey('any'))
  const mergingNow = async (): Promise<boolean> => (await pool.query(`SELECT 1 FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
    WHERE l.locktype = 'advisory' AND l.classid = $1 AND a.xact_start IS NOT NULL
      AND (a.state = 'idle in transaction' OR (a.state = 'active' AND a.query NOT LIKE '%advisory%'))`, [cls])).rowCount === 1
  let caught = false
  for (let i = 0; i < 3000 && !(caught = await mergingNow()); i++) await new Promise((resolve) => setTimeout(resolve, 5))
  t.ok(caught, 'a merge transaction was open')
  service.child.kill('SIGKILL')
  await service.exited
  // The server notices the dead connection, rolls its transaction back and frees its lock.
  const anyLock = async (): Promise<boolean> => ((await pool.query("SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND classid = $1", [cls])).rowCount ?? 0) > 0
  for (let i = 0; i < 200 && await anyLock(); i++) await new Promise((resolve) => setTimeout(resolve, 25))
  t.notOk(await anyLock(), 'the lock went with the connection')
  const midway = await Promise.all(ids.map(async (id) => (await blocksOf(id)).length))
  t.ok(midway.some((n) => n === 40), `some runs were not merged yet (blocks per run: ${midway.join(', ')})`)
  for (const id of ids) sameLines(t, await storedLines(id), expected.get(id), `${id}: every line once after the kill`)
  await mergeNow()
  for (const id of ids) {
    sameLines(t, await storedLines(id), expected.get(id), `${id}: every line once after the merges finished`)
    t.same((await blocksOf(id)).map((b) => b.count), [BLOCK_LINES, 4000 - BLOCK_LINES])
    t.equal(await overlapping(id), 0)
  }
})

t.test('an export reading a run in batches across a merge: every line once (a decoded block is never taken for the merged one that replaced it)', async (t) => {
  const id = 'export-1'
  await writeRun(id, 30, 100, false)
  const expected = (await storedLines(id)).map((r) => r.msg)
  const msgs: string[] = []
  let batch = 0
  // Through the pool, as exports read: blocks decoded by one batch are kept for the next.
  for await (const rows of exportLines(pool, runKey(id), NOW - 3_600_000n * MS, NOW, 500)) {
    msgs.push(...rows.map((r) => r.msg))
    if (batch++ === 0) t.equal((await mergeNow()).merges, 1, 'merged after the first batch')
  }
  sameLines(t, msgs, expected, 'every line once, in order')
})

t.test('a reader keeping decoded blocks (per pool) never takes a merged block for the one it replaced', async (t) => {
  const id = 'cache-1'
  await writeRun(id, 30, 100, false)
  const expected = await storedLines(id)
  const range = { ...wholeRange(id), top: 500 }
  // Read through the pool itself: its decoded-block cache keeps the first blocks, named by their first line.
  const first = await readRange(pool, range, 500)
  t.equal((await mergeNow()).merges, 1)
  const last = first.at(-1) as StoredLine
  const rest = await readRange(pool, { ...range, top: 5000, after: last.position }, 5000)
  sameLines(t, [...first, ...rest], expected, 'the merged block that starts where the first small one did is read afresh')
})

// The store's dictionary (block-dictionary.ts) through the merger: once the store holds enough lines across
// runs, a merge round trains one and stores it; lone small blocks ingest wrote with zstd are rewritten with
// it (payload version 3) and every line reads back with the same bytes and position; the next round has
// nothing left to rewrite.
import { isDeepStrictEqual } from 'node:util'
import t from 'tap'
import { defaultPlanSettings } from '../src/store/block-merge-plan.js'
import { mergeRound, type MergeRound, type MergeSettings } from '../src/store/block-merge.js'
import { createPool } from '../src/store/pool.js'
import type { RunKey } from '../src/model.js'
import { authHeaders, buildTestApp } from './helpers/app.js'

t.setTimeout(300_000)

const NOW = BigInt(Date.parse('2025-03-10T12:00:00.000Z')) * 1_000_000n
const MS = 1_000_000n
const rfc3339 = (ns: bigint): string => `${new Date(Number(ns / MS)).toISOString().slice(0, 19)}.${String(ns % 1_000_000_000n).padStart(9, '0')}Z`
const headers = await authHeaders()
const NO_SHEDDING = { PRESSURE_MAX_EVENT_LOOP_DELAY_MS: '0', PRESSURE_MAX_EVENT_LOOP_UTILIZATION_PERCENT: '0' }
const { app, databaseUrl } = await buildTestApp(t, { now: () => NOW, maintenance: false, env: { RATE_LIMIT_READS_PER_MINUTE: '0', RATE_LIMIT_WRITES_PER_MINUTE: '0', ...NO_SHEDDING } })
const pool = createPool(databaseUrl, 4)
t.teardown(async () => { await pool.end() })
const settings: MergeSettings = { ...defaultPlanSettings(75), zstdLevel: 3, minNewBlocks: 1, quietSeconds: 0, runsPerRound: 1000 }
const mergeNow = async (): Promise<MergeRound> => await mergeRound(pool, settings, (run, err) => { throw new Error(`merge of ${run.id} failed: ${String(err)}`) })
const runKey = (id: string): RunKey => ({ group: 'default', kind: 'execution', id })

const message = (run: number, i: number): string => [
  `GET /api/v1/items/${(run * 31 + i) * 7919 % 10007} 200 ${i % 97} ms`,
  `epoch ${i % 13} step ${i} loss=${(1 / (i + 1)).toFixed(6)} ✓`,
  `{"level":"info","msg":"request done","run":${run},"took":${i % 50}}`
][i % 3] as string

const versions = async (): Promise<Record<string, number>> => {
  const { rows } = await pool.query<{ v: number, n: number }>('SELECT get_byte(payload, 0) AS v, count(*)::int AS n FROM log_blocks GROUP BY 1')
  return Object.fromEntries(rows.map((r) => [r.v === 0x28 ? 'zstd frame' : `v${r.v}`, r.n]))
}

t.test('a merge round trains the store\'s dictionary and rewrites lone small blocks with it; every line reads back the same', async (t) => {
  // 40 runs of 80 lines, each one batch: one lone small block per run, which no merge would touch.
  for (let run = 0; run < 40; run++) {
    const lines = Array.from({ length: 80 }, (_, i) => ({ timestamp: rfc3339(NOW - 30n * 60_000n * MS + BigInt(i) * MS), msg: message(run, i), pod: `pod-${run}`, container: 'main', stream: i % 5 === 0 ? 'stderr' : 'stdout' }))
    const res = await app.inject({ method: 'POST', url: `/v2/lm/executions/run-${run}/logs`, headers, payload: lines })
    t.equal(res.statusCode, 200, res.body)
  }
  t.same(await versions(), { v2: 40 }, 'ingest writes zstd blocks')
  t.equal((await pool.query('SELECT 1 FROM block_dictionaries')).rowCount, 0, 'no dictionary yet')
  const range = (id: string) => ({ run: runKey(id), start: NOW - 3_600_000n * MS, end: NOW, top: 1000, order: 'asc' as const })
  const before = await Promise.all(Array.from({ length: 40 }, async (_, r) => (await app.store.read(range(`run-${r}`))).map((l) => l.toJSON())))

  const round = await mergeNow()
  t.match(round, { failed: 0, merges: 40, blocksIn: 40, blocksOut: 40, lines: 3200 }, 'each lone block rewritten')
  t.equal((await pool.query('SELECT 1 FROM block_dictionaries')).rowCount, 1, 'one dictionary trained and stored')
  t.same(await versions(), { v3: 40 }, 'every block now names the dictionary')
  const after = await Promise.all(Array.from({ length: 40 }, async (_, r) => (await app.store.read(range(`run-${r}`))).map((l) => l.toJSON())))
  t.ok(isDeepStrictEqual(after, before), 'every line of every run reads back with the same bytes, position and seq')
  const found = await app.store.read({ ...range('run-7'), filters: { contains: 'loss=0.5' } })
  t.same(found.map((l) => l.msg), ['epoch 1 step 1 loss=0.500000 ✓'], 'a search reads them too')

  // A new small block of a run already rewritten: the next round rewrites it, merging it with its neighbour.
  const res = await app.inject({ method: 'POST', url: '/v2/lm/executions/run-0/logs', headers, payload: [{ timestamp: rfc3339(NOW - 60_000n * MS), msg: message(0, 1000), pod: 'pod-0', container: 'main', stream: 'stdout' }] })
  t.equal(res.statusCode, 200)
  const next = await mergeNow()
  t.match(next, { failed: 0, merges: 1 })
  t.same(await versions(), { v3: 40 }, 'the store stays converged')
  t.same(await mergeNow(), { runs: 0, busy: 0, failed: 0, merges: 0, blocksIn: 0, blocksOut: 0, lines: 0 }, 'then nothing is left to do')
})

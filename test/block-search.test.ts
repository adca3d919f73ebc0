// A search's page of blocks (block-search.ts): it takes each payload's prefix with the page, passes a block
// none of whose granules may hold the value without fetching or decoding anything, and fetches of the others
// only what lies beyond the prefix of their head and of the granules that may hold it; a version-1 payload is
// fetched whole. Small blocks carry no block filter and are still found by a search in SQL.
import { compress } from '@mongodb-js/zstd'
import type pg from 'pg'
import t from 'tap'
import { buildBlocks, GRANULE_LINES, type BuiltBlock } from '../src/store/block-build.js'
import { encodeColumns, payloadLayout, type BlockLine } from '../src/store/block-codec.js'
import { buildFilter, filterMayHold, filterProbe, FILTER_MIN_LINES, granuleProbe } from '../src/store/block-filter.js'
import { readRange } from '../src/store/block-read.js'
import { openSearchPage, type SearchRow } from '../src/store/block-search.js'
import { createPool } from '../src/store/pool.js'
import { storeRun } from './helpers/blocks.js'
import { createTestDatabase } from './helpers/database.js'

const DAY = 20_619 // 2026-06-15
const DAY_NS = 86_400_000_000_000n
const line = (i: number, msg: string): BlockLine =>
  ({ day: DAY, t: 36_000_000_000_000 + i * 1_000_000, seq: i, pod: `pod-${i % 3}`, container: 'main', stream: 'stdout', msg })
const hitsOf = (hit: Uint8Array): number[] => [...hit.keys()].filter((i) => hit[i] === 1)

/** A database stand-in that serves BLOCK_PIECES from the payloads given and records the ranges asked. */
function piecesDb (payloads: Buffer[], deleted = new Set<number>()): { db: pg.Pool, asked: Array<[number, number, number]> } {
  const asked: Array<[number, number, number]> = []
  const query = async (q: { values: unknown[] }): Promise<{ rows: Array<[number, Buffer]> }> => {
    const firstSeqs = q.values[5] as string[]
    const starts = q.values[9] as number[]
    const lengths = q.values[10] as number[]
    const rows: Array<[number, Buffer]> = []
    starts.forEach((s, i) => {
      const block = Number(firstSeqs[i])
      asked.push([block, s - 1, s - 1 + (lengths[i] as number)])
      if (!deleted.has(block)) rows.push([i + 1, (payloads[block] as Buffer).subarray(s - 1, s - 1 + (lengths[i] as number))])
    })
    return { rows }
  }
  return { db: { query } as unknown as pg.Pool, asked }
}

const rowOf = (payload: Buffer, index: number, prefix: number): SearchRow =>
  ({ prefix: payload.subarray(0, prefix), minSeq: 0, identity: ['2026-06-15 10:00:00+00', 0, String(index), '0', '0', 1] })

t.test('a search page fetches beyond the prefix only the head and the granules that may hold the value', async (t) => {
  const G = GRANULE_LINES
  const word = (i: number): string => `request ${i} served by worker ${['alpha', 'beta', 'gamma'][i % 3] as string} after a wait`
  const holding = Array.from({ length: 2 * G }, (_, i) => (i === G + 9 ? 'request failed: wombat detected' : word(i)))
  const without = Array.from({ length: 2 * G }, (_, i) => word(i))
  const [a] = await buildBlocks(holding.map((m, i) => line(i, m)))
  const [b] = await buildBlocks(without.map((m, i) => line(i, m)))
  const v1 = await compress(encodeColumns(holding.slice(0, 100).map((m, i) => line(i, m))), 3)
  const payloads = [(a as BuiltBlock).payload, (b as BuiltBlock).payload, v1]
  const layout = payloadLayout(payloads[0] as Buffer)
  if (layout === undefined || layout === 'v1') throw new Error('a version-2 payload')
  const prefix = (layout.filters[1] as [number, number])[1] // the table and filters, not the head
  t.same(payloadLayout((payloads[0] as Buffer).subarray(0, 3)), undefined, 'a prefix that ends inside the table')
  t.equal(payloadLayout(v1), 'v1')

  const { db, asked } = piecesDb(payloads)
  const needle = Buffer.from('wombat')
  const opened = await Promise.all(openSearchPage(db, { group: 'g', kind: 'deployment', id: 'r' }, payloads.map((p, i) => rowOf(p, i, prefix)), needle, granuleProbe('wombat')))
  const [first, second, third] = opened
  if (first === undefined || first === 'gone' || third === undefined || third === 'gone') throw new Error('blocks 0 and 2 are opened')
  t.same(hitsOf(first.hits), [G + 9], 'the hit of block 0')
  t.equal(first.whole, false, 'opened in part')
  t.same([first.block.loaded(0), first.block.loaded(1)], [false, true], 'only the granule that may hold the value is decompressed')
  t.equal(second, undefined, 'a block none of whose granules may hold the value is passed')
  t.same(hitsOf(third.hits), [], 'a version-1 block is searched whole')
  t.equal(third.whole, true)
  const frame1 = layout.frames[1] as [number, number]
  t.same(asked.filter(([block]) => block === 0).map(([, s, e]) => [s, e]), [[layout.head[0], layout.head[1]], [frame1[0], frame1[1]]],
    'block 0: its head and the frame of granule 1, not granule 0')
  t.same(asked.filter(([block]) => block === 1), [], 'nothing of block 1')
  t.same(asked.filter(([block]) => block === 2).map(([, s]) => s), [0], 'block 2 from its start')

  const gone = piecesDb(payloads, new Set([0]))
  const [deleted] = await Promise.all(openSearchPage(gone.db, { group: 'g', kind: 'deployment', id: 'r' }, [rowOf(payloads[0] as Buffer, 0, prefix)], needle, granuleProbe('wombat')))
  t.equal(deleted, 'gone', 'a block deleted since its page')

  const whole = piecesDb(payloads)
  const [inPrefix] = await Promise.all(openSearchPage(whole.db, { group: 'g', kind: 'deployment', id: 'r' }, [rowOf(payloads[0] as Buffer, 0, (payloads[0] as Buffer).length)], needle, granuleProbe('wombat')))
  t.same(whole.asked, [], 'a payload the prefix holds whole needs no fetch')
  t.same(inPrefix !== undefined && inPrefix !== 'gone' ? hitsOf(inPrefix.hits) : [], [G + 9])
})

t.test('blocks under FILTER_MIN_LINES lines have no block filter, and a search in SQL still opens them', async (t) => {
  const messages = (n: number, from: number): Buffer[] => Array.from({ length: n }, (_, i) => Buffer.from(`line ${from + i} says hello`))
  t.equal(buildFilter(messages(FILTER_MIN_LINES - 1, 0)).length, 0)
  t.ok(buildFilter(messages(FILTER_MIN_LINES, 0)).length > 0)
  t.ok(filterMayHold(Buffer.alloc(0), filterProbe('anything')), 'an empty filter may hold anything')

  const url = await createTestDatabase(t)
  const pool = createPool(url, 2)
  t.teardown(async () => await pool.end())
  // A full block that cannot hold 'wombat' (its filter rules it out), then a small one without a filter that does.
  const big = Array.from({ length: 1000 }, (_, i) => line(i, `line ${i} says hello`))
  const small = Array.from({ length: 10 }, (_, i) => line(1000 + i, i === 4 ? 'a wombat here' : `line ${1000 + i} says hello`))
  const blocks = [...await buildBlocks(big), ...await buildBlocks(small)]
  t.same(blocks.map((b) => b.filter.length > 0), [true, false])
  const run = { group: 'g', kind: 'deployment' as const, id: 'small' }
  await storeRun(pool, run, blocks)
  const start = BigInt(DAY) * DAY_NS
  const range = { run, start, end: start + DAY_NS, top: 100, order: 'asc' as const }
  for (const [value, seqs] of [['wombat', ['1004']], ['says hello', []], ['line 1009 says', ['1009']], ['line 99 ', ['99']]] as Array<[string, string[]]>) {
    const found = await readRange(pool, { ...range, filters: { contains: value } }, 100)
    if (value === 'says hello') t.equal(found.length, 100, 'a page of a value in every line')
    else t.same(found.map((r) => r.seq), seqs, `contains ${value}`)
  }
  const desc = await readRange(pool, { ...range, order: 'desc', filters: { contains: 'wombat' } }, 100)
  t.same(desc.map((r) => r.seq), ['1004'], 'desc too')
})

t.test('a block a search opened in part is kept for searches it can serve, and opened whole for other reads', async (t) => {
  const G = GRANULE_LINES
  const messages = Array.from({ length: 2 * G }, (_, i) => (i === 5 ? 'a koala sleeps' : i === G + 5 ? 'a wombat digs' : `line ${i} of the run`))
  const url = await createTestDatabase(t)
  const pool = createPool(url, 2)
  t.teardown(async () => await pool.end())
  const run = { group: 'g', kind: 'deployment' as const, id: 'cached' }
  await storeRun(pool, run, await buildBlocks(messages.map((m, i) => line(i, m))))
  const start = BigInt(DAY) * DAY_NS
  const range = { run, start, end: start + DAY_NS, top: 5000, order: 'asc' as const }
  const seqs = async (contains?: string): Promise<string[]> =>
    (await readRange(pool, { ...range, ...(contains === undefined ? {} : { filters: { contains } }) }, 5000)).map((r) => r.seq)
  // The pool's cache now holds the block with granule 1 only.
  t.same(await seqs('wombat'), [String(G + 5)])
  t.same(await seqs('wombat'), [String(G + 5)], 'again, from the cache')
  t.same(await seqs('koala'), ['5'], 'a value of the granule it lacks')
  t.same((await readRange(pool, range, 5000)).map((r) => r.msg), messages, 'a plain read of every line')
})

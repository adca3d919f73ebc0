// A search (`contains`) over blocks, a page of blocks at a time. The page carries each payload's first
// SEARCH_PREFIX bytes only: a version-2 payload starts with its table and granule filters, then its head
// (block-codec.ts), so the prefix most often holds all three, and a small block's whole payload. The granule
// filters are checked here: a block none of whose granules may hold the value is passed without decoding
// anything; otherwise only its head (when the prefix does not hold it) and the frames of the granules that
// may hold the value are fetched, for the whole page in one statement (BLOCK_PIECES), and each block's head
// and granules are decompressed at once, all blocks of the page in parallel. The search itself stays exact
// (DecodedBlock.matching). A version-1 payload, or a table longer than the prefix, is fetched whole.
import type pg from 'pg'
import type { RunKey } from '../model.js'
import { DecodedBlock, DICT_VERSION, payloadLayout, type BlockParts } from './block-codec.js'
import { granuleMayHold } from './block-filter.js'
import { decodeBlock, inflate, type BlockIdentity } from './block-open.js'

/** Three TOAST chunks (1,996 bytes each): the table, the filters and the head of a full block, measured. */
export const SEARCH_PREFIX = 3 * 1996
const WHOLE = 0x7fffffff

/**
 * Byte ranges of blocks' payloads (1-based start, length): a row per range, `i` its place in the arrays. A
 * block is named by its first line and told from one that replaced it (a merge) by min_seq, last seq and
 * line count, as block-open.ts's payload fetch does; a range of a block deleted since gives no row.
 * `substring` of a STORAGE EXTERNAL value reads only the TOAST chunks that hold the range.
 */
const BLOCK_PIECES = `SELECT k.i::int, substring(b.payload from k.s for k.n) FROM unnest($4::timestamptz[], $5::smallint[], $6::bigint[],
  $7::bigint[], $8::bigint[], $9::int[], $10::int[], $11::int[]) WITH ORDINALITY AS k(ts, ns, seq, min_seq, last_seq, count, s, n, i)
  JOIN log_blocks b ON b.first_ts = k.ts AND b.first_ns = k.ns AND b.first_seq = k.seq AND b.min_seq = k.min_seq
    AND b.last_seq = k.last_seq AND b.line_count = k.count
  WHERE b.resource_group = $1 AND b.run_kind = $2 AND b.run_id = $3`

/** A block of a search page: its prefix, and its name as BLOCK_PIECES takes it. */
export interface SearchRow {
  prefix: Buffer
  minSeq: number
  /** first_ts text, first_ns, first_seq, min_seq, last_seq, line_count. */
  identity: BlockIdentity
}

/** A block opened by a search: undefined when it cannot hold the value, 'gone' when deleted since its page. */
export type SearchOpened = { block: DecodedBlock, hits: Uint8Array, whole: boolean } | undefined | 'gone'

/** What a block needs beyond its prefix: byte ranges [start, end), adjacent ones joined. */
type Layout = Exclude<ReturnType<typeof payloadLayout>, undefined | 'v1'>
interface Plan { ranges: Array<[number, number]>, maybe: number[], whole: boolean, layout?: Layout }

function planOf (row: SearchRow, probe: number[]): Plan | undefined {
  const layout = payloadLayout(row.prefix)
  // A version-3 payload shorter than the prefix is all there already (one cut short fails to inflate).
  if (layout === 'v1' && row.prefix[0] === DICT_VERSION && row.prefix.length < SEARCH_PREFIX) return { ranges: [], maybe: [], whole: true }
  const end = (layout === undefined || layout === 'v1') ? Infinity : layout.filters.reduce((a, [, e]) => Math.max(a, e), 0)
  if (layout === undefined || layout === 'v1' || end > row.prefix.length) return { ranges: [[0, WHOLE]], maybe: [], whole: true }
  const maybe = layout.filters.map(([s, e], g) => (granuleMayHold(row.prefix.subarray(s, e), probe) ? g : -1)).filter((g) => g >= 0)
  if (maybe.length === 0) return undefined
  const ranges: Array<[number, number]> = []
  for (const [s, e] of [layout.head, ...maybe.map((g) => layout.frames[g] as [number, number])]) {
    if (e <= row.prefix.length) continue
    const last = ranges[ranges.length - 1]
    if (last !== undefined && last[1] === s) last[1] = e
    else ranges.push([s, e])
  }
  return { ranges, maybe, whole: false, layout }
}

/** The bytes [s, e) of a payload: from its prefix, or from the fetched pieces. */
function bytesOf (row: SearchRow, pieces: Array<[number, Buffer]>, s: number, e: number): Buffer | undefined {
  if (e <= row.prefix.length) return row.prefix.subarray(s, e)
  for (const [start, b] of pieces) if (start <= s && e <= start + b.length) return b.subarray(s - start, e - start)
  return undefined
}

async function open (row: SearchRow, plan: Plan, pieces: Array<[number, Buffer]> | undefined, needle: Buffer, probe: number[]): Promise<SearchOpened> {
  if (pieces === undefined) return 'gone'
  const mayHold = (filter: Buffer): boolean => granuleMayHold(filter, probe)
  if (plan.whole) {
    const block = await decodeBlock(plan.ranges.length === 0 ? row.prefix : (pieces[0] as [number, Buffer])[1], row.minSeq)
    return { block, hits: await block.matching(needle, inflate, mayHold), whole: true }
  }
  const layout = plan.layout as Layout
  const piece = (r: [number, number]): Buffer => {
    const b = bytesOf(row, pieces, r[0], r[1])
    if (b === undefined) throw new Error('block payload is truncated')
    return b
  }
  // Frames not fetched stay empty: `matching` loads only the granules `mayHold` lets through, which are these.
  const parts: BlockParts = {
    granuleLines: layout.granuleLines,
    head: piece(layout.head),
    granules: layout.frames.map((f, g) => ({ filter: piece(layout.filters[g] as [number, number]), frame: plan.maybe.includes(g) ? piece(f) : Buffer.alloc(0) }))
  }
  // The head and the granules decompressed in parallel, then handed to the block as loaded.
  const [head, ...frames] = await Promise.all([inflate(parts.head), ...plan.maybe.map(async (g) => await inflate(parts.granules[g]?.frame as Buffer))])
  const block = new DecodedBlock(head as Buffer, row.minSeq, parts)
  for (let k = 0; k < plan.maybe.length; k++) await block.load(plan.maybe[k] as number, async () => frames[k] as Buffer)
  return { block, hits: await block.matching(needle, inflate, mayHold), whole: false }
}

/**
 * Opens a page of blocks for a search of `needle` (its granule probe `probe`): one promise per row, in the
 * page's order, each started at once.
 */
export function openSearchPage (db: pg.Pool | pg.PoolClient, run: RunKey, rows: SearchRow[], needle: Buffer, probe: number[]): Array<Promise<SearchOpened>> {
  const plans = rows.map((r) => planOf(r, probe))
  const k: unknown[][] = Array.from({ length: 8 }, () => [])
  const owner: Array<[number, number]> = [] // range i: [row, start]
  plans.forEach((plan, i) => {
    const row = rows[i] as SearchRow
    for (const [s, e] of plan?.ranges ?? []) {
      const values = [...row.identity, s + 1, e - s]
      values.forEach((v, c) => (k[c] as unknown[]).push(v))
      owner.push([i, s])
    }
  })
  const fetched: Promise<Array<Array<[number, Buffer]> | undefined>> = owner.length === 0
    ? Promise.resolve(rows.map(() => []))
    : db.query<[number, Buffer]>({ name: 'block-pieces', text: BLOCK_PIECES, values: [run.group, run.kind, run.id, ...k], rowMode: 'array' }).then(({ rows: got }) => {
      const byRow: Array<Array<[number, Buffer]> | undefined> = rows.map(() => [])
      const seen = new Uint8Array(owner.length)
      for (const [i, bytes] of got) {
        const [r, s] = owner[Number(i) - 1] as [number, number]
        seen[Number(i) - 1] = 1
        byRow[r]?.push([s, bytes])
      }
      // A block with a range missing was deleted since its page (a merge, retention).
      owner.forEach(([r], i) => { if (seen[i] === 0) byRow[r] = undefined })
      return byRow
    })
  // Unawaited promises of the page must not reject unhandled when the read stops early.
  const opened = plans.map(async (plan, i) => {
    if (plan === undefined) return undefined
    return await open(rows[i] as SearchRow, plan, (await fetched)[i], needle, probe)
  })
  for (const p of opened) p.catch(() => undefined)
  return opened
}

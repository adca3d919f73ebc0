// Reads over blocks: the run's blocks that may hold lines of the range come a page at a time in merge order
// (asc: by first line; desc: by last line desc); each is decompressed only when the merge reaches its edge,
// and dropped once its lines are passed, so a read holds the blocks that overlap at one point, not the range.
// Lines come out in exact (ts, ts_ns, seq) order, whatever blocks overlap.
import { decompress } from '@mongodb-js/zstd'
import type pg from 'pg'
import type { LogFilters, LogRange, RunKey } from '../model.js'
import type { Instant } from '../time.js'
import { BLOCK_LINES } from './block-build.js'
import { blockParts, DecodedBlock } from './block-codec.js'
import { granuleMayHold, granuleProbe } from './block-filter.js'
import { compare, instantPosition, storedPosition, tsText, type Position } from './block-position.js'
import { openSearchPage, SEARCH_PREFIX, type SearchOpened } from './block-search.js'
import { BLOCK_PAYLOAD, blockPage, type BlockQuery, type BlockRow } from './block-statements.js'

export type Db = pg.Pool | pg.PoolClient

/** A stored line as the readers take it: [ts text (UTC), nanoseconds, container, pod, stream, msg, seq]. */
export type StoredRow = [string, number, string, string, string, string, string]

const MAX_PAGE = 32

/**
 * Blocks decoded lately, least recently used dropped first, up to RECENT_BYTES of payload: a client paging
 * through a run with a cursor reads the same blocks again page after page, and overlapping blocks (batches
 * whose times interleave) are all opened by every page. A block's payload never changes once written
 * (retention deletes blocks, a merge replaces them by others), and a block is cached under its run, first
 * line, seq span and line count, which a block replacing it under the same first line does not share.
 */
class RecentBlocks {
  private readonly blocks = new Map<string, DecodedBlock>()
  private bytes = 0
  constructor (private readonly maxBytes: number) {}

  /** The block without marking it used. */
  peek (key: string): DecodedBlock | undefined { return this.blocks.get(key) }

  get (key: string): DecodedBlock | undefined {
    const block = this.blocks.get(key)
    if (block !== undefined) { this.blocks.delete(key); this.blocks.set(key, block) }
    return block
  }

  set (key: string, block: DecodedBlock): DecodedBlock {
    const known = this.blocks.get(key)
    if (known !== undefined && (known.whole || !block.whole)) return known
    if (known !== undefined) { this.blocks.delete(key); this.bytes -= known.size }
    this.blocks.set(key, block)
    this.bytes += block.size
    for (const [oldest, b] of this.blocks) {
      if (this.bytes <= this.maxBytes) break
      this.blocks.delete(oldest)
      this.bytes -= b.size
    }
    return block
  }
}

const RECENT_BYTES = 32 << 20
// One cache per pool, so two databases in one process (tests, or stores of other servers) never share blocks;
// a client in a transaction (export matching) decodes afresh.
const recentByPool = new WeakMap<Db, RecentBlocks>()
const recentOf = (db: Db): RecentBlocks => {
  let recent = recentByPool.get(db)
  if (recent === undefined) {
    recent = new RecentBlocks('totalCount' in db ? RECENT_BYTES : 0)
    recentByPool.set(db, recent)
  }
  return recent
}

/** A block row from the source: its edge in merge order (from the row, no payload decoded). */
interface SourceRow {
  edge: Position
  minSeq: number
  payload: Buffer | null
  key: string
  identity: [string, number, string, string, string, number]
  /** A search page's block: its payload's first bytes (payload is then null), and the block opened with its page (block-search.ts). */
  prefix?: Buffer
  search?: Promise<SearchOpened>
  /** A search page's block the cache held when the page came (held here: a long search evicts it before the merge reaches it). */
  cached?: DecodedBlock
}

/** What a search looks for: the value's bytes and its granule probe. */
interface Search { needle: Buffer, probe: number[] }

/** The run's candidate blocks in merge order, a page of rows at a time. */
class BlockSource {
  private page: Array<SourceRow | undefined> = []
  private at = 0
  private done = false
  private after: [string, number, string] | undefined

  constructor (private readonly db: Db, private readonly q: Omit<BlockQuery, 'after' | 'limit'>, private pageSize: number, private readonly search?: Search,
    private readonly cachedFor: (key: string) => DecodedBlock | undefined = () => undefined) {}

  async next (): Promise<SourceRow | undefined> {
    if (this.at >= this.page.length) {
      if (this.done) return undefined
      const statement = blockPage({ ...this.q, limit: this.pageSize, ...(this.after === undefined ? {} : { after: this.after }) })
      const { rows } = await this.db.query<BlockRow>({ ...statement, rowMode: 'array' })
      this.done = rows.length < this.pageSize
      this.pageSize = Math.min(MAX_PAGE, this.pageSize * 2)
      const last = rows[rows.length - 1]
      if (last === undefined) return undefined
      this.after = [last[0], last[1], last[2]]
      this.page = rows.map((r) => this.sourceRow(r))
      this.at = 0
      if (this.search !== undefined && this.q.searchPrefix !== undefined) this.openSearch(this.page as SourceRow[], this.search)
    }
    const row = this.page[this.at] as SourceRow
    this.page[this.at++] = undefined
    return row
  }

  /** Opens the page's blocks for the search, but those a cached block serves. */
  private openSearch (page: SourceRow[], search: Search): void {
    const rows = page.filter((r) => {
      const cached = this.cachedFor(r.key)
      if (cached !== undefined) r.cached = cached
      return cached === undefined
    })
    const opened = openSearchPage(this.db, this.q.run, rows.map((r) => ({ prefix: r.prefix as Buffer, minSeq: r.minSeq, identity: r.identity })), search.needle, search.probe)
    rows.forEach((r, i) => { r.search = opened[i] })
  }

  private sourceRow (row: BlockRow): SourceRow {
    // A block is named by its run and its first line (each line is in one block only), and told from a
    // block that replaced it under that name (a merge) by its seq span and line count.
    const { group, kind, id } = this.q.run
    const identity: SourceRow['identity'] = [row[5], row[6], row[7], row[3], row[8], row[9]]
    return {
      edge: storedPosition({ ts: row[0], nanos: row[1], seq: row[2] }),
      minSeq: Number(row[3]),
      ...(this.q.searchPrefix === undefined ? { payload: row[4] } : { payload: null, prefix: row[4] as Buffer }),
      key: `${group}\u0000${kind}\u0000${id}\u0000${identity.join('\u0000')}`,
      identity
    }
  }
}

/** A binary heap, least first by `before`. */
class Heap<T> {
  readonly items: T[] = []
  constructor (private readonly before: (a: T, b: T) => boolean) {}
  get top (): T | undefined { return this.items[0] }
  push (x: T): void {
    const h = this.items
    h.push(x)
    let i = h.length - 1
    while (i > 0) {
      const parent = (i - 1) >> 1
      if (!this.before(h[i] as T, h[parent] as T)) return
      [h[i], h[parent]] = [h[parent] as T, h[i] as T]
      i = parent
    }
  }

  /** The top changed (its key grew): move it down. */
  sift (): void {
    const h = this.items
    let i = 0
    for (;;) {
      const l = 2 * i + 1
      let m = i
      if (l < h.length && this.before(h[l] as T, h[m] as T)) m = l
      if (l + 1 < h.length && this.before(h[l + 1] as T, h[m] as T)) m = l + 1
      if (m === i) return
      [h[i], h[m]] = [h[m] as T, h[i] as T]
      i = m
    }
  }

  pop (): T | undefined {
    const h = this.items
    const top = h[0]
    const last = h.pop() as T
    if (h.length > 0) { h[0] = last; this.sift() }
    return top
  }
}

/** A block being merged: its next line, the lines it may still give, and what its lines must match. */
interface Cursor { block: DecodedBlock, i: number, labelOk: Uint8Array | undefined, hits: Uint8Array | undefined }

const linePosition = (c: Cursor): Position => ({ day: c.block.day, t: c.block.t[c.i] as number, seq: c.block.seq[c.i] as number })

function labelMatches (block: DecodedBlock, filters: LogFilters): Uint8Array | undefined {
  if (filters.pod === undefined && filters.container === undefined && filters.stream === undefined) return undefined
  return Uint8Array.from(block.labels, ([pod, container, stream]) =>
    Number((filters.pod === undefined || filters.pod === pod) && (filters.container === undefined || filters.container === container) &&
      (filters.stream === undefined || filters.stream === stream)))
}

export function storedRow (block: DecodedBlock, i: number): StoredRow {
  const t = block.t[i] as number
  const [pod, container, stream] = block.labelsOf(i)
  return [tsText(block.day, t), t % 1000, container, pod, stream, block.msg(i), String(block.seq[i])]
}

/** The bounds of a range in its order: lower inclusive, upper exclusive (a cursor's position replaces one). */
export function rangeBounds (range: LogRange): { lower: Position, upper: Position } {
  let lower = instantPosition(range.start)
  let upper = instantPosition(range.end)
  if (range.after !== undefined) {
    const a = storedPosition(range.after)
    if (range.order === 'asc') lower = { ...a, seq: a.seq + 1 }
    else upper = a
  }
  return { lower, upper }
}

const inflate = async (frame: Buffer): Promise<Buffer> => await decompress(frame)

/** A block's payload decoded: a version-1 block whole, a version-2 block's head (granules load on demand). */
async function decodeBlock (payload: Buffer, minSeq: number): Promise<DecodedBlock> {
  const parts = blockParts(payload)
  if (parts === undefined) return new DecodedBlock(await decompress(payload), minSeq)
  return new DecodedBlock(await decompress(parts.head), minSeq, parts)
}

/**
 * A block of a page was deleted before its payload was fetched (retention, or a merge that replaced it by
 * other blocks, whose lines this read's pages may have passed): the read starts again, on the blocks as
 * they are now.
 */
class BlockGone extends Error {}
const ATTEMPTS = 3

/** A block of a page decoded, its payload fetched first when the page left it out; undefined: deleted since. */
async function openBlock (db: Db, run: RunKey, row: SourceRow): Promise<DecodedBlock | undefined> {
  let payload = row.payload
  if (payload === null) {
    const { rows } = await db.query<[Buffer]>({ name: 'block-payload', text: BLOCK_PAYLOAD, values: [run.group, run.kind, run.id, ...row.identity], rowMode: 'array' })
    if (rows[0] === undefined) return undefined
    payload = rows[0][0]
  }
  return await decodeBlock(payload, row.minSeq)
}

/** A payload decoded with every granule loaded (tests and tools; reads load only what they reach). */
export async function decodePayload (payload: Buffer, minSeq: number): Promise<DecodedBlock> {
  const block = await decodeBlock(payload, minSeq)
  for (let g = 0; g * block.granuleLines < block.n; g++) await block.load(g, inflate)
  return block
}

/**
 * Merges the blocks of `q` in its order and hands each line in bounds and matching the filters to `take`,
 * until it returns false. A block's head is decoded once the merge reaches its edge (taken from the row),
 * and a granule's messages once a line of it is taken; a search loads only the granules whose filter may
 * hold its value.
 */
export async function mergeBlocks (db: Db, q: Omit<BlockQuery, 'after' | 'limit'>, pageSize: number, take: (block: DecodedBlock, i: number) => boolean, cacheOwner: Db = db): Promise<void> {
  const asc = q.order === 'asc'
  const dir = asc ? 1 : -1
  const filters = q.filters ?? {}
  const needle = filters.contains === undefined ? undefined : Buffer.from(filters.contains, 'utf8')
  const probe = filters.contains === undefined ? [] : granuleProbe(filters.contains)
  const mayHold = (filter: Buffer): boolean => granuleMayHold(filter, probe)
  const recentBlocks = recentOf(cacheOwner)
  const source = new BlockSource(db, q, pageSize, needle === undefined ? undefined : { needle, probe }, (key) => {
    const block = recentBlocks.peek(key)
    return block?.searchable(mayHold) === true ? block : undefined
  })
  const heap = new Heap<Cursor>((a, b) => dir * compare(linePosition(a), linePosition(b)) < 0)
  const inBounds = (c: Cursor): boolean => {
    const p = linePosition(c)
    return asc ? compare(p, q.upper) < 0 : compare(p, q.lower) >= 0
  }
  let next = await source.next()
  for (;;) {
    const top = heap.top
    if (next !== undefined && (top === undefined || dir * compare(next.edge, linePosition(top)) <= 0)) {
      const row = next
      let block = row.cached ?? recentBlocks.get(row.key)
      let hits: Uint8Array | undefined
      if (row.search !== undefined && (block === undefined || !block.searchable(mayHold))) {
        const opened = await row.search
        if (opened === 'gone') throw new BlockGone()
        if (opened === undefined) { next = await source.next(); continue } // no granule may hold the value
        // The cache keeps a whole block, or the first block opened in part for a search.
        const kept = recentBlocks.set(row.key, opened.block)
        block = kept.searchable(mayHold) ? kept : opened.block
        hits = block === opened.block ? opened.hits : undefined
      } else {
        // A block a search opened in part serves only searches that need none of its other granules.
        if (block !== undefined && !(block.whole || (needle !== undefined && block.searchable(mayHold)))) block = undefined
        block ??= await openBlock(db, q.run, row)
        if (block === undefined) throw new BlockGone()
        recentBlocks.set(row.key, block)
      }
      const c: Cursor = { block, i: startOf(block, asc, asc ? q.lower : q.upper), labelOk: labelMatches(block, filters), hits: undefined }
      if (c.i >= 0 && c.i < block.n && inBounds(c)) {
        if (needle !== undefined) {
          c.hits = hits ?? await block.matching(needle, inflate, mayHold)
          c.i = nextHit(c.hits, c.i, asc)
        }
        if (c.i >= 0 && c.i < block.n && inBounds(c)) heap.push(c)
      }
      next = await source.next()
      continue
    }
    if (top === undefined) return
    const i = top.i
    const block = top.block
    const s = block.seq[i] as number
    if ((top.labelOk === undefined || top.labelOk[block.label[i] as number] === 1) && (top.hits === undefined || top.hits[i] === 1) &&
      (q.fromSeq === undefined || s >= q.fromSeq) && (q.toSeq === undefined || s < q.toSeq)) {
      const g = block.granuleOf(i)
      if (!block.loaded(g)) await block.load(g, inflate)
      if (!take(block, i)) return
    }
    top.i += dir
    if (top.hits !== undefined) top.i = nextHit(top.hits, top.i, asc)
    if (top.i >= 0 && top.i < block.n && inBounds(top)) heap.sift()
    else heap.pop()
  }
}

/** A search's cursor passes the lines that do not hold its value at once: the next hit from i on in its order (-1 or n when none). */
function nextHit (hits: Uint8Array, i: number, asc: boolean): number {
  if (i < 0 || i >= hits.length) return i
  if (!asc) return hits.lastIndexOf(1, i)
  const j = hits.indexOf(1, i)
  return j === -1 ? hits.length : j
}

/** asc: the first line at or after `bound`; desc: the last line before `bound` (binary search; -1 when none). */
function startOf (b: DecodedBlock, asc: boolean, bound: Position): number {
  let lo = 0
  let hi = b.n
  while (lo < hi) {
    const mid = (lo + hi) >> 1
    if (compare({ day: b.day, t: b.t[mid] as number, seq: b.seq[mid] as number }, bound) < 0) lo = mid + 1
    else hi = mid
  }
  return asc ? lo : lo - 1
}

/**
 * The next `limit` lines of a range in its order (only seq < beforeSeq when given). `cacheOwner`: the pool
 * whose decoded-block cache serves the read when `db` is one of its clients (default: `db`'s own, none for
 * a client).
 */
export async function readRange (db: Db, range: LogRange, limit: number, beforeSeq?: bigint, cacheOwner: Db = db): Promise<StoredRow[]> {
  const rows: StoredRow[] = []
  if (limit <= 0) return rows
  const { lower, upper } = rangeBounds(range)
  if (compare(lower, upper) >= 0) return rows
  // A read with filters may pass many blocks to find `limit` lines (a search opens most blocks of its
  // range): it takes payloads with its pages. Other reads stop after `limit` lines of the first blocks,
  // so they fetch a payload only when they open its block.
  const f = range.filters ?? {}
  const withoutPayloads = f.contains === undefined && f.pod === undefined && f.container === undefined && f.stream === undefined
  const search = f.contains === undefined ? {} : { searchPrefix: SEARCH_PREFIX }
  const q = { run: range.run, order: range.order, lower, upper, withoutPayloads, ...search, ...(range.filters === undefined ? {} : { filters: range.filters }), ...(beforeSeq === undefined ? {} : { toSeq: Number(beforeSeq) }) }
  for (let attempt = 1; ; attempt++) {
    try {
      await mergeBlocks(db, q, 2 + Math.floor(limit / BLOCK_LINES), (block, i) => { rows.push(storedRow(block, i)); return rows.length < limit }, cacheOwner)
      return rows
    } catch (err) {
      if (!(err instanceof BlockGone) || attempt === ATTEMPTS) throw err
      rows.length = 0
    }
  }
}

/** Lines of a range with fromSeq <= seq < toSeq in seq order, none earlier than `since` when given. */
export async function readNewLines (db: Db, range: LogRange, fromSeq: bigint, toSeq: bigint, limit: number, since?: Instant, cacheOwner: Db = db): Promise<StoredRow[]> {
  const lower = instantPosition(since !== undefined && since > range.start ? since : range.start)
  const upper = instantPosition(range.end)
  if (compare(lower, upper) >= 0 || limit <= 0) return []
  let found: StoredRow[] = []
  const bySeq = (a: StoredRow, b: StoredRow): number => Number(a[6]) - Number(b[6])
  const q = { run: range.run, order: 'asc' as const, lower, upper, fromSeq: Number(fromSeq), toSeq: Number(toSeq), ...(range.filters === undefined ? {} : { filters: range.filters }) }
  await mergeBlocks(db, q, 4, (block, i) => {
    found.push(storedRow(block, i))
    if (found.length >= 2 * limit) found = found.sort(bySeq).slice(0, limit)
    return true
  }, cacheOwner)
  return found.sort(bySeq).slice(0, limit)
}

// Reads over blocks: the run's blocks that may hold lines of the range come a page at a time in merge order
// (asc: by first line; desc: by last line desc); each is decompressed only when the merge reaches its edge,
// and dropped once its lines are passed, so a read holds the blocks that overlap at one point, not the range.
// Lines come out in exact (ts, ts_ns, seq) order, whatever blocks overlap.
import { decompress } from '@mongodb-js/zstd'
import type pg from 'pg'
import type { LogFilters, LogRange } from '../model.js'
import type { Instant } from '../time.js'
import { BLOCK_LINES } from './block-build.js'
import { DecodedBlock } from './block-codec.js'
import { compare, instantPosition, storedPosition, tsText, type Position } from './block-position.js'
import { blockPage, type BlockQuery, type BlockRow } from './block-statements.js'

export type Db = pg.Pool | pg.PoolClient

/** A stored line as the readers take it: [ts text (UTC), nanoseconds, container, pod, stream, msg, seq]. */
export type StoredRow = [string, number, string, string, string, string, string]

const MAX_PAGE = 32

/**
 * Blocks decoded lately, least recently used dropped first, up to RECENT_BYTES of payload: a client paging
 * through a run with a cursor reads the same blocks again page after page, and overlapping blocks (batches
 * whose times interleave) are all opened by every page. Blocks never change once written (retention only
 * deletes them, and a deleted block is no longer selected), so a cached one is always current.
 */
class RecentBlocks {
  private readonly blocks = new Map<string, DecodedBlock>()
  private bytes = 0
  constructor (private readonly maxBytes: number) {}

  get (key: string): DecodedBlock | undefined {
    const block = this.blocks.get(key)
    if (block !== undefined) { this.blocks.delete(key); this.blocks.set(key, block) }
    return block
  }

  set (key: string, block: DecodedBlock): DecodedBlock {
    const known = this.blocks.get(key)
    if (known !== undefined) return known
    this.blocks.set(key, block)
    this.bytes += block.bytes.length
    for (const [oldest, b] of this.blocks) {
      if (this.bytes <= this.maxBytes) break
      this.blocks.delete(oldest)
      this.bytes -= b.bytes.length
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

/** A candidate block: its edge in merge order (from the row, no payload decoded) and its lines on demand. */
interface Candidate { edge: Position, load: () => Promise<DecodedBlock> }

/** The run's candidate blocks in merge order, a page of rows at a time. */
class BlockSource {
  private page: Array<BlockRow | undefined> = []
  private at = 0
  private done = false
  private after: [string, number, string] | undefined

  constructor (private readonly db: Db, private readonly q: Omit<BlockQuery, 'after' | 'limit'>, private pageSize: number) {}

  async next (): Promise<Candidate | undefined> {
    if (this.at >= this.page.length) {
      if (this.done) return undefined
      const statement = blockPage({ ...this.q, limit: this.pageSize, ...(this.after === undefined ? {} : { after: this.after }) })
      const { rows } = await this.db.query<BlockRow>({ ...statement, rowMode: 'array' })
      this.done = rows.length < this.pageSize
      this.pageSize = Math.min(MAX_PAGE, this.pageSize * 2)
      const last = rows[rows.length - 1]
      if (last === undefined) return undefined
      this.after = [last[0], last[1], last[2]]
      this.page = rows
      this.at = 0
    }
    const row = this.page[this.at] as BlockRow
    this.page[this.at++] = undefined
    // A block is named by its run and its first (asc) or last (desc) line: each is in one block only.
    const { group, kind, id } = this.q.run
    const recentBlocks = recentOf(this.db)
    const key = `${group}\u0000${kind}\u0000${id}\u0000${this.q.order}\u0000${row[0]}\u0000${row[1]}\u0000${row[2]}`
    return {
      edge: storedPosition({ ts: row[0], nanos: row[1], seq: row[2] }),
      load: async () => recentBlocks.get(key) ?? recentBlocks.set(key, new DecodedBlock(await decompress(row[4]), Number(row[3])))
    }
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

/** Merges the blocks of `q` in its order and hands each line in bounds and matching the filters to `take`, until it returns false. */
export async function mergeBlocks (db: Db, q: Omit<BlockQuery, 'after' | 'limit'>, pageSize: number, take: (block: DecodedBlock, i: number) => boolean): Promise<void> {
  const asc = q.order === 'asc'
  const dir = asc ? 1 : -1
  const filters = q.filters ?? {}
  const needle = filters.contains === undefined ? undefined : Buffer.from(filters.contains, 'utf8')
  const source = new BlockSource(db, q, pageSize)
  const heap: Cursor[] = []
  const before = (a: Cursor, b: Cursor): boolean => dir * compare(linePosition(a), linePosition(b)) < 0
  const up = (i: number): void => {
    while (i > 0) {
      const parent = (i - 1) >> 1
      if (!before(heap[i] as Cursor, heap[parent] as Cursor)) return
      [heap[i], heap[parent]] = [heap[parent] as Cursor, heap[i] as Cursor]
      i = parent
    }
  }
  const down = (i: number): void => {
    for (;;) {
      const l = 2 * i + 1
      let m = i
      if (l < heap.length && before(heap[l] as Cursor, heap[m] as Cursor)) m = l
      if (l + 1 < heap.length && before(heap[l + 1] as Cursor, heap[m] as Cursor)) m = l + 1
      if (m === i) return
      [heap[i], heap[m]] = [heap[m] as Cursor, heap[i] as Cursor]
      i = m
    }
  }
  const inBounds = (c: Cursor): boolean => {
    const p = linePosition(c)
    return asc ? compare(p, q.upper) < 0 : compare(p, q.lower) >= 0
  }
  let next = await source.next()
  for (;;) {
    const top = heap[0]
    if (next !== undefined && (top === undefined || dir * compare(next.edge, linePosition(top)) <= 0)) {
      const block = await next.load()
      const c: Cursor = { block, i: startOf(block, asc, asc ? q.lower : q.upper), labelOk: labelMatches(block, filters), hits: needle === undefined ? undefined : block.matching(needle) }
      if (c.i >= 0 && c.i < block.n && inBounds(c)) { heap.push(c); up(heap.length - 1) }
      next = await source.next()
      continue
    }
    if (top === undefined) return
    const i = top.i
    const block = top.block
    const s = block.seq[i] as number
    if ((top.labelOk === undefined || top.labelOk[block.label[i] as number] === 1) && (top.hits === undefined || top.hits[i] === 1) &&
      (q.fromSeq === undefined || s >= q.fromSeq) && (q.toSeq === undefined || s < q.toSeq)) {
      if (!take(block, i)) return
    }
    top.i += dir
    if (top.i >= 0 && top.i < block.n && inBounds(top)) {
      down(0)
    } else {
      const last = heap.pop() as Cursor
      if (heap.length > 0) { heap[0] = last; down(0) }
    }
  }
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

/** The next `limit` lines of a range in its order (only seq < beforeSeq when given). */
export async function readRange (db: Db, range: LogRange, limit: number, beforeSeq?: bigint): Promise<StoredRow[]> {
  const rows: StoredRow[] = []
  if (limit <= 0) return rows
  const { lower, upper } = rangeBounds(range)
  if (compare(lower, upper) >= 0) return rows
  const q = { run: range.run, order: range.order, lower, upper, ...(range.filters === undefined ? {} : { filters: range.filters }), ...(beforeSeq === undefined ? {} : { toSeq: Number(beforeSeq) }) }
  await mergeBlocks(db, q, 2 + Math.floor(limit / BLOCK_LINES), (block, i) => { rows.push(storedRow(block, i)); return rows.length < limit })
  return rows
}

/** Lines of a range with fromSeq <= seq < toSeq in seq order, none earlier than `since` when given. */
export async function readNewLines (db: Db, range: LogRange, fromSeq: bigint, toSeq: bigint, limit: number, since?: Instant): Promise<StoredRow[]> {
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
  })
  return found.sort(bySeq).slice(0, limit)
}

// Reads over blocks: the run's blocks that may hold lines of the range come a page at a time by first line
// (a descending read puts them in order of last line itself); each is decompressed only when the merge
// reaches its edge, and dropped once its lines are passed, so a read holds the blocks that overlap at one
// point, not the range.
// Lines come out in exact (ts, ts_ns, seq) order, whatever blocks overlap. A read's way from its range to
// SQL is in this file: the store's read (BlockReader, which LogStore extends), the merge and its pages.
import type pg from 'pg'
import type { LogFilters, LogRange, RunKey, RunKind, SortOrder } from '../model.js'
import { BLOCK_LINES } from './block-build.js'
import { DAY_NS, type DecodedBlock } from './block-codec.js'
import { filterProbe, granuleMayHold, granuleProbe } from './block-filter.js'
import { inflate, openBlock, type BlockIdentity } from './block-open.js'
import { compare, rangeBounds, sqlPosition, storedPosition, tsText, type Position } from './block-position.js'
import { openSearchPage, SEARCH_PREFIX, type SearchOpened } from './block-search.js'
import { Heap } from './heap.js'
import { compareAt, compareCursors, labelMatches, startOf, type Cursor } from './merge-cursor.js'
import { ReadsInFlight } from './reads-in-flight.js'
import { recentOf } from './recent-blocks.js'
import { StoredLine } from './stored-line.js'
import { inReadSnapshot } from './transaction.js'

export type Db = pg.Pool | pg.PoolClient

/** Lines this process committed and read for answers, by run kind (read by /metrics at scrape). */
export interface LineCounts { ingested: Record<RunKind, number>, served: Record<RunKind, number> }

/** The store's range reads (LogStore extends it): on `readPool`, counted in `lineCounts`. */
export class BlockReader {
  constructor (
    protected readonly pool: pg.Pool,
    protected readonly readPool: pg.Pool = pool,
    /** Shared with the primary view, so every read and write of the process is counted once. */
    readonly lineCounts: LineCounts = { ingested: { deployment: 0, execution: 0 }, served: { deployment: 0, execution: 0 } },
    /** Shared with the primary view too: the service ends its pools once `reads.idle()`. */
    readonly reads = new ReadsInFlight()
  ) {}

  /**
   * The next `limit` lines of a range in its order (after range.after when given; only seq < beforeSeq when
   * given). The route asks for one more line than it sends, to know whether more remain.
   */
  async read (range: LogRange, limit: number = range.top, beforeSeq?: bigint): Promise<StoredLine[]> {
    const lines = await this.reads.track(async () => await readRange(this.readPool, range, limit, beforeSeq))
    // A page asks for one line more than it sends (to know whether more remain): at most range.top count.
    this.lineCounts.served[range.run.kind] += Math.min(lines.length, range.top)
    return lines
  }
}

/** Blocks whose lines may lie in [lower, upper) (positions, upper exclusive). */
export interface BlockQuery {
  run: RunKey
  order: SortOrder
  lower: Position
  upper: Position
  /** Only blocks holding some seq in [fromSeq, toSeq). */
  fromSeq?: number
  toSeq?: number
  filters?: LogFilters
  /**
   * Leave payloads out of the pages (a payload is fetched by its block's key once the merge reaches it): a
   * read that stops after `limit` lines then never moves the payloads of blocks it does not open.
   */
  withoutPayloads?: boolean
  /**
   * With `withoutPayloads`: the first page's first block (the merge always opens it) comes with its payload
   * all the same, which saves a statement; for a read that starts afresh (no cursor), whose first block the
   * decoded-block cache seldom holds.
   */
  firstPayload?: boolean
  /**
   * A search: the pages carry only the payloads' first `searchPrefix` bytes (the table, granule filters and
   * most often the head: block-search.ts), and BLOCK_PIECES fetches the parts a search needs beyond them.
   */
  searchPrefix?: number
}

/**
 * What a page returns of a block: its ordering position (first or last line, as text), min_seq, the payload
 * (null when the page leaves payloads out), its first line's position (its key), last seq and line count
 * (with min_seq, what tells it from a block that replaced it under the same key).
 */
type BlockRow = [string, number, string, string, Buffer | null, string, number, string, string, number, (number | null)?]

// 10000-01-01: past every instant stored (year 9999 is the last).
const PAST_LAST_DAY = 2_932_897
const dayStart = (day: number): string => (day >= PAST_LAST_DAY ? 'infinity' : tsText(day, 0))
const SPAN = '(SELECT block_span FROM runs WHERE resource_group = $1 AND run_kind = $2 AND run_id = $3)'

/**
 * A position no block starting at or before `first` reaches: block_span is the run's longest block's
 * last_ts - first_ts plus a microsecond, so such a block's last line lies before first's microsecond plus
 * the span. A block never spans two days, so without a span (no runs row) a day bounds it.
 */
function endBound (first: Position, spanMicros: number | null | undefined): Position {
  let t = (Math.floor(first.t / 1000) + Math.min(spanMicros ?? DAY_MICROS, DAY_MICROS)) * 1000
  let day = first.day
  while (t >= DAY_NS) { t -= DAY_NS; day++ }
  return { day, t, seq: -1 }
}
const DAY_MICROS = DAY_NS / 1000

/**
 * A page of blocks, after the edge `after` (the last block of the page before) when given. A block never
 * spans two days, so one that reaches `lower` starts on lower's day or later, and one that starts before
 * `upper` ends before the next day; the run's block_span bounds the index walk closer still.
 */
export function blockPage (q: BlockQuery, limit: number, after?: [string, number, string]): { name: string, text: string, values: unknown[] } {
  const asc = q.order === 'asc'
  const values: unknown[] = [q.run.group, q.run.kind, q.run.id]
  const p = (v: unknown): string => { values.push(v); return `$${values.length}` }
  const [lTs, lNs, lSeq] = sqlPosition(q.lower)
  const [uTs, uNs, uSeq] = sqlPosition(q.upper)
  let where = 'resource_group = $1 AND run_kind = $2 AND run_id = $3'
  let name = `blocks-${q.order}`
  const lower = [p(lTs), p(lNs), p(String(lSeq))]
  const upper = [p(uTs), p(uNs), p(String(uSeq))]
  // No block is longer than the run's block_span: one reaching `lower` starts at most that much before it.
  where += ` AND first_ts >= GREATEST(${p(dayStart(q.lower.day))}::timestamptz, ${lower[0] as string}::timestamptz - ${SPAN})`
  where += ` AND (last_ts, last_ns, last_seq) >= (${lower.join(', ')})`
  where += ` AND last_ts < ${p(dayStart(q.upper.day + 1))}::timestamptz AND last_ts <= ${upper[0] as string}::timestamptz + ${SPAN}`
  where += ` AND (first_ts, first_ns, first_seq) < (${upper.join(', ')})`
  if (q.fromSeq !== undefined) { where += ` AND max_seq >= ${p(String(q.fromSeq))}`; name += '-from' }
  if (q.toSeq !== undefined) { where += ` AND min_seq < ${p(String(q.toSeq))}`; name += '-to' }
  const contains = q.filters?.contains
  const probe = contains === undefined ? [] : filterProbe(contains)
  if (probe.length > 0) {
    // A block without a filter (an empty one: small blocks, block-filter.ts) may hold anything.
    where += ` AND NOT EXISTS (SELECT 1 FROM unnest(${p(probe)}::int[]) h WHERE CASE WHEN length(filter) = 0 THEN false ELSE get_bit(filter, h % (length(filter) * 8)) = 0 END)`
    name += '-x'
  }
  // Pages follow the primary key (by first line) in both orders; a descending read puts its rows in merge
  // order (by last line) itself (BlockSource), with the run's block_span (microseconds) as its bound.
  if (after !== undefined) {
    where += ` AND (first_ts, first_ns, first_seq) ${asc ? '>' : '<'} (${p(after[0])}, ${p(after[1])}, ${p(after[2])})`
    name += '-page'
  }
  const dir = asc ? '' : ' DESC'
  const edge = asc ? 'first' : 'last'
  const span = asc ? '' : `, (EXTRACT(EPOCH FROM ${SPAN}) * 1000000)::float8`
  let payload = 'payload'
  if (q.withoutPayloads === true && q.firstPayload === true && after === undefined) {
    // A payload left out is never read from TOAST: the CASE takes the first row's only.
    payload = `CASE WHEN row_number() OVER (ORDER BY first_ts${dir}, first_ns${dir}, first_seq${dir}) = 1 THEN payload END`
    name += '-keys1'
  } else if (q.withoutPayloads === true) { payload = 'NULL::bytea'; name += '-keys' } else if (q.searchPrefix !== undefined) { payload = `substring(payload from 1 for ${p(q.searchPrefix)})`; name += '-prefix' }
  return {
    name,
    text: `SELECT ${edge}_ts, ${edge}_ns, ${edge}_seq, min_seq, ${payload}, first_ts, first_ns, first_seq, last_seq, line_count${span} FROM log_blocks WHERE ${where}
      ORDER BY first_ts${dir}, first_ns${dir}, first_seq${dir} LIMIT ${p(limit)}`,
    values
  }
}

const MAX_PAGE = 32

/** A read outside a snapshot found that its first page of blocks was not enough: it runs again in one. */
class NeedsSnapshot extends Error {}

/** A block row from the source: its edge in merge order (from the row, no payload decoded). */
interface SourceRow {
  edge: Position
  minSeq: number
  payload: Buffer | null
  key: string
  identity: BlockIdentity
  /** A search page's block: its payload's first bytes (payload is then null), and the block opened with its page (block-search.ts). */
  prefix?: Buffer
  search?: Promise<SearchOpened>
  /** A search page's block the cache held when the page came (held here: a long search evicts it before the merge reaches it). */
  cached?: DecodedBlock
}

/** What a search looks for: the value's bytes and its granule probe. */
interface Search { needle: Buffer, probe: number[] }

/** The run's candidate blocks in merge order, a page of rows at a time; `onePage`: a second page throws NeedsSnapshot. */
class BlockSource {
  private page: Array<SourceRow | undefined> = []
  private at = 0
  private pages = 0
  private done = false
  private after: [string, number, string] | undefined
  /**
   * A descending read's rows fetched and not yet handed out, latest last line first. Pages come by first
   * line, so a row leaves only once no row still to come can end after it: `bound`.
   */
  private readonly pending: Heap<SourceRow> | undefined
  /** Every row still to come ends before it: the last fetched row's first line plus the run's block_span. */
  private bound: Position = { day: -Infinity, t: 0, seq: 0 }

  constructor (private readonly db: Db, private readonly q: BlockQuery, private pageSize: number, private readonly onePage: boolean,
    private readonly search?: Search, private readonly cachedFor: (key: string) => DecodedBlock | undefined = () => undefined) {
    if (q.order === 'desc') this.pending = new Heap<SourceRow>((a, b) => compare(a.edge, b.edge) > 0)
  }

  async next (): Promise<SourceRow | undefined> {
    const pending = this.pending
    if (pending !== undefined) {
      for (;;) {
        const top = pending.top
        if (top !== undefined && (this.done || compare(top.edge, this.bound) >= 0)) return pending.pop()
        if (this.done) return undefined
        for (const row of await this.fetchPage()) pending.push(row)
      }
    }
    if (this.at >= this.page.length) {
      if (this.done) return undefined
      this.page = await this.fetchPage()
      this.at = 0
      if (this.page.length === 0) return undefined
    }
    const row = this.page[this.at] as SourceRow
    this.page[this.at++] = undefined
    return row
  }

  private async fetchPage (): Promise<SourceRow[]> {
    if (this.onePage && this.pages > 0) throw new NeedsSnapshot()
    const { rows } = await this.db.query<BlockRow>({ ...blockPage(this.q, this.pageSize, this.after), rowMode: 'array' })
    this.pages++
    this.done = rows.length < this.pageSize
    this.pageSize = Math.min(MAX_PAGE, this.pageSize * 2)
    const last = rows[rows.length - 1]
    if (last === undefined) return []
    this.after = [last[5], last[6], last[7]]
    if (this.pending !== undefined) this.bound = endBound(storedPosition({ ts: last[5], nanos: last[6], seq: last[7] }), last[10])
    const page = rows.map((r) => this.sourceRow(r))
    if (this.search !== undefined && this.q.searchPrefix !== undefined) this.openSearch(page, this.search)
    return page
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
    const identity: BlockIdentity = [row[5], row[6], row[7], row[3], row[8], row[9]]
    return {
      edge: storedPosition({ ts: row[0], nanos: row[1], seq: row[2] }),
      minSeq: Number(row[3]),
      ...(this.q.searchPrefix === undefined ? { payload: row[4] } : { payload: null, prefix: row[4] as Buffer }),
      key: `${group}\u0000${kind}\u0000${id}\u0000${identity.join('\u0000')}`,
      identity
    }
  }
}

/**
 * A block of a page was deleted before its payload was fetched (retention, or a merge that replaced it by
 * other blocks, whose lines this read's pages may have passed): the read starts again, on the blocks as
 * they are now.
 */
class BlockGone extends Error {}
const ATTEMPTS = 3

/** How a merge runs: pages and payloads from `db`, blocks kept in `cacheOwner`'s cache; `onePage`: see BlockSource. */
export interface MergeOptions { pageSize: number, cacheOwner: Db, onePage?: boolean }

/**
 * Merges the blocks of `q` in its order and hands each line in bounds and matching the filters to `take`,
 * until it returns false. A block's head is decoded once the merge reaches its edge (taken from the row),
 * and a granule's messages once a line of it is taken; a search loads only the granules whose filter may
 * hold its value.
 */
export async function mergeBlocks (db: Db, q: BlockQuery, options: MergeOptions, take: (block: DecodedBlock, i: number) => boolean): Promise<void> {
  const asc = q.order === 'asc'
  const dir = asc ? 1 : -1
  const filters = q.filters ?? {}
  const needle = filters.contains === undefined ? undefined : Buffer.from(filters.contains, 'utf8')
  const probe = filters.contains === undefined ? [] : granuleProbe(filters.contains)
  const mayHold = (filter: Buffer): boolean => granuleMayHold(filter, probe)
  const recentBlocks = recentOf(options.cacheOwner)
  const source = new BlockSource(db, q, options.pageSize, options.onePage === true, needle === undefined ? undefined : { needle, probe }, (key) => {
    const block = recentBlocks.peek(key)
    return block?.searchable(mayHold) === true ? block : undefined
  })
  const heap = new Heap<Cursor>((a, b) => dir * compareCursors(a, b) < 0)
  const inBounds = (c: Cursor): boolean => (asc ? compareAt(c, q.upper) < 0 : compareAt(c, q.lower) >= 0)
  let next = await source.next()
  for (;;) {
    const top = heap.top
    if (next !== undefined && (top === undefined || dir * compareAt(top, next.edge) >= 0)) {
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
        block ??= await openBlock(db, q.run, row.identity, row.minSeq, row.payload)
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

/**
 * Runs a merge in one consistent view of the blocks. On a pool, first outside any transaction with one page
 * of blocks (a single statement is its own snapshot, and a payload is fetched by its block's key, which a
 * merge never reuses for other lines): most short reads need no more. A read that needs a second page runs
 * again in a REPEATABLE READ snapshot on one connection, so a merge committed between two of its pages can
 * neither hide nor repeat a line (a read with filters, which takes payloads with its pages and passes more
 * blocks, starts there). On a client, in the client's transaction. `run` starts afresh each time.
 * `firstPage`: the blocks of that one page (keys only, so a larger page costs little).
 */
export async function consistentMerge (db: Db, q: BlockQuery, pageSize: number, run: (merge: (take: (block: DecodedBlock, i: number) => boolean) => Promise<void>) => Promise<void>, firstPage = 2 * pageSize): Promise<void> {
  if (!('totalCount' in db)) { await run(async (take) => { await mergeBlocks(db, q, { pageSize, cacheOwner: db }, take) }); return }
  let onePage = q.withoutPayloads === true
  for (let attempt = 1; ; attempt++) {
    try {
      if (onePage) {
        await run(async (take) => { await mergeBlocks(db, q, { pageSize: Math.min(MAX_PAGE, firstPage), cacheOwner: db, onePage }, take) })
      } else {
        await inReadSnapshot(db, async (client) => { await run(async (take) => { await mergeBlocks(client, q, { pageSize, cacheOwner: db }, take) }) })
      }
      return
    } catch (err) {
      if (err instanceof NeedsSnapshot) onePage = false
      else if (!(err instanceof BlockGone) || attempt >= ATTEMPTS) throw err
    }
  }
}

/** The next `limit` lines of a range in its order (only seq < beforeSeq when given). */
export async function readRange (db: Db, range: LogRange, limit: number, beforeSeq?: bigint): Promise<StoredLine[]> {
  let lines: StoredLine[] = []
  if (limit <= 0) return lines
  const { lower, upper } = rangeBounds(range)
  if (compare(lower, upper) >= 0) return lines
  // A read with filters may pass many blocks to find `limit` lines (a search opens most blocks of its
  // range): it takes payloads with its pages. Other reads stop after `limit` lines of the first blocks,
  // so they fetch a payload only when they open its block.
  const f = range.filters ?? {}
  const withoutPayloads = f.contains === undefined && f.pod === undefined && f.container === undefined && f.stream === undefined
  const search = f.contains === undefined ? {} : { searchPrefix: SEARCH_PREFIX }
  const q = { run: range.run, order: range.order, lower, upper, withoutPayloads, firstPayload: range.after === undefined, ...search, ...(range.filters === undefined ? {} : { filters: range.filters }), ...(beforeSeq === undefined ? {} : { toSeq: Number(beforeSeq) }) }
  // The first page, outside a snapshot, has room for blocks of 64 lines or more: small blocks (a run's few
  // lines a day, unmerged batches) then need no second page, which would read the first one again.
  await consistentMerge(db, q, 2 + Math.floor(limit / BLOCK_LINES), async (merge) => {
    lines = []
    await merge((block, i) => { lines.push(new StoredLine(block, i)); return lines.length < limit })
  }, 4 + Math.ceil(limit / 64))
  return lines
}

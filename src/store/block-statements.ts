// The block store's statements. Every one names the whole run key first, the primary key's prefix (and
// the distribution key where the table is distributed). A read takes a page of the run's blocks that may
// hold lines of its range, in the order it merges them: by first line ascending, by last line descending.
import { type LogFilters, type RunKey, type SortOrder } from '../model.js'
import { filterProbe } from './block-filter.js'
import { sqlPosition, tsText, type Position } from './block-position.js'

export interface Statement { name: string, text: string, values: unknown[] }

export const INSERT_BLOCKS = `INSERT INTO log_blocks (resource_group, run_kind, run_id, first_ts, first_ns, first_seq,
  last_ts, last_ns, last_seq, min_seq, max_seq, line_count, filter, payload)
SELECT * FROM unnest($1::text[], $2::run_kind[], $3::text[], $4::timestamptz[], $5::smallint[], $6::bigint[],
  $7::timestamptz[], $8::smallint[], $9::bigint[], $10::bigint[], $11::bigint[], $12::int[], $13::bytea[], $14::bytea[])`

/**
 * What the SELECT returns of a block: its ordering position (first or last line, as text), min_seq, the
 * payload (null when the page leaves payloads out), its first line's position (its key), last seq and line
 * count (with min_seq, what tells it from a block that replaced it under the same key).
 */
export type BlockRow = [string, number, string, string, Buffer | null, string, number, string, string, number]

/** Blocks whose lines may lie in [lower, upper) (positions, upper exclusive), and their paging. */
export interface BlockQuery {
  run: RunKey
  order: SortOrder
  lower: Position
  upper: Position
  /** Only blocks holding some seq in [fromSeq, toSeq). */
  fromSeq?: number
  toSeq?: number
  filters?: LogFilters
  /** The position (as text, from the last block of the previous page) to continue after. */
  after?: [string, number, string]
  limit: number
  /**
   * Leave payloads out of the page (fetched one block at a time, BLOCK_PAYLOAD, once the merge reaches
   * it): a read that stops after `limit` lines then never moves the payloads of blocks it does not open.
   */
  withoutPayloads?: boolean
  /**
   * A search: the page carries only the payloads' first `searchPrefix` bytes (the table, granule filters and
   * most often the head: block-search.ts), and BLOCK_PIECES fetches the parts a search needs beyond them.
   */
  searchPrefix?: number
}

/**
 * One block's payload by its key (the first line's position), from a page that left payloads out; a block
 * that replaced it under the same key (a merge) differs in min_seq, last seq or line count, and is not taken.
 */
export const BLOCK_PAYLOAD = `SELECT payload FROM log_blocks WHERE resource_group = $1 AND run_kind = $2 AND run_id = $3
  AND first_ts = $4 AND first_ns = $5 AND first_seq = $6 AND min_seq = $7 AND last_seq = $8 AND line_count = $9`

/**
 * Byte ranges of blocks' payloads (1-based start, length): a row per range, `i` its place in the arrays. A
 * block is named by its first line and told from one that replaced it (a merge) by min_seq, last seq and
 * line count, as BLOCK_PAYLOAD does; a range of a block deleted since gives no row. `substring` of a
 * STORAGE EXTERNAL value reads only the TOAST chunks that hold the range.
 */
export const BLOCK_PIECES = `SELECT k.i::int, substring(b.payload from k.s for k.n) FROM unnest($4::timestamptz[], $5::smallint[], $6::bigint[],
  $7::bigint[], $8::bigint[], $9::int[], $10::int[], $11::int[]) WITH ORDINALITY AS k(ts, ns, seq, min_seq, last_seq, count, s, n, i)
  JOIN log_blocks b ON b.first_ts = k.ts AND b.first_ns = k.ns AND b.first_seq = k.seq AND b.min_seq = k.min_seq
    AND b.last_seq = k.last_seq AND b.line_count = k.count
  WHERE b.resource_group = $1 AND b.run_kind = $2 AND b.run_id = $3`

// 10000-01-01: past every instant stored (year 9999 is the last).
const PAST_LAST_DAY = 2_932_897
const dayStart = (day: number): string => (day >= PAST_LAST_DAY ? 'infinity' : tsText(day, 0))

const SPAN = '(SELECT block_span FROM runs WHERE resource_group = $1 AND run_kind = $2 AND run_id = $3)'

/**
 * A page of blocks. A block never spans two days, so one that reaches `lower` starts on lower's day or
 * later, and one that starts before `upper` ends before the next day; the run's block_span bounds the index
 * walk closer still.
 */
export function blockPage (q: BlockQuery): Statement {
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
  const edge = asc ? 'first' : 'last'
  if (q.after !== undefined) {
    where += ` AND (${edge}_ts, ${edge}_ns, ${edge}_seq) ${asc ? '>' : '<'} (${p(q.after[0])}, ${p(q.after[1])}, ${p(q.after[2])})`
    name += '-page'
  }
  const dir = asc ? '' : ' DESC'
  let payload = 'payload'
  if (q.withoutPayloads === true) { payload = 'NULL::bytea'; name += '-keys' } else if (q.searchPrefix !== undefined) { payload = `substring(payload from 1 for ${p(q.searchPrefix)})`; name += '-prefix' }
  return {
    name,
    text: `SELECT ${edge}_ts, ${edge}_ns, ${edge}_seq, min_seq, ${payload}, first_ts, first_ns, first_seq, last_seq, line_count FROM log_blocks WHERE ${where}
      ORDER BY ${edge}_ts${dir}, ${edge}_ns${dir}, ${edge}_seq${dir} LIMIT ${p(q.limit)}`,
    values
  }
}

// The read queries, one named prepared statement per shape (order, filters given, cursor or not). Every
// shape walks the primary key (resource_group, run_kind, run_id, ts, ts_ns, seq) forwards or backwards;
// filters are checked on the rows that walk meets (docs/reading.md has the plans and why no index).
import { FILTER_NAMES, type LogFilters, type LogRange, type RunKey } from '../logs/model.js'
import { toStoredParts, type Instant } from '../time.js'

export interface Statement { name: string, text: string, values: unknown[] }

const COLUMNS = 'ts, ts_ns, container, pod, stream, msg, seq'
// The bounds twice: plain comparisons on ts let the planner prune partitions and bound the index scan;
// the row comparisons add the nanoseconds.
const RANGE_WHERE = `resource_group = $1 AND run_kind = $2 AND run_id = $3
  AND ts >= $4 AND ts <= $6 AND (ts, ts_ns) >= ($4, $5) AND (ts, ts_ns) < ($6, $7)`

const FILTER_SQL: Record<keyof LogFilters, (p: string) => string> = {
  container: (p) => `container = ${p}`,
  pod: (p) => `pod = ${p}`,
  stream: (p) => `stream = ${p}`,
  // strpos, not LIKE: the value is a plain substring, with no wildcards to escape.
  contains: (p) => `strpos(msg, ${p}) > 0`
}
// Statement names must differ wherever the text does.
const FILTER_TAG: Record<keyof LogFilters, string> = { container: 'c', pod: 'p', stream: 's', contains: 'x' }

function rangeValues (run: RunKey, start: Instant, end: Instant): unknown[] {
  const s = toStoredParts(start)
  const e = toStoredParts(end)
  return [run.group, run.kind, run.id, s.ts, s.nanos, e.ts, e.nanos]
}

/** Appends the filters given; returns their SQL and a letter per filter for the statement's name. */
function addFilters (filters: LogFilters | undefined, values: unknown[]): { sql: string, tag: string } {
  let sql = ''
  let tag = ''
  for (const key of FILTER_NAMES) {
    const value = filters?.[key]
    if (value === undefined) continue
    values.push(value)
    sql += ` AND ${FILTER_SQL[key](`$${values.length}`)}`
    tag += FILTER_TAG[key]
  }
  return { sql, tag }
}

/**
 * The next `limit` lines of a range in its order, after `range.after` when given, and only lines with
 * seq < `beforeSeq` when given (a tail's range phase, see src/tail/). A cursor's position replaces the
 * range's bound on its side: with both, Postgres starts the index scan at the range's bound and walks up
 * to the position (75 ms instead of 0.3 ms in the middle of a 1M-line run, docs/reading.md).
 */
export function readStatement (range: LogRange, limit: number = range.top, beforeSeq?: bigint): Statement {
  const asc = range.order === 'asc'
  const s = toStoredParts(range.start)
  const e = toStoredParts(range.end)
  const values: unknown[] = [range.run.group, range.run.kind, range.run.id, limit]
  const p = (value: unknown): string => { values.push(value); return `$${values.length}` }
  let where = 'resource_group = $1 AND run_kind = $2 AND run_id = $3'
  let name = `read-${range.order}`
  const after = range.after
  if (after !== undefined && asc) {
    const [ts, ns, seq] = [p(after.ts), p(after.nanos), p(after.seq)]
    where += ` AND ts >= ${ts} AND (ts, ts_ns, seq) > (${ts}, ${ns}, ${seq})`
  } else {
    const [ts, ns] = [p(s.ts), p(s.nanos)]
    where += ` AND ts >= ${ts} AND (ts, ts_ns) >= (${ts}, ${ns})`
  }
  if (after !== undefined && !asc) {
    const [ts, ns, seq] = [p(after.ts), p(after.nanos), p(after.seq)]
    where += ` AND ts <= ${ts} AND (ts, ts_ns, seq) < (${ts}, ${ns}, ${seq})`
  } else {
    const [ts, ns] = [p(e.ts), p(e.nanos)]
    where += ` AND ts <= ${ts} AND (ts, ts_ns) < (${ts}, ${ns})`
  }
  if (after !== undefined) name += '-after'
  if (beforeSeq !== undefined) {
    where += ` AND seq < ${p(String(beforeSeq))}`
    name += '-before'
  }
  const filters = addFilters(range.filters, values)
  if (filters.tag !== '') name += `-${filters.tag}`
  const orderBy = asc ? 'ts, ts_ns, seq' : 'ts DESC, ts_ns DESC, seq DESC'
  return { name, text: `SELECT ${COLUMNS} FROM log_lines WHERE ${where}${filters.sql} ORDER BY ${orderBy} LIMIT $4`, values }
}

/**
 * Lines of a range with fromSeq <= seq < toSeq, in seq order: what a tail has not sent yet. `since` (the
 * earliest timestamp of the batches notified) bounds the primary-key walk; without it the whole range is walked.
 */
export function newLinesStatement (range: LogRange, fromSeq: bigint, toSeq: bigint, limit: number, since?: Instant): Statement {
  const lower = since !== undefined && since > range.start ? since : range.start
  const values = rangeValues(range.run, lower, range.end)
  values.push(limit, String(fromSeq), String(toSeq))
  const filters = addFilters(range.filters, values)
  return {
    name: `new-lines${filters.tag === '' ? '' : `-${filters.tag}`}`,
    text: `SELECT ${COLUMNS} FROM log_lines WHERE ${RANGE_WHERE} AND seq >= $9 AND seq < $10${filters.sql} ORDER BY seq LIMIT $8`,
    values
  }
}

// The export's cursor over the store: a keyset walk of one run's lines in [start, end) along the primary
// key (ts, ts_ns, seq), a batch per query, so memory holds one batch however many lines a run has.
import type pg from 'pg'
import type { RunKey } from '../logs/model.js'
import { toStoredParts, type Instant } from '../time.js'

/** [ts text (UTC), nanoseconds, seq, container, pod, stream, msg] */
export type ExportRow = [string, number, string, string, string, string, string]

// The plain `ts >=` / `ts <=` bounds let the planner prune partitions; the row comparisons are exact.
const NEXT_BATCH = `SELECT ts, ts_ns, seq, container, pod, stream, msg FROM log_lines
WHERE resource_group = $1 AND run_kind = $2 AND run_id = $3
  AND ts >= $8 AND ts <= $6 AND (ts, ts_ns) >= ($4, $5) AND (ts, ts_ns) < ($6, $7)
  AND (ts, ts_ns, seq) > ($8, $9, $10)
ORDER BY ts, ts_ns, seq LIMIT $11`

export async function * exportLines (pool: pg.Pool, run: RunKey, start: Instant, end: Instant, batchSize = 5000): AsyncGenerator<ExportRow[]> {
  const s = toStoredParts(start)
  const e = toStoredParts(end)
  // Before the first line: the start itself with a sequence below any real one.
  let after: [string, number, string] = [s.ts, s.nanos, '-1']
  for (;;) {
    const { rows } = await pool.query<ExportRow>({
      name: 'export-lines',
      text: NEXT_BATCH,
      rowMode: 'array',
      values: [run.group, run.kind, run.id, s.ts, s.nanos, e.ts, e.nanos, after[0], after[1], after[2], batchSize]
    })
    if (rows.length === 0) return
    yield rows
    if (rows.length < batchSize) return
    const last = rows[rows.length - 1] as ExportRow
    after = [last[0], last[1], last[2]]
  }
}

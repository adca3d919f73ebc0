// The export's cursor over the store: a keyset walk of one run's lines in [start, end), oldest first, with
// the read path's own statements (read-statements.ts), a batch per query, so memory holds one batch
// however many lines a run has.
import type pg from 'pg'
import type { LogRange, RunKey } from '../logs/model.js'
import type { Instant } from '../time.js'
import type { StoredRow } from './log-store.js'
import { readStatement } from './read-statements.js'

export async function * exportLines (pool: pg.Pool, run: RunKey, start: Instant, end: Instant, batchSize = 5000): AsyncGenerator<StoredRow[]> {
  let range: LogRange = { run, start, end, top: batchSize, order: 'asc' }
  for (;;) {
    const { rows } = await pool.query<StoredRow>({ ...readStatement(range), rowMode: 'array' })
    if (rows.length === 0) return
    yield rows
    if (rows.length < batchSize) return
    const last = rows[rows.length - 1] as StoredRow
    range = { ...range, after: { ts: last[0], nanos: last[1], seq: last[6] } }
  }
}

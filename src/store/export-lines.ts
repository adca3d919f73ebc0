// The export's cursor over the store: one run's lines in [start, end), oldest first, read as the read path
// reads them (block-read.ts), a batch per query, so memory holds one batch however many lines a run has.
import type { LogRange, RunKey } from '../model.js'
import type { Instant } from '../time.js'
import { readRange, type Db, type StoredRow } from './block-read.js'

export async function * exportLines (db: Db, run: RunKey, start: Instant, end: Instant, batchSize = 5000): AsyncGenerator<StoredRow[]> {
  let range: LogRange = { run, start, end, top: batchSize, order: 'asc' }
  for (;;) {
    const rows = await readRange(db, range, batchSize)
    if (rows.length === 0) return
    yield rows
    if (rows.length < batchSize) return
    const last = rows[rows.length - 1] as StoredRow
    range = { ...range, after: { ts: last[0], nanos: last[1], seq: last[6] } }
  }
}

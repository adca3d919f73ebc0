// The export's cursor over the store: one run's lines in [start, end), oldest first, read as the read path
// reads them (block-read.ts), a batch per query (range-walk.ts), so memory holds one batch however many
// lines a run has.
import type { RunKey } from '../model.js'
import type { Instant } from '../time.js'
import { readRange, type Db, type StoredRow } from './block-read.js'
import { walkRange } from './range-walk.js'

export function exportLines (db: Db, run: RunKey, start: Instant, end: Instant, batchSize = 5000): AsyncGenerator<StoredRow[]> {
  return walkRange(async (range, limit) => await readRange(db, range, limit), { run, start, end, top: batchSize, order: 'asc' }, batchSize)
}

// The export's cursor over the store: one run's lines in [start, end), oldest first, read as the read path
// reads them (block-read.ts), a batch per query (range-walk.ts), so memory holds one batch however many
// lines a run has.
import type { LogRange, RunKey } from '../model.js'
import type { Instant } from '../time.js'
import { readRange, type Db } from './block-read.js'
import { walkRange } from './range-walk.js'
import type { StoredLine } from './stored-line.js'

export function exportLines (db: Db, run: RunKey, start: Instant, end: Instant, batchSize = 5000): AsyncGenerator<StoredLine[]> {
  // Each batch in one consistent view (readRange): a merge committed between its block queries neither hides nor repeats a line.
  const read = async (range: LogRange, limit: number): Promise<StoredLine[]> => await readRange(db, range, limit)
  return walkRange(read, { run, start, end, top: batchSize, order: 'asc' }, batchSize)
}

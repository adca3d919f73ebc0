// The keyset walk over a range: batches of lines in the range's order, each query continuing after the last
// line of the batch before, so memory holds one batch however many lines the range has. Exports and a live
// tail's range phase read through it.
import type { LogRange } from '../model.js'
import type { StoredRow } from './block-read.js'

/** The range's lines, `batch` per query of `read`, from range.after on (when given). */
export async function * walkRange (read: (range: LogRange, limit: number) => Promise<StoredRow[]>, range: LogRange, batch: number): AsyncGenerator<StoredRow[]> {
  let next = range
  for (;;) {
    const rows = await read(next, batch)
    if (rows.length > 0) yield rows
    const last = rows[rows.length - 1]
    if (rows.length < batch || last === undefined) return
    next = { ...next, after: { ts: last[0], nanos: last[1], seq: last[6] } }
  }
}

// The keyset walk over a range: batches of lines in the range's order, each query continuing after the last
// line of the batch before, so memory holds one batch however many lines the range has. Streamed reads,
// exports and a live tail's range phase read through it.
import type { LogRange } from '../model.js'
import type { StoredLine } from './stored-line.js'

export interface WalkOptions {
  /** Lines in all (default: every line of the range). */
  total?: number
  /** The first batch, already read (a streamed read reads it before it answers, so a missing run is a 404). */
  first?: StoredLine[]
}

/** The range's lines, up to `batch` per query of `read`, from range.after on (when given). */
export async function * walkRange (read: (range: LogRange, limit: number) => Promise<StoredLine[]>, range: LogRange, batch: number, opts: WalkOptions = {}): AsyncGenerator<StoredLine[]> {
  let next = range
  let remaining = opts.total ?? Infinity
  let lines = opts.first
  for (;;) {
    const asked = Math.min(batch, remaining)
    lines ??= await read(next, asked)
    if (lines.length > 0) yield lines
    remaining -= lines.length
    const last = lines[lines.length - 1]
    if (lines.length < asked || remaining <= 0 || last === undefined) return
    next = { ...next, after: last.position }
    lines = undefined
  }
}

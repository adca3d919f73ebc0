// Streamed reads (NDJSON, text, SSE): the range is read in keyset batches and written as the consumer
// takes it, so a read of a million lines holds one batch in memory, not the body.
import { Readable } from 'node:stream'
import type { LogStore, StoredRow } from '../store/log-store.js'
import type { CursorState } from './cursor.js'
import type { LogRange, StoredPosition } from '../model.js'
import type { ReadFormat } from './format.js'
import { renderItem, renderTextLine } from './render.js'

/** Rows per query of a streamed read: large enough to amortise a round trip, small enough to stay flat. */
export const STREAM_BATCH = 5000
const CHUNK_CHARS = 64 * 1024

export const positionOf = (row: StoredRow): StoredPosition => ({ ts: row[0], nanos: row[1], seq: row[6] })

export const cursorStateOf = (range: LogRange): CursorState =>
  ({ run: range.run, start: range.start, end: range.end, order: range.order, filters: range.filters ?? {} })

/** One line in a streamed format; `id` (SSE only) is the cursor that continues after it. */
export function frame (format: Exclude<ReadFormat, 'json'>, row: StoredRow, id: () => string): string {
  switch (format) {
    case 'ndjson': return renderItem(row) + '\n'
    case 'text': return renderTextLine(row)
    case 'sse': return `id: ${id()}\ndata: ${renderItem(row)}\n\n`
  }
}

/** The range's lines in batches, the first already read (so a missing run could still answer 404). */
export async function * rangeBatches (store: LogStore, range: LogRange, first: StoredRow[], asked: number): AsyncGenerator<StoredRow[]> {
  let rows = first
  let requested = asked
  let remaining = range.top
  for (;;) {
    if (rows.length > 0) yield rows
    remaining -= rows.length
    const last = rows[rows.length - 1]
    if (rows.length < requested || remaining <= 0 || last === undefined) return
    requested = Math.min(STREAM_BATCH, remaining)
    rows = await store.read({ ...range, after: positionOf(last) }, requested)
  }
}

/** A byte stream of the rows in a format; one batch is rendered at a time, when the consumer asks. */
export function streamOf (batches: AsyncGenerator<StoredRow[]>, format: Exclude<ReadFormat, 'json'>, idOf: (row: StoredRow) => string): Readable {
  async function * chunks (): AsyncGenerator<string> {
    for await (const rows of batches) {
      let chunk = ''
      for (const row of rows) {
        chunk += frame(format, row, () => idOf(row))
        // Small chunks die young: the garbage collector's cheap scavenges take them, and the heap stays flat.
        if (chunk.length >= CHUNK_CHARS) { yield chunk; chunk = '' }
      }
      if (chunk !== '') yield chunk
    }
  }
  return Readable.from(chunks(), { objectMode: false, highWaterMark: 1 })
}

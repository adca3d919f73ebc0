// Streamed reads (NDJSON, text, SSE): the range is read in keyset batches (store/range-walk.ts) and written
// as the consumer takes it, so a read of a million lines holds one batch in memory, not the body.
import { Readable } from 'node:stream'
import type { StoredLine } from '../store/stored-line.js'
import type { CursorState } from './cursor.js'
import type { LogRange } from '../model.js'
import type { ReadFormat } from './format.js'
import { renderFrames } from './render.js'

/** Lines per query of a streamed read: large enough to amortise a round trip, small enough to stay flat. */
export const STREAM_BATCH = 5000
const CHUNK_BYTES = 64 * 1024

export const cursorStateOf = (range: LogRange): CursorState =>
  ({ run: range.run, start: range.start, end: range.end, order: range.order, filters: range.filters ?? {} })

/** A byte stream of the lines in a format; one batch is rendered at a time, when the consumer asks. */
export function streamOf (batches: AsyncGenerator<StoredLine[]>, format: Exclude<ReadFormat, 'json'>, idOf: (line: StoredLine) => string): Readable {
  async function * chunks (): AsyncGenerator<Buffer> {
    // Rendered in chunks as the consumer takes them: small chunks die young, and the heap stays flat.
    for await (const lines of batches) yield * renderFrames(format, lines, idOf, CHUNK_BYTES)
  }
  return Readable.from(chunks(), { objectMode: false, highWaterMark: 1 })
}

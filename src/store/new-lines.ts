// A tail's new lines: those a notification announced (a seq span), whatever their time, in seq order.
import type { LogRange } from '../model.js'
import type { Instant } from '../time.js'
import { consistentMerge, type Db } from './block-read.js'
import { compare, instantPosition } from './block-position.js'
import { StoredLine } from './stored-line.js'

const bySeq = (a: StoredLine, b: StoredLine): number => (a.block.seq[a.i] as number) - (b.block.seq[b.i] as number)

/** Lines of a range with fromSeq <= seq < toSeq in seq order, none earlier than `since` when given. */
export async function readNewLines (db: Db, range: LogRange, fromSeq: bigint, toSeq: bigint, limit: number, since?: Instant): Promise<StoredLine[]> {
  const lower = instantPosition(since !== undefined && since > range.start ? since : range.start)
  const upper = instantPosition(range.end)
  if (compare(lower, upper) >= 0 || limit <= 0) return []
  let found: StoredLine[] = []
  const q = { run: range.run, order: 'asc' as const, lower, upper, fromSeq: Number(fromSeq), toSeq: Number(toSeq), ...(range.filters === undefined ? {} : { filters: range.filters }) }
  await consistentMerge(db, q, 4, async (merge) => {
    found = []
    await merge((block, i) => {
      found.push(new StoredLine(block, i))
      if (found.length >= 2 * limit) found = found.sort(bySeq).slice(0, limit)
      return true
    })
  })
  return found.sort(bySeq).slice(0, limit)
}

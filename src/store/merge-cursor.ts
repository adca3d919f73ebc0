// A block being merged by a read (block-read.ts): where it stands, and how its lines compare, without making
// an object per comparison (the merge compares for every line it takes).
import type { LogFilters } from '../model.js'
import type { DecodedBlock } from './block-codec.js'
import { compare, type Position } from './block-position.js'

/** A block being merged: its next line, the lines it may still give, and what its lines must match. */
export interface Cursor { block: DecodedBlock, i: number, labelOk: Uint8Array | undefined, hits: Uint8Array | undefined }

/** A cursor's line against a position (no object made: the merge compares for every line it takes). */
export const compareAt = (c: Cursor, p: Position): number =>
  c.block.day - p.day || (c.block.t[c.i] as number) - p.t || (c.block.seq[c.i] as number) - p.seq
export const compareCursors = (a: Cursor, b: Cursor): number =>
  a.block.day - b.block.day || (a.block.t[a.i] as number) - (b.block.t[b.i] as number) || (a.block.seq[a.i] as number) - (b.block.seq[b.i] as number)

export function labelMatches (block: DecodedBlock, filters: LogFilters): Uint8Array | undefined {
  if (filters.pod === undefined && filters.container === undefined && filters.stream === undefined) return undefined
  return Uint8Array.from(block.labels, ([pod, container, stream]) =>
    Number((filters.pod === undefined || filters.pod === pod) && (filters.container === undefined || filters.container === container) &&
      (filters.stream === undefined || filters.stream === stream)))
}

/** asc: the first line at or after `bound`; desc: the last line before `bound` (binary search; -1 when none). */
export function startOf (b: DecodedBlock, asc: boolean, bound: Position): number {
  let lo = 0
  let hi = b.n
  while (lo < hi) {
    const mid = (lo + hi) >> 1
    if (compare({ day: b.day, t: b.t[mid] as number, seq: b.seq[mid] as number }, bound) < 0) lo = mid + 1
    else hi = mid
  }
  return asc ? lo : lo - 1
}

// Which blocks of a run to merge, from their rows alone (no payload read). Within a UTC day, blocks sorted by
// first line fall into overlap groups (a block starting before the group's last line so far joins it); a
// group of two or more blocks must be merged to stop overlapping, and a lone block below the fill threshold
// is worth merging with its small neighbours. Runs of such groups, cut at a full lone block, at a day and at
// a line budget, become merges: each replaces its blocks by full, non-overlapping ones.
import { BLOCK_LINES } from './block-build.js'
import { compare, type Position } from './block-position.js'

export interface BlockInfo { first: Position, last: Position, count: number }

/** One merge: blocks of one run and day, sorted by first line, that one transaction replaces. */
export interface MergeGroup {
  blocks: BlockInfo[]
  lines: number
  /** Whether some of its blocks overlap (then it is merged even if it cannot save a block). */
  overlapping: boolean
  /** A lone block rewritten with the store's dictionary (block-merge.ts), not merged. */
  recompress?: boolean
}

export interface PlanSettings {
  /** A lone block with fewer lines than this is small. */
  minFillLines: number
  /** A merge stops taking groups at this many lines (one overlap group is never split). */
  maxLines: number
}

export const defaultPlanSettings = (fillPercent: number): PlanSettings => ({
  minFillLines: Math.ceil(BLOCK_LINES * fillPercent / 100),
  maxLines: 64 * BLOCK_LINES
})

/** The merges worth doing among a run's blocks (any order). */
export function planMerges (blocks: BlockInfo[], settings: PlanSettings): MergeGroup[] {
  const sorted = [...blocks].sort((a, b) => compare(a.first, b.first))
  const merges: MergeGroup[] = []
  let current: MergeGroup = { blocks: [], lines: 0, overlapping: false }
  const close = (): void => {
    if (current.blocks.length >= 2) merges.push(current)
    current = { blocks: [], lines: 0, overlapping: false }
  }
  for (let i = 0; i < sorted.length;) {
    // The overlap group starting at i: every block that starts before the group's last line so far.
    const group = [sorted[i] as BlockInfo]
    let last = (sorted[i] as BlockInfo).last
    let j = i + 1
    while (j < sorted.length && (sorted[j] as BlockInfo).first.day === group[0]?.first.day && compare((sorted[j] as BlockInfo).first, last) < 0) {
      const b = sorted[j] as BlockInfo
      group.push(b)
      if (compare(b.last, last) > 0) last = b.last
      j++
    }
    i = j
    const lines = group.reduce((n, b) => n + b.count, 0)
    const mergeable = group.length >= 2 || lines < settings.minFillLines
    if (!mergeable) { close(); continue }
    const head = current.blocks[0]
    if (head !== undefined && (head.first.day !== group[0]?.first.day || current.lines + lines > settings.maxLines)) close()
    current.blocks.push(...group)
    current.lines += lines
    current.overlapping ||= group.length >= 2
  }
  close()
  return merges
}

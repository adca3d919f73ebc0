// A run's lines of one batch as the store writes them: built and compressed blocks and what the run row and
// the partitions need (line count, first and last position, lines per day). Ingest makes them on the event
// loop (runBlocksOf) or in a worker thread (src/ingest/decode-pool.ts), which hands them back ready to insert.
import type { Labels } from '../labels.js'
import type { LogBatch, RunKey } from '../model.js'
import { buildBlocks, type BuiltBlock } from './block-build.js'
import type { Position } from './block-position.js'

/** One run's validated lines within a batch. */
export interface RunLines {
  run: RunKey
  batch: LogBatch
  /** Labels a shipper's records gave the run (COLLECTOR_RUN_LABELS), merged into its labels. */
  labels?: Labels
}

/** One run's lines of a batch, built into blocks (seqs relative to the batch). */
export interface RunBlocks {
  run: RunKey
  labels?: Labels
  count: number
  first: Position
  last: Position
  /** Lines per UTC day (days since 1970), i.e. per partition. */
  days: Map<number, number>
  blocks: BuiltBlock[]
}

const positionOf = (p: Position): Position => ({ day: p.day, t: p.t, seq: p.seq })

/** Builds a run's blocks from its checked lines (which it sorts in place). */
export async function runBlocksOf ({ run, batch, labels }: RunLines): Promise<RunBlocks> {
  const first = positionOf(batch.first)
  const last = positionOf(batch.last)
  return { run, ...(labels === undefined ? {} : { labels }), count: batch.lines.length, first, last, days: batch.days, blocks: await buildBlocks(batch.lines) }
}

export const isBuilt = (r: RunLines | RunBlocks): r is RunBlocks => 'blocks' in r

// A run stored straight as blocks (no ingest): its row in `runs` and its blocks, on 2026-06-15.
import type pg from 'pg'
import type { RunKey } from '../../src/model.js'
import { BlockRows, blockSpan, type BuiltBlock } from '../../src/store/block-build.js'
import { INSERT_BLOCKS } from '../../src/store/block-statements.js'

export async function storeRun (pool: pg.Pool, run: RunKey, blocks: BuiltBlock[]): Promise<void> {
  const rows = new BlockRows()
  for (const b of blocks) rows.add(run, 0, b)
  const lines = blocks.reduce((n, b) => n + b.count, 0)
  await pool.query("SELECT log_blocks_ensure_partition('2026-06-15')")
  await pool.query(`INSERT INTO runs (resource_group, run_kind, run_id, first_ts, first_ns, last_ts, last_ns, line_count, next_seq, block_span)
    VALUES ($1, $2, $3, '2026-06-15 10:00:00+00', 0, '2026-06-15 11:00:00+00', 0, $4, $4, $5::interval)`, [run.group, run.kind, run.id, lines, blockSpan(blocks)])
  await pool.query(INSERT_BLOCKS, rows.columns)
}

// The upgrade from the one-row-per-line store (release 0.1): migration 008 renamed its table to
// legacy_log_lines; here each of its day partitions becomes blocks in one transaction that also drops the
// partition, so a crash leaves it whole and the next start takes it again. Runs keep their rows (next_seq,
// counts and bounds are unchanged: lines keep their seqs).
import type pg from 'pg'
import type { RunKey, RunKind } from '../model.js'
import { BlockRows, buildBlocks, REFRESH_BLOCK_SPANS } from './block-build.js'
import type { BlockLine } from './block-codec.js'
import { storedPosition } from './block-position.js'
import { INSERT_BLOCKS } from './block-statements.js'
import { inTransaction } from './transaction.js'

const CHUNK = 20_000
type LegacyRow = [string, RunKind, string, string, number, string, string, string, string, string]

/** Turns every legacy partition into blocks; resolves to the lines moved. */
export async function upgradeLegacyLines (pool: pg.Pool): Promise<number> {
  const { rows: [legacy] } = await pool.query<{ present: boolean }>("SELECT to_regclass('legacy_log_lines') IS NOT NULL AS present")
  if (legacy?.present !== true) return 0
  const { rows: parts } = await pool.query<{ name: string }>(`SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
    WHERE i.inhparent = 'legacy_log_lines'::regclass ORDER BY 1`)
  let moved = 0
  for (const { name } of parts) moved += await upgradePartition(pool, name)
  await pool.query(REFRESH_BLOCK_SPANS)
  await pool.query('DROP TABLE legacy_log_lines')
  return moved
}

async function upgradePartition (pool: pg.Pool, name: string): Promise<number> {
  return await inTransaction(pool, async (client) => {
    let moved = 0
    let after: LegacyRow | undefined
    for (;;) {
      const { rows } = await client.query<LegacyRow>({
        text: `SELECT resource_group, run_kind, run_id, ts, ts_ns, seq::text, container, pod, stream, msg FROM ${name}
          ${after === undefined ? '' : 'WHERE (resource_group, run_kind, run_id, ts, ts_ns, seq) > ($2, $3, $4, $5, $6, $7)'}
          ORDER BY resource_group, run_kind, run_id, ts, ts_ns, seq LIMIT $1`,
        values: after === undefined ? [CHUNK] : [CHUNK, ...after.slice(0, 6)],
        rowMode: 'array'
      })
      if (rows.length === 0) break
      await insertBlocks(client, rows)
      moved += rows.length
      after = rows[rows.length - 1]
      if (rows.length < CHUNK) break
    }
    await client.query(`DROP TABLE ${name}`)
    return moved
  })
}

/** Rows sorted by run key then position: each run's lines become blocks. */
async function insertBlocks (client: pg.PoolClient, rows: LegacyRow[]): Promise<void> {
  const out = new BlockRows()
  const days = new Set<number>()
  for (let i = 0; i < rows.length;) {
    const [group, kind, id] = rows[i] as LegacyRow
    const lines: BlockLine[] = []
    for (; i < rows.length && (rows[i] as LegacyRow)[0] === group && (rows[i] as LegacyRow)[1] === kind && (rows[i] as LegacyRow)[2] === id; i++) {
      const [, , , ts, nanos, seq, container, pod, stream, msg] = rows[i] as LegacyRow
      const { day, t } = storedPosition({ ts, nanos, seq: '0' })
      days.add(day)
      lines.push({ day, t, seq: Number(seq), container, pod, stream, msg })
    }
    const run: RunKey = { group, kind, id }
    for (const b of await buildBlocks(lines)) out.add(run, 0, b)
  }
  for (const day of days) await client.query('SELECT log_blocks_ensure_partition($1::date)', [new Date(day * 86_400_000).toISOString().slice(0, 10)])
  await client.query({ text: INSERT_BLOCKS, values: out.columns })
}

// Runs whose oldest blocks expired, by partition drop (partitions.ts) or by their group's retention
// (group-retention.ts): a run left with no block is forgotten (404), the others lose the expired lines and
// start at their first line left.
import type pg from 'pg'

export const utcDay = (ms: number): string => new Date(ms).toISOString().slice(0, 10)

const THE_RUN = (a: string): string => `${a}.resource_group = $1 AND ${a}.run_kind = $2 AND ${a}.run_id = $3`

// One pair of statements per run, each filtered by the whole run key: on Citus each goes to the run's shard
// (a join of run keys given as arrays with the distributed tables is a "complex join" there).
const FORGET_RUN = `DELETE FROM runs r WHERE ${THE_RUN('r')}
  AND NOT EXISTS (SELECT 1 FROM log_blocks b WHERE ${THE_RUN('b')} AND b.first_ts >= $4)`
const SHORTEN_RUN = `UPDATE runs r SET line_count = r.line_count - $4, updated_at = now(),
  (first_ts, first_ns) = (SELECT b.first_ts, b.first_ns FROM log_blocks b WHERE ${THE_RUN('b')} AND b.first_ts >= $5
                          ORDER BY b.first_ts, b.first_ns, b.first_seq LIMIT 1)
  WHERE ${THE_RUN('r')}`

/** Runs lose the lines of expired blocks (`expired`: run key and lines, as text): forgotten, or their first line moved. */
export async function forgetExpired (client: pg.PoolClient, expired: Array<[string, string, string, string]>, end: string): Promise<void> {
  for (const [group, kind, id, lines] of expired) {
    const forgotten = await client.query({ name: 'forget-expired-run', text: FORGET_RUN, values: [group, kind, id, end] })
    if (forgotten.rowCount === 0) await client.query({ name: 'shorten-expired-run', text: SHORTEN_RUN, values: [group, kind, id, lines, end] })
  }
}

// Retention per resource group (LOG_RETENTION_DAYS_BY_GROUP): a group kept for less time than the day
// partitions loses its blocks of the days past its retention, whole blocks, never line by line (a block
// holds one day). Partitions are dropped at the longest retention of all (partitions.ts).
import type pg from 'pg'
import { runKeyText, type RunKind } from '../model.js'
import { forgetExpired, utcDay } from './expired-runs.js'
import { inTransaction } from './transaction.js'

const DAY_MS = 86_400_000

/** The days after which the whole store's day partitions go: the longest retention; 0 (forever) if any keeps forever. */
export function partitionRetentionDays (defaultDays: number, byGroup: ReadonlyMap<string, number>): number {
  const all = [defaultDays, ...byGroup.values()]
  return all.includes(0) ? 0 : Math.max(...all)
}

/**
 * Deletes the blocks of days past their group's retention where that is shorter than the partitions' own:
 * each named group by its days, every other group by `defaultDays`. Resolves to the lines dropped.
 */
export async function dropGroupBlocks (pool: pg.Pool, nowMs: number, defaultDays: number, byGroup: ReadonlyMap<string, number>): Promise<number> {
  const partitionDays = partitionRetentionDays(defaultDays, byGroup)
  const shorter = (days: number): boolean => days > 0 && (partitionDays === 0 || days < partitionDays)
  let dropped = 0
  for (const [group, days] of byGroup) {
    if (shorter(days)) dropped += await dropBlocks(pool, 'resource_group = $1', [group], cutoff(nowMs, days))
  }
  if (shorter(defaultDays)) dropped += await dropBlocks(pool, 'resource_group <> ALL($1::text[])', [[...byGroup.keys()]], cutoff(nowMs, defaultDays))
  return dropped
}

const cutoff = (nowMs: number, days: number): string => `${utcDay(nowMs - days * DAY_MS)}T00:00:00Z`

async function dropBlocks (pool: pg.Pool, groups: string, values: unknown[], before: string): Promise<number> {
  return await inTransaction(pool, async (client) => {
    // One replica at a time, as partition drops. (RETURNING names plain columns: Citus refuses casts there,
    // enum_out is not IMMUTABLE; pg hands enums and bigints over as text anyway.)
    await client.query("SELECT pg_advisory_xact_lock(hashtext('log_blocks_retention'))")
    const { rows } = await client.query<[string, string, string, string]>({
      text: `DELETE FROM log_blocks WHERE ${groups} AND first_ts < $2 RETURNING resource_group, run_kind, run_id, line_count`,
      values: [...values, before],
      rowMode: 'array'
    })
    const perRun = new Map<string, [string, string, string, string]>()
    for (const [group, kind, id, lines] of rows) {
      const key = runKeyText({ group, kind: kind as RunKind, id })
      const run = perRun.get(key)
      perRun.set(key, [group, kind, id, String(Number(run?.[3] ?? 0) + Number(lines))])
    }
    await forgetExpired(client, [...perRun.values()], before)
    return rows.reduce((n, r) => n + Number(r[3]), 0)
  })
}

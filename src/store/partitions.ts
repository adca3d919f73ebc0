// Daily partitions of log_lines: made ahead and on demand (a line of any year in bounds finds one),
// analyzed while they fill (a fresh partition has no statistics), dropped whole after retention.
import type pg from 'pg'

const DAY_MS = 86_400_000
const PARTITION_NAME = /^log_lines_(\d{4})(\d{2})(\d{2})$/

export const utcDay = (ms: number): string => new Date(ms).toISOString().slice(0, 10)

export class Partitions {
  private readonly known = new Set<string>()

  constructor (private readonly pool: pg.Pool) {}

  /** Makes sure a partition exists for each UTC day (YYYY-MM-DD); creation runs outside any ingest transaction. */
  async ensure (days: Iterable<string>): Promise<void> {
    for (const day of days) {
      if (this.known.has(day)) continue
      await this.pool.query('SELECT log_lines_ensure_partition($1::date)', [day])
      this.known.add(day)
    }
  }

  /** Forgets what it knows, after another replica dropped a partition under it. */
  forget (): void {
    this.known.clear()
  }

  /** Makes today's and the next days' partitions, drops those past retention, refreshes statistics. */
  async maintain (nowMs: number, aheadDays: number, retentionDays: number): Promise<{ dropped: string[] }> {
    const days = Array.from({ length: aheadDays + 1 }, (_, i) => utcDay(nowMs + i * DAY_MS))
    await this.ensure(days)
    const dropped = retentionDays > 0 ? await this.dropBefore(utcDay(nowMs - retentionDays * DAY_MS)) : []
    // Partitioned parents are never auto-analyzed and new partitions lag: refresh the ones being written.
    for (const day of [utcDay(nowMs - DAY_MS), utcDay(nowMs)]) {
      await this.pool.query(`ANALYZE ${partitionName(day)}`).catch(() => undefined)
    }
    return { dropped }
  }

  /** Drops every partition that ends on or before `cutoffDay` 00:00 UTC, and the runs left with no lines. */
  async dropBefore (cutoffDay: string): Promise<string[]> {
    const { rows } = await this.pool.query<{ name: string }>(
      `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
        WHERE i.inhparent = 'log_lines'::regclass`)
    const dropped: string[] = []
    for (const { name } of rows) {
      const m = PARTITION_NAME.exec(name)
      if (m === null) continue
      const day = `${m[1]}-${m[2]}-${m[3]}`
      if (day >= cutoffDay) continue
      await this.pool.query(`DROP TABLE IF EXISTS ${name}`)
      this.known.delete(day)
      dropped.push(name)
    }
    await this.pool.query("DELETE FROM runs WHERE last_ts < ($1::date::timestamp AT TIME ZONE 'UTC')", [cutoffDay])
    return dropped
  }
}

export function partitionName (day: string): string {
  return `log_lines_${day.replaceAll('-', '')}`
}

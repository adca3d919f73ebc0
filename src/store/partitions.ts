// Daily partitions of log_blocks (a block never spans two days): made ahead and on demand (a line of any year in bounds finds one),
// analyzed while they fill, dropped whole after retention.
import type pg from 'pg'
import { forgetExpired, utcDay } from './expired-runs.js'
import { dropGroupBlocks, partitionRetentionDays } from './group-retention.js'
import { inTransaction } from './transaction.js'

const DAY_MS = 86_400_000
const PARTITION_NAME = /^log_blocks_(\d{4})(\d{2})(\d{2})$/
// A partition is analyzed once this process's writes to it reach this many lines, then each time they
// double. Without statistics the planner takes a freshly filled partition for empty and sorts a whole
// run instead of walking the index (a bitmap scan and a sort: 5.8 ms instead of 0.29 ms); autovacuum comes later.
const ANALYZE_FIRST_AT = 1000

export class Partitions {
  private readonly known = new Set<string>()
  private readonly growth = new Map<string, { pending: number, analyzed: number }>()
  private analyzing: Promise<void> = Promise.resolve()

  constructor (private readonly pool: pg.Pool, private readonly onError: (err: unknown) => void = () => {}) {}

  /** Makes sure a partition exists for each UTC day (YYYY-MM-DD); creation runs outside any ingest transaction. */
  async ensure (days: Iterable<string>): Promise<void> {
    for (const day of days) {
      if (this.known.has(day)) continue
      await this.pool.query('SELECT log_blocks_ensure_partition($1::date)', [day])
      this.known.add(day)
    }
  }

  /** Counts committed lines per day and analyzes, in the background, the partitions that doubled. */
  noteWritten (linesPerDay: Map<string, number>): void {
    for (const [day, lines] of linesPerDay) {
      const g = this.growth.get(day) ?? { pending: 0, analyzed: 0 }
      g.pending += lines
      this.growth.set(day, g)
      if (g.pending < Math.max(ANALYZE_FIRST_AT, g.analyzed)) continue
      g.analyzed += g.pending
      g.pending = 0
      this.analyzing = this.analyzing
        .then(async () => { await this.pool.query(`ANALYZE ${partitionName(day)}`) })
        .catch(this.onError)
    }
  }

  /** Resolves when the analyses started so far have ended. */
  async analyzed (): Promise<void> {
    await this.analyzing
  }

  /** Forgets what it knows, after another replica dropped a partition under it. */
  forget (): void {
    this.known.clear()
  }

  /**
   * Makes today's and the next days' partitions, deletes the blocks of groups kept for less time than the
   * partitions (`byGroup`, group-retention.ts), and drops the partitions past the longest retention.
   */
  async maintain (nowMs: number, aheadDays: number, retentionDays: number, byGroup: ReadonlyMap<string, number> = new Map()): Promise<{ dropped: string[], groupLines: number }> {
    const days = Array.from({ length: aheadDays + 1 }, (_, i) => utcDay(nowMs + i * DAY_MS))
    await this.ensure(days)
    const groupLines = byGroup.size > 0 || retentionDays > 0 ? await dropGroupBlocks(this.pool, nowMs, retentionDays, byGroup) : 0
    const partitionDays = partitionRetentionDays(retentionDays, byGroup)
    const dropped = partitionDays > 0 ? await this.dropBefore(utcDay(nowMs - partitionDays * DAY_MS)) : []
    return { dropped, groupLines }
  }

  /**
   * Drops every partition that ends on or before `cutoffDay` 00:00 UTC, oldest first (a failure stops the
   * walk: the runs' first lines are looked for after the partition being dropped), with its runs' counts.
   */
  async dropBefore (cutoffDay: string): Promise<string[]> {
    const { rows } = await this.pool.query<{ name: string }>(
      `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
        WHERE i.inhparent = 'log_blocks'::regclass`)
    const expired = rows.map(({ name }) => PARTITION_NAME.exec(name))
      .filter((m) => m !== null)
      .map((m) => `${m[1]}-${m[2]}-${m[3]}`)
      .filter((day) => day < cutoffDay)
      .sort()
    const dropped: string[] = []
    for (const day of expired) {
      if (await this.dropPartition(day)) dropped.push(partitionName(day))
      this.known.delete(day)
      this.growth.delete(day)
    }
    return dropped
  }

  /** Drops one day's partition in one transaction with what the runs table says of its lines; false if already gone. */
  private async dropPartition (day: string): Promise<boolean> {
    const name = partitionName(day)
    return await inTransaction(this.pool, async (client) => {
      // The drop locks log_blocks itself for an instant, once the queries on it have ended: waiting longer
      // would queue every read and write behind it, so it gives up and the next upkeep tries again.
      await client.query(`SET LOCAL lock_timeout = '${DROP_LOCK_TIMEOUT}'`)
      // One replica at a time (another one may have dropped it meanwhile).
      await client.query("SELECT pg_advisory_xact_lock(hashtext('log_blocks_retention'))")
      const { rows } = await client.query<{ exists: boolean }>('SELECT to_regclass($1) IS NOT NULL AS exists', [name])
      if (rows[0]?.exists !== true) return false
      // No line can arrive in a day past retention (ingest refuses them); the lock makes sure while counting.
      await client.query(`LOCK TABLE ${name} IN SHARE MODE`)
      const { rows: expired } = await client.query<[string, string, string, string]>({
        text: `SELECT resource_group, run_kind::text, run_id, sum(line_count)::text FROM ${name} GROUP BY 1, 2, 3`, rowMode: 'array'
      })
      // A run with no block after this day is forgotten (404); the others lose this day's lines and start
      // at their first line left (the first line of their earliest block): statements per run, each routed
      // to the run's shard where the tables are distributed (no temporary table joined with them).
      await forgetExpired(client, expired, nextDay(day))
      await client.query(`DROP TABLE ${name}`)
      return true
    })
  }
}

const DROP_LOCK_TIMEOUT = '5s'
const nextDay = (day: string): string => `${utcDay(Date.parse(`${day}T00:00:00Z`) + DAY_MS)}T00:00:00Z`

export function partitionName (day: string): string {
  return `log_blocks_${day.replaceAll('-', '')}`
}

// Daily partitions of log_lines: made ahead and on demand (a line of any year in bounds finds one),
// analyzed while they fill, dropped whole after retention.
import type pg from 'pg'
import { inTransaction } from './transaction.js'

const DAY_MS = 86_400_000
const PARTITION_NAME = /^log_lines_(\d{4})(\d{2})(\d{2})$/
// A partition is analyzed once this process's writes to it reach this many lines, then each time they
// double. Without statistics the planner takes a freshly filled partition for empty and sorts a whole
// run instead of walking the index (PERFORMANCE-NOTES: 5.8 ms instead of 0.29 ms); autovacuum comes later.
const ANALYZE_FIRST_AT = 1000

export const utcDay = (ms: number): string => new Date(ms).toISOString().slice(0, 10)

export class Partitions {
  private readonly known = new Set<string>()
  private readonly growth = new Map<string, { pending: number, analyzed: number }>()
  private analyzing: Promise<void> = Promise.resolve()

  constructor (private readonly pool: pg.Pool, private readonly onError: (err: unknown) => void = () => {}) {}

  /** Makes sure a partition exists for each UTC day (YYYY-MM-DD); creation runs outside any ingest transaction. */
  async ensure (days: Iterable<string>): Promise<void> {
    for (const day of days) {
      if (this.known.has(day)) continue
      await this.pool.query('SELECT log_lines_ensure_partition($1::date)', [day])
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

  /** Makes today's and the next days' partitions and drops those past retention. */
  async maintain (nowMs: number, aheadDays: number, retentionDays: number): Promise<{ dropped: string[] }> {
    const days = Array.from({ length: aheadDays + 1 }, (_, i) => utcDay(nowMs + i * DAY_MS))
    await this.ensure(days)
    const dropped = retentionDays > 0 ? await this.dropBefore(utcDay(nowMs - retentionDays * DAY_MS)) : []
    return { dropped }
  }

  /**
   * Drops every partition that ends on or before `cutoffDay` 00:00 UTC, oldest first (a failure stops the
   * walk: the runs' first lines are looked for after the partition being dropped), with its runs' counts.
   */
  async dropBefore (cutoffDay: string): Promise<string[]> {
    const { rows } = await this.pool.query<{ name: string }>(
      `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
        WHERE i.inhparent = 'log_lines'::regclass`)
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
      // The drop locks log_lines itself for an instant, once the queries on it have ended: waiting longer
      // would queue every read and write behind it, so it gives up and the next upkeep tries again.
      await client.query(`SET LOCAL lock_timeout = '${DROP_LOCK_TIMEOUT}'`)
      // One replica at a time (another one may have dropped it meanwhile).
      await client.query("SELECT pg_advisory_xact_lock(hashtext('log_lines_retention'))")
      const { rows } = await client.query<{ exists: boolean }>('SELECT to_regclass($1) IS NOT NULL AS exists', [name])
      if (rows[0]?.exists !== true) return false
      // No line can arrive in a day past retention (ingest refuses them); the lock makes sure while counting.
      await client.query(`LOCK TABLE ${name} IN SHARE MODE`)
      // The day's lines per run, read in each statement (no temporary table: Citus cannot join one with
      // distributed tables; this subquery is co-located with runs and log_lines on the run key).
      const expiredRuns = `(SELECT resource_group, run_kind, run_id, count(*) AS lines FROM ${name} GROUP BY 1, 2, 3)`
      const end = nextDay(day)
      // A run with no line after this day is forgotten (404); the others lose this day's lines and start
      // at their first line left. Each is one walk of the primary key.
      await client.query(`DELETE FROM runs r USING ${expiredRuns} e
        WHERE ${SAME_RUN('r', 'e')} AND NOT EXISTS (SELECT 1 FROM log_lines l WHERE ${SAME_RUN('l', 'e')} AND l.ts >= $1)`, [end])
      await client.query(`UPDATE runs r SET line_count = r.line_count - e.lines, first_ts = f.ts, first_ns = f.ts_ns, updated_at = now()
        FROM ${expiredRuns} e CROSS JOIN LATERAL (SELECT l.ts, l.ts_ns FROM log_lines l WHERE ${SAME_RUN('l', 'e')} AND l.ts >= $1
                                                ORDER BY l.ts, l.ts_ns, l.seq LIMIT 1) f
        WHERE ${SAME_RUN('r', 'e')}`, [end])
      await client.query(`DROP TABLE ${name}`)
      return true
    })
  }
}

const DROP_LOCK_TIMEOUT = '5s'
const SAME_RUN = (a: string, b: string): string =>
  `${a}.resource_group = ${b}.resource_group AND ${a}.run_kind = ${b}.run_kind AND ${a}.run_id = ${b}.run_id`
const nextDay = (day: string): string => `${utcDay(Date.parse(`${day}T00:00:00Z`) + DAY_MS)}T00:00:00Z`

export function partitionName (day: string): string {
  return `log_lines_${day.replaceAll('-', '')}`
}

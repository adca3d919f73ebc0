// All SQL for runs and their lines. Ingest is one transaction per batch: the run row is locked first, so
// ingestion sequences of a run are handed out in commit order, then the lines go in through COPY.
import { pipeline } from 'node:stream/promises'
import { Readable } from 'node:stream'
import type pg from 'pg'
import { from as copyFrom } from 'pg-copy-streams'
import type { LogBatch, LogLine, LogRange, RunKey } from '../logs/model.js'
import type { Instant } from '../time.js'
import { NOTIFY_LINES, notificationPayload } from './line-notifications.js'
import type { Partitions } from './partitions.js'
import { newLinesStatement, readStatement } from './read-statements.js'

// Exported so tests can EXPLAIN the read queries.
export { readStatement } from './read-statements.js'

const UPSERT_RUN = `
INSERT INTO runs AS r (resource_group, run_kind, run_id, first_ts, first_ns, last_ts, last_ns, line_count, next_seq)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)
ON CONFLICT (resource_group, run_kind, run_id) DO UPDATE SET
  first_ts = CASE WHEN (EXCLUDED.first_ts, EXCLUDED.first_ns) < (r.first_ts, r.first_ns) THEN EXCLUDED.first_ts ELSE r.first_ts END,
  first_ns = CASE WHEN (EXCLUDED.first_ts, EXCLUDED.first_ns) < (r.first_ts, r.first_ns) THEN EXCLUDED.first_ns ELSE r.first_ns END,
  last_ts = CASE WHEN (EXCLUDED.last_ts, EXCLUDED.last_ns) > (r.last_ts, r.last_ns) THEN EXCLUDED.last_ts ELSE r.last_ts END,
  last_ns = CASE WHEN (EXCLUDED.last_ts, EXCLUDED.last_ns) > (r.last_ts, r.last_ns) THEN EXCLUDED.last_ns ELSE r.last_ns END,
  line_count = r.line_count + EXCLUDED.line_count,
  next_seq = r.next_seq + EXCLUDED.line_count,
  updated_at = now()
RETURNING r.next_seq - $8 AS base_seq`

const COPY_LINES = 'COPY log_lines (resource_group, run_kind, run_id, ts, ts_ns, seq, container, pod, stream, msg) FROM STDIN'

/** A stored line as Postgres returns it: [ts text (UTC), nanoseconds, container, pod, stream, msg, seq]. */
export type StoredRow = [string, number, string, string, string, string, string]

// COPY text format: backslash, newline, carriage return and tab are escaped (NUL is refused earlier).
const COPY_SPECIAL = /[\\\n\r\t]/g
const COPY_ESCAPES: Record<string, string> = { '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t' }
const copyText = (value: string): string => value.replace(COPY_SPECIAL, (c) => COPY_ESCAPES[c] ?? c)

function * copyRows (run: RunKey, lines: LogLine[], baseSeq: bigint): Generator<string> {
  const prefix = `${copyText(run.group)}\t${run.kind}\t${copyText(run.id)}\t`
  let chunk = ''
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i] as LogLine
    chunk += `${prefix}${l.ts}\t${l.nanos}\t${baseSeq + BigInt(i)}\t${copyText(l.container)}\t${copyText(l.pod)}\t${copyText(l.stream)}\t${copyText(l.msg)}\n`
    if (chunk.length >= 65536) { yield chunk; chunk = '' }
  }
  if (chunk !== '') yield chunk
}

const isMissingPartition = (err: unknown): boolean =>
  (err as { code?: string }).code === '23514' && String((err as Error).message).includes('no partition')

export class LogStore {
  constructor (private readonly pool: pg.Pool, private readonly partitions: Partitions) {}

  /** Stores a batch atomically; resolves once it is committed. */
  async ingest (run: RunKey, batch: LogBatch): Promise<number> {
    await this.partitions.ensure(batch.days.keys())
    let stored: number
    try {
      stored = await this.ingestOnce(run, batch)
    } catch (err) {
      if (!isMissingPartition(err)) throw err
      this.partitions.forget() // another replica's retention dropped one we knew of
      await this.partitions.ensure(batch.days.keys())
      stored = await this.ingestOnce(run, batch)
    }
    this.partitions.noteWritten(batch.days)
    return stored
  }

  private async ingestOnce (run: RunKey, batch: LogBatch): Promise<number> {
    const client = await this.pool.connect()
    try {
      await client.query('BEGIN')
      const { rows } = await client.query<{ base_seq: string }>({
        name: 'upsert-run',
        text: UPSERT_RUN,
        values: [run.group, run.kind, run.id, batch.first.ts, batch.first.nanos, batch.last.ts, batch.last.nanos, batch.lines.length]
      })
      const baseSeq = BigInt(rows[0]?.base_seq ?? '0')
      await pipeline(Readable.from(copyRows(run, batch.lines, baseSeq)), client.query(copyFrom(COPY_LINES)))
      await client.query({ name: 'notify-lines', text: NOTIFY_LINES, values: [notificationPayload(run, baseSeq, batch.lines.length, batch.first.instant)] })
      await client.query('COMMIT')
      return batch.lines.length
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined)
      throw err
    } finally {
      client.release()
    }
  }

  /**
   * The next `limit` lines of a range in its order (after range.after when given; only seq < beforeSeq when
   * given). The route asks for one more line than it sends, to know whether more remain.
   */
  async read (range: LogRange, limit: number = range.top, beforeSeq?: bigint): Promise<StoredRow[]> {
    const result = await this.pool.query<StoredRow>({ ...readStatement(range, limit, beforeSeq), rowMode: 'array' })
    return result.rows
  }

  /** Lines of a range with fromSeq <= seq < toSeq in seq order, none earlier than `since` when given. */
  async newLines (range: LogRange, fromSeq: bigint, toSeq: bigint, limit: number, since?: Instant): Promise<StoredRow[]> {
    const result = await this.pool.query<StoredRow>({ ...newLinesStatement(range, fromSeq, toSeq, limit, since), rowMode: 'array' })
    return result.rows
  }

  /** The run's next ingestion sequence number: every line with a smaller seq is committed. Undefined: no such run. */
  async nextSeq (run: RunKey): Promise<bigint | undefined> {
    const { rows } = await this.pool.query<{ next_seq: string }>({
      name: 'run-next-seq',
      text: 'SELECT next_seq FROM runs WHERE resource_group = $1 AND run_kind = $2 AND run_id = $3',
      values: [run.group, run.kind, run.id]
    })
    return rows[0] === undefined ? undefined : BigInt(rows[0].next_seq)
  }

  async runExists (run: RunKey): Promise<boolean> {
    const { rowCount } = await this.pool.query({
      name: 'run-exists',
      text: 'SELECT 1 FROM runs WHERE resource_group = $1 AND run_kind = $2 AND run_id = $3',
      values: [run.group, run.kind, run.id]
    })
    return rowCount === 1
  }

  async ping (): Promise<void> {
    await this.pool.query('SELECT 1')
  }
}

// All SQL for runs and their lines. Ingest is one transaction per batch, which may span many runs: the
// idempotency key is claimed first, then the run rows are locked in one fixed order (so concurrent batches
// cannot deadlock) and ingestion sequences of a run are handed out in commit order; the lines go in
// in compressed blocks (block-build.ts, built and compressed before the transaction, seqs relative to the
// batch, or handed in built by a worker thread: run-blocks.ts) through one INSERT, and one NOTIFY per run tells tails (line-notifications.ts) at commit.
import type pg from 'pg'
import type { LogRange, RunKey } from '../model.js'
import type { Instant } from '../time.js'
import { BLOCK_LINES, blockSpan, BlockRows, type BuiltBlock } from './block-build.js'
import { dayText, positionInstant, sqlPosition } from './block-position.js'
import { BlockReader, type LineCounts } from './block-read.js'
import type { ReadsInFlight } from './reads-in-flight.js'
import { INSERT_BLOCKS } from './block-statements.js'
import { claimIdempotencyKey, claimOf, type EarlierAnswer, type IdempotencyClaim, type IngestAsk, type StoredAnswer } from './idempotency.js'
import { NOTIFY_LINES, notificationPayload } from './line-notifications.js'
import type { Partitions } from './partitions.js'
import { readNewLines } from './new-lines.js'
import { mergeShipperLabels } from './run-labels.js'
import { isBuilt, runBlocksOf, type RunBlocks, type RunLines } from './run-blocks.js'
import type { StoredLine } from './stored-line.js'
import { inTransaction } from './transaction.js'

export type { LineCounts } from './block-read.js'
export type { RunBlocks, RunLines } from './run-blocks.js'

// updated_at takes EXCLUDED's, the column default (now(), computed with the inserted row): Citus refuses any
// function that is not IMMUTABLE in DO UPDATE SET on a distributed table (docs/scaling.md).
const UPSERT_RUN = `
INSERT INTO runs AS r (resource_group, run_kind, run_id, first_ts, first_ns, last_ts, last_ns, line_count, next_seq, block_span, unmerged_blocks)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8, $9::interval, $10)
ON CONFLICT (resource_group, run_kind, run_id) DO UPDATE SET
  first_ts = CASE WHEN (EXCLUDED.first_ts, EXCLUDED.first_ns) < (r.first_ts, r.first_ns) THEN EXCLUDED.first_ts ELSE r.first_ts END,
  first_ns = CASE WHEN (EXCLUDED.first_ts, EXCLUDED.first_ns) < (r.first_ts, r.first_ns) THEN EXCLUDED.first_ns ELSE r.first_ns END,
  last_ts = CASE WHEN (EXCLUDED.last_ts, EXCLUDED.last_ns) > (r.last_ts, r.last_ns) THEN EXCLUDED.last_ts ELSE r.last_ts END,
  last_ns = CASE WHEN (EXCLUDED.last_ts, EXCLUDED.last_ns) > (r.last_ts, r.last_ns) THEN EXCLUDED.last_ns ELSE r.last_ns END,
  line_count = r.line_count + EXCLUDED.line_count,
  next_seq = r.next_seq + EXCLUDED.line_count,
  block_span = GREATEST(r.block_span, EXCLUDED.block_span),
  -- For the merger (block-merge.ts): a batch reaching back before the run's last line overlaps its blocks.
  unmerged_blocks = r.unmerged_blocks + CASE WHEN (EXCLUDED.first_ts, EXCLUDED.first_ns) < (r.last_ts, r.last_ns) THEN $11 ELSE EXCLUDED.unmerged_blocks END,
  updated_at = EXCLUDED.updated_at
RETURNING r.next_seq - $8 AS base_seq`

// The blocks a batch adds to the run's unmerged count: its part-filled ones; all when it overlaps the run's lines.
const unmergedCounts = (blocks: BuiltBlock[]): [number, number] => [blocks.filter((b) => b.count < BLOCK_LINES).length, blocks.length]

const compareRuns = (a: RunBlocks, b: RunBlocks): number => {
  const x = a.run
  const y = b.run
  if (x.group !== y.group) return x.group < y.group ? -1 : 1
  if (x.kind !== y.kind) return x.kind < y.kind ? -1 : 1
  return x.id < y.id ? -1 : x.id > y.id ? 1 : 0
}

const isMissingPartition = (err: unknown): boolean =>
  (err as { code?: string }).code === '23514' && String((err as Error).message).includes('no partition')

/**
 * Writes go to `pool` (the primary). Reads (`read`, in block-read.ts, `newLines`, `nextSeq`, `runExists`) go
 * to `readPool`, a streaming replica when DATABASE_READ_URL is set (docs/scaling.md), else the primary;
 * `primary` is the same store reading from the primary, for readers that must see every committed line (tails).
 */
export class LogStore extends BlockReader {
  private primaryView: LogStore | undefined

  constructor (pool: pg.Pool, private readonly partitions: Partitions, readPool: pg.Pool = pool, lineCounts?: LineCounts, reads?: ReadsInFlight) {
    super(pool, readPool, lineCounts, reads)
  }

  /**
   * This store with its reads on the primary. A tail's watermark (nextSeq) and the lines below it must come
   * from one server that has committed them all: a lagging replica would let lines below the watermark
   * go unsent forever.
   */
  get primary (): LogStore {
    if (this.readPool === this.pool) return this
    this.primaryView ??= new LogStore(this.pool, this.partitions, this.pool, this.lineCounts, this.reads)
    return this.primaryView
  }

  /**
   * Stores the runs' lines once per idempotency key: without a key, always; with one, unless the key is
   * held (then the earlier answer is given back, or a conflict when the key was used for another request).
   */
  async ingest (runs: Array<RunLines | RunBlocks>, ask: IngestAsk): Promise<StoredAnswer> {
    const response = JSON.stringify(ask.answer)
    const claim = claimOf(ask, response)
    if (claim === undefined && runs.length === 0) return { status: 200, body: response, replayed: false }
    const earlier = await this.ingestRuns(runs, claim)
    if (earlier === null) return { status: 200, body: response, replayed: false }
    if (!earlier.sameRequest) return { status: 409, body: '', replayed: false, conflict: true }
    return { status: earlier.status, body: earlier.response, replayed: true }
  }

  /**
   * Stores the lines of many runs (one entry per run) in one transaction. With a claim, the key is recorded
   * with the answer in the same transaction; if the key is already held, nothing is stored and the earlier
   * answer is returned (the caller compares requests). Resolves to null once the lines are committed.
   * Lines not yet in blocks are built into blocks here, before the transaction.
   */
  async ingestRuns (runs: Array<RunLines | RunBlocks>, claim?: IdempotencyClaim): Promise<EarlierAnswer | null> {
    const built = await Promise.all(runs.map(async (r) => (isBuilt(r) ? r : await runBlocksOf(r))))
    const sorted = built.sort(compareRuns)
    const days = new Map<string, number>()
    for (const run of sorted) {
      for (const [day, n] of run.days) {
        const text = dayText(day)
        days.set(text, (days.get(text) ?? 0) + n)
      }
    }
    await this.partitions.ensure(days.keys())
    let earlier: EarlierAnswer | null
    try {
      earlier = await this.ingestOnce(sorted, claim)
    } catch (err) {
      if (!isMissingPartition(err)) throw err
      this.partitions.forget() // another replica's retention dropped one we knew of
      await this.partitions.ensure(days.keys())
      earlier = await this.ingestOnce(sorted, claim)
    }
    if (earlier === null) {
      this.partitions.noteWritten(days)
      for (const { run, count } of sorted) this.lineCounts.ingested[run.kind] += count
    }
    return earlier
  }

  /** `runs` sorted by run key: every transaction locks run rows in that order. */
  private async ingestOnce (runs: RunBlocks[], claim?: IdempotencyClaim): Promise<EarlierAnswer | null> {
    return await inTransaction(this.pool, async (client) => {
      if (claim !== undefined) {
        const earlier = await claimIdempotencyKey(client, claim)
        if (earlier !== null) return earlier
      }
      const baseSeqs: bigint[] = []
      const rows = new BlockRows()
      for (const { run, first, last, count, blocks } of runs) {
        const [firstTs, firstNs] = sqlPosition(first)
        const [lastTs, lastNs] = sqlPosition(last)
        const { rows: upserted } = await client.query<{ base_seq: string }>({
          name: 'upsert-run',
          text: UPSERT_RUN,
          values: [run.group, run.kind, run.id, firstTs, firstNs, lastTs, lastNs, count, blockSpan(blocks), ...unmergedCounts(blocks)]
        })
        const base = BigInt(upserted[0]?.base_seq ?? '0')
        baseSeqs.push(base)
        for (const b of blocks) rows.add(run, Number(base), b)
      }
      await mergeShipperLabels(client, runs)
      if (rows.size > 0) await client.query({ name: 'insert-blocks', text: INSERT_BLOCKS, values: rows.columns })
      // One notification per run, delivered at commit: tails of these runs on every replica read the new lines.
      const notifications = runs.map(({ run, count, first }, i) => notificationPayload(run, baseSeqs[i] as bigint, count, positionInstant(first)))
      if (notifications.length > 0) await client.query({ name: 'notify-lines', text: NOTIFY_LINES, values: [notifications] })
      return null
    })
  }

  /** Forgets idempotency keys made at or before `before` (a timestamptz literal): their TTL has passed. */
  async expireIdempotencyKeys (before: string): Promise<number> {
    const { rowCount } = await this.pool.query('DELETE FROM idempotency_keys WHERE created_at <= $1', [before])
    return rowCount ?? 0
  }

  /** Lines of a range with fromSeq <= seq < toSeq in seq order, none earlier than `since` when given. */
  async newLines (range: LogRange, fromSeq: bigint, toSeq: bigint, limit: number, since?: Instant): Promise<StoredLine[]> {
    const lines = await this.reads.track(async () => await readNewLines(this.readPool, range, fromSeq, toSeq, limit, since))
    this.lineCounts.served[range.run.kind] += lines.length
    return lines
  }

  /** The run's next ingestion sequence number: every line with a smaller seq is committed. Undefined: no such run. */
  async nextSeq (run: RunKey): Promise<bigint | undefined> {
    const { rows } = await this.readPool.query<{ next_seq: string }>({
      name: 'run-next-seq',
      text: 'SELECT next_seq FROM runs WHERE resource_group = $1 AND run_kind = $2 AND run_id = $3',
      values: [run.group, run.kind, run.id]
    })
    return rows[0] === undefined ? undefined : BigInt(rows[0].next_seq)
  }

  /**
   * Whether the run was ever written in its group. A replica that has not replayed the run's first batch
   * yet says no: the primary then decides, so a lagging replica never turns a known run into a 404.
   */
  async runExists (run: RunKey): Promise<boolean> {
    const statement = {
      name: 'run-exists',
      text: 'SELECT 1 FROM runs WHERE resource_group = $1 AND run_kind = $2 AND run_id = $3',
      values: [run.group, run.kind, run.id]
    }
    if ((await this.readPool.query(statement)).rowCount === 1) return true
    return this.readPool !== this.pool && (await this.pool.query(statement)).rowCount === 1
  }

  /** Both servers answer (the primary, and the replica when reads go to one). */
  async ping (): Promise<void> {
    await Promise.all([this.pool, ...(this.readPool === this.pool ? [] : [this.readPool])].map(async (p) => await p.query('SELECT 1')))
  }
}

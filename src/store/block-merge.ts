// Background merging of a run's small or overlapping blocks into full, non-overlapping ones, as an LSM does
// (docs/performance.md "Merging"). Ingest counts the blocks it writes on the run's row (runs.unmerged_blocks);
// a round takes the runs whose count is due, and for each, under an advisory lock on the run (one merger per
// run across replicas), plans merges from the block rows and runs each as one transaction: the old blocks'
// lines are decoded and rebuilt with block-build.ts (positions and bytes unchanged), the old rows deleted and
// the new ones inserted. A crash at any point loses or repeats nothing: an unfinished merge rolls back, and
// the run's count is lowered only after its merges, so it is examined again.
// Small blocks are compressed with the store's dictionary (payload version 3, block-dictionary.ts): a round
// trains one first when there is none (from the last block of the runs written most recently), merges write
// with it, and a lone small block written without it (by ingest, which keeps zstd for its speed, or before
// the dictionary existed) is rewritten alone with it, so a store converges. A dictionary is stored (its own
// transaction) before any block names it, and never deleted.
import { randomInt } from 'node:crypto'
import type pg from 'pg'
import type { RunKey, RunKind } from '../model.js'
import { setImmediate as yieldToRequests } from 'node:timers/promises'
import { BLOCK_LINES, BlockRows, blockSpan, buildBlocks, DICT_MAX_LINES, type BuiltBlock } from './block-build.js'
import { DICT_VERSION, type BlockLine } from './block-codec.js'
import { MIN_TRAINING_LINES, newestDictionary, saveDictionary, trainDictionary, trainingSample, type Dictionary } from './block-dictionary.js'
import { decodePayload } from './block-open.js'
import { planMerges, type BlockInfo, type MergeGroup, type PlanSettings } from './block-merge-plan.js'
import { dayText, sqlPosition, storedPosition } from './block-position.js'

export interface MergeSettings extends PlanSettings {
  /** zstd level of merged blocks (ingest uses 3). */
  zstdLevel: number
  /** A run is due once ingest wrote this many blocks since it was last examined... */
  minNewBlocks: number
  /** ...or, with fewer, once it had no write for this long. */
  quietSeconds: number
  /** Runs examined per round at most. */
  runsPerRound: number
}

/** Runs whose last block a dictionary is trained from, at most. */
const TRAINING_RUNS = 256
const TRAINING_RETRY_MS = 10 * 60_000
const untrainedUntil = new WeakMap<pg.Pool, number>()
const RECENT_RUNS = 'SELECT resource_group, run_kind, run_id FROM runs ORDER BY updated_at DESC LIMIT $1'
const LAST_BLOCK = `SELECT min_seq, payload FROM log_blocks WHERE resource_group = $1 AND run_kind = $2 AND run_id = $3
  ORDER BY last_ts DESC, last_ns DESC, last_seq DESC LIMIT 1`

/**
 * The newest dictionary; when the store has none, one trained from the last block of the runs written most
 * recently (undefined while they hold fewer than MIN_TRAINING_LINES lines).
 */
export async function storeDictionary (pool: pg.Pool): Promise<Dictionary | undefined> {
  const newest = await newestDictionary(pool)
  if (newest !== undefined) return newest
  // A store too small to train from is sampled again only after TRAINING_RETRY_MS.
  if ((untrainedUntil.get(pool) ?? 0) > Date.now()) return undefined
  untrainedUntil.set(pool, Date.now() + TRAINING_RETRY_MS)
  const { rows: runs } = await pool.query<{ resource_group: string, run_kind: RunKind, run_id: string }>(RECENT_RUNS, [TRAINING_RUNS])
  const lines: Array<Array<{ msg: string, pod: string, container: string, stream: string }>> = []
  for (const r of runs) {
    const { rows } = await pool.query<{ min_seq: string, payload: Buffer }>(LAST_BLOCK, [r.resource_group, r.run_kind, r.run_id])
    if (rows[0] === undefined) continue
    const block = await decodePayload(rows[0].payload, Number(rows[0].min_seq))
    lines.push(Array.from({ length: block.n }, (_, i) => {
      const [pod, container, stream] = block.labelsOf(i)
      return { msg: block.msg(i), pod, container, stream }
    }))
    await yieldToRequests()
  }
  const sample = trainingSample(lines)
  if (sample.length < MIN_TRAINING_LINES) return undefined
  const dictionary = await saveDictionary(pool, trainDictionary(sample))
  // The first dictionary: every run is examined once more, so blocks written before it are rewritten with it.
  await pool.query('UPDATE runs SET unmerged_blocks = 1 WHERE unmerged_blocks = 0')
  return dictionary
}

export interface MergeRound {
  /** Runs examined. */
  runs: number
  /** Runs another merger held (left to it). */
  busy: number
  /** Runs whose merge failed (rolled back; examined again next round). */
  failed: number
  merges: number
  blocksIn: number
  blocksOut: number
  lines: number
}

// The advisory lock's class (first key): "mrge". The second key is a hash of the run key; a collision only
// makes two runs take turns.
const LOCK_CLASS = 0x6d726765

const DUE_RUNS = `SELECT resource_group, run_kind, run_id, unmerged_blocks FROM runs
  WHERE unmerged_blocks > 0 AND (unmerged_blocks >= $1 OR updated_at < now() - make_interval(secs => $2))
  ORDER BY updated_at LIMIT $3`

const RUN_KEY = 'resource_group = $1 AND run_kind = $2 AND run_id = $3'

// A merge's blocks, named by their first line within their day's partition.
const GROUP_BLOCKS = `${RUN_KEY} AND first_ts >= $4::timestamptz AND first_ts < $5::timestamptz
  AND (first_ts, first_ns, first_seq) IN (SELECT * FROM unnest($6::timestamptz[], $7::smallint[], $8::bigint[]))`

const INSERT_MERGED = `INSERT INTO log_blocks (resource_group, run_kind, run_id, first_ts, first_ns, first_seq,
  last_ts, last_ns, last_seq, min_seq, max_seq, line_count, filter, payload, merge_id)
SELECT *, $15::bigint FROM unnest($1::text[], $2::run_kind[], $3::text[], $4::timestamptz[], $5::smallint[], $6::bigint[],
  $7::timestamptz[], $8::smallint[], $9::bigint[], $10::bigint[], $11::bigint[], $12::int[], $13::bytea[], $14::bytea[])`

/** The advisory lock a merger holds on a run: (class, run key text), the text hashed in SQL. */
export const mergeLockKey = (run: RunKey): [number, string] => [LOCK_CLASS, JSON.stringify([run.group, run.kind, run.id])]

/** One merge round: examines up to runsPerRound due runs, oldest write first, until `stopping` says so. */
export async function mergeRound (pool: pg.Pool, settings: MergeSettings, onRunError: (run: RunKey, err: unknown) => void, stopping = (): boolean => false): Promise<MergeRound> {
  const round: MergeRound = { runs: 0, busy: 0, failed: 0, merges: 0, blocksIn: 0, blocksOut: 0, lines: 0 }
  const { rows } = await pool.query<{ resource_group: string, run_kind: RunKind, run_id: string, unmerged_blocks: number }>(
    DUE_RUNS, [settings.minNewBlocks, settings.quietSeconds, settings.runsPerRound])
  if (rows.length === 0) return round
  const dictionary = await storeDictionary(pool)
  for (const r of rows) {
    if (stopping()) break
    const run = { group: r.resource_group, kind: r.run_kind, id: r.run_id }
    const done = await mergeRun(pool, run, r.unmerged_blocks, settings, dictionary).catch((err: unknown) => { onRunError(run, err); return null })
    if (done === null) { round.failed++; continue }
    if (done === undefined) { round.busy++; continue }
    round.runs++
    round.merges += done.merges
    round.blocksIn += done.blocksIn
    round.blocksOut += done.blocksOut
    round.lines += done.lines
  }
  return round
}

/**
 * Merges what is worth merging in one run, then lowers its count by `seen` (the count when it was found due;
 * blocks written since keep it due). Undefined when another merger holds the run.
 */
export async function mergeRun (pool: pg.Pool, run: RunKey, seen: number, settings: MergeSettings, dictionary?: Dictionary): Promise<Omit<MergeRound, 'runs' | 'busy' | 'failed'> | undefined> {
  const client = await pool.connect()
  let broken: Error | undefined
  try {
    const [cls, key] = mergeLockKey(run)
    const { rows: locked } = await client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1, hashtext($2)) AS ok', [cls, key])
    if (locked[0]?.ok !== true) return undefined
    try {
      const done = { merges: 0, blocksIn: 0, blocksOut: 0, lines: 0 }
      const blocks = await runBlocks(client, run)
      const merges = planMerges(blocks, settings)
      if (dictionary !== undefined) merges.push(...recompressions(blocks, merges))
      for (const group of merges) {
        const out = await mergeGroup(client, run, group, settings.zstdLevel, dictionary)
        if (out === undefined) continue
        done.merges++
        done.blocksIn += group.blocks.length
        done.blocksOut += out
        done.lines += group.lines
      }
      await client.query(`UPDATE runs SET unmerged_blocks = GREATEST(unmerged_blocks - $4, 0) WHERE ${RUN_KEY}`, [run.group, run.kind, run.id, seen])
      return done
    } finally {
      await client.query('SELECT pg_advisory_unlock($1, hashtext($2))', [cls, key])
    }
  } catch (err) {
    broken = err as Error
    throw err
  } finally {
    // A connection that failed mid-merge is closed, not reused (its session may still hold the lock).
    client.release(broken)
  }
}

/** A block as the planner sees it, and its payload version when it is small enough for a dictionary. */
type RunBlock = BlockInfo & { version: number | null }

/** The run's blocks as the planner sees them (of the payloads, only a small block's first byte is read). */
async function runBlocks (client: pg.PoolClient, run: RunKey): Promise<RunBlock[]> {
  const { rows } = await client.query<[string, number, string, string, number, string, number, number | null]>({
    text: `SELECT first_ts, first_ns, first_seq, last_ts, last_ns, last_seq, line_count,
      CASE WHEN line_count <= $4 THEN get_byte(substring(payload from 1 for 1), 0) END FROM log_blocks WHERE ${RUN_KEY}`,
    values: [run.group, run.kind, run.id, DICT_MAX_LINES],
    rowMode: 'array'
  })
  return rows.map((r) => ({
    first: storedPosition({ ts: r[0], nanos: r[1], seq: r[2] }),
    last: storedPosition({ ts: r[3], nanos: r[4], seq: r[5] }),
    count: r[6],
    version: r[7]
  }))
}

/** Small blocks written without a dictionary that no merge takes: each rewritten alone with one. */
function recompressions (blocks: RunBlock[], merges: MergeGroup[]): MergeGroup[] {
  const merged = new Set(merges.flatMap((m) => m.blocks))
  return blocks.filter((b) => b.version !== null && b.version !== DICT_VERSION && !merged.has(b))
    .map((b) => ({ blocks: [b], lines: b.count, overlapping: false, recompress: true }))
}

/**
 * Replaces a group's blocks by blocks built from their lines, in one transaction. Undefined when nothing
 * was written: the blocks changed since planning (retention deleted some), or merging them would not save
 * a block and they do not overlap.
 */
async function mergeGroup (client: pg.PoolClient, run: RunKey, group: MergeGroup, zstdLevel: number, dictionary: Dictionary | undefined): Promise<number | undefined> {
  const day = (group.blocks[0] as BlockInfo).first.day
  const firsts = group.blocks.map((b) => sqlPosition(b.first))
  const values = [run.group, run.kind, run.id, `${dayText(day)} 00:00:00+00`, `${dayText(day + 1)} 00:00:00+00`,
    firsts.map((f) => f[0]), firsts.map((f) => f[1]), firsts.map((f) => String(f[2]))]
  await client.query('BEGIN')
  try {
    const { rows } = await client.query<[string, Buffer]>({ text: `SELECT min_seq, payload FROM log_blocks WHERE ${GROUP_BLOCKS}`, values, rowMode: 'array' })
    if (rows.length !== group.blocks.length) { await client.query('ROLLBACK'); return undefined }
    const lines: BlockLine[] = []
    for (const [minSeq, payload] of rows) {
      const block = await decodePayload(payload, Number(minSeq))
      for (let i = 0; i < block.n; i++) {
        const [pod, container, stream] = block.labelsOf(i)
        lines.push({ day: block.day, t: block.t[i] as number, seq: block.seq[i] as number, pod, container, stream, msg: block.msg(i) })
      }
      await yieldToRequests()
    }
    lines.sort((a, b) => a.t - b.t || a.seq - b.seq)
    // A block's worth at a time, so the service answers requests between them.
    const built: BuiltBlock[] = []
    for (let i = 0; i < lines.length; i += BLOCK_LINES) {
      built.push(...await buildBlocks(lines.slice(i, i + BLOCK_LINES), zstdLevel, dictionary))
      await yieldToRequests()
    }
    if (!group.overlapping && group.recompress !== true && built.length >= group.blocks.length) { await client.query('ROLLBACK'); return undefined }
    const deleted = await client.query({ text: `DELETE FROM log_blocks WHERE ${GROUP_BLOCKS}`, values })
    if (deleted.rowCount !== group.blocks.length) throw new Error(`merge of ${group.blocks.length} blocks deleted ${deleted.rowCount ?? 0}`)
    const rowsOut = new BlockRows()
    for (const b of built) rowsOut.add(run, 0, b)
    await client.query({ text: INSERT_MERGED, values: [...rowsOut.columns, String(randomInt(1, 2 ** 47))] })
    // A merged block may span longer than any block before it: reads bound their index walk by this span.
    await client.query(`UPDATE runs SET block_span = GREATEST(block_span, $4::interval) WHERE ${RUN_KEY}`, [run.group, run.kind, run.id, blockSpan(built)])
    await client.query('COMMIT')
    return built.length
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined)
    throw err
  }
}

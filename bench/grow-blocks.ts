// The block store grown to any size with bounded memory (the read target at 100 M lines): a store is made of
// slices of its runs over the same 8 days, and slice 0 is the scale benchmark's data set of that size itself,
// so the runs it reads are the same runs, with the same lines, in a store of one slice and in one of a
// hundred. The first slices are data sets of their own (dataset.ts: own seed and run ids): their lines are
// generated, cut into blocks by the service's code (block-build.ts) a day at a time and inserted with
// ingest's INSERT, then their runs' rows. Generating and compressing run at about 50,000 lines a second
// of one core, so the further slices are copies of those, block for block under new run ids, made by the
// database (the same bytes, rows and index entries a line as a generated slice). One transaction per slice,
// which the store records, so a load stopped midway resumes. Memory holds about two days of one slice.
import pg from 'pg'
import { from as copyFrom } from 'pg-copy-streams'
import { BlockRows, buildBlocks } from '../src/store/block-build.js'
import type { BlockLine } from '../src/store/block-codec.js'
import { INSERT_BLOCKS } from '../src/store/block-statements.js'
import type { RunKind } from '../src/model.js'
import { dayOf, defaultSpec, generate, planRuns, type DatasetSpec, type DaySink, type RunPlan } from './dataset.js'
import { addCopyText } from './load-blocks.js'
import { microsLiteral } from './load.js'

/** Slice k of a store cut in slices of `sliceLines`: slice 0 is the scale data set of that size, the others new runs. */
export function sliceSpec (k: number, sliceLines: number): DatasetSpec {
  const spec = defaultSpec(sliceLines)
  return k === 0 ? spec : { ...spec, seed: spec.seed + k, runBase: k * spec.runs }
}

/** A slice's days into blocks: each run's lines of a day, held until the day is complete, then built and inserted. */
class SliceSink implements DaySink {
  private readonly days = new Map<number, Map<string, BlockLine[]>>()
  /** Per run, the longest first-to-last time of its blocks in nanoseconds (runs.block_span). */
  readonly spans = new Map<string, number>()
  private inserts: Promise<void> = Promise.resolve()
  blocks = 0

  constructor (private readonly client: pg.Client, private readonly spec: DatasetSpec) {}

  write (day: number, text: string): void {
    let runs = this.days.get(day)
    if (runs === undefined) this.days.set(day, runs = new Map())
    addCopyText(runs, text)
  }

  async complete (day: number): Promise<void> {
    const runs = this.days.get(day) ?? new Map<string, BlockLine[]>()
    this.days.delete(day)
    // One day built while the next is generated: no more is held.
    await this.inserts
    this.inserts = this.insertDay(day, runs)
  }

  private async insertDay (day: number, runs: Map<string, BlockLine[]>): Promise<void> {
    await this.client.query('SELECT log_blocks_ensure_partition($1::date)', [dayOf(this.spec, day)])
    let out = new BlockRows()
    const flush = async (): Promise<void> => {
      if (out.size > 0) await this.client.query({ text: INSERT_BLOCKS, values: out.columns })
      this.blocks += out.size
      out = new BlockRows()
    }
    for (const [key, lines] of runs) {
      const [group, kind, id] = key.split('\t') as [string, RunKind, string]
      for (const b of await buildBlocks(lines)) {
        out.add({ group, kind, id }, 0, b)
        this.spans.set(key, Math.max(this.spans.get(key) ?? 0, b.last.t - b.first.t))
      }
      if (out.size >= 64) await flush()
    }
    await flush()
  }

  async finish (): Promise<void> { await this.inserts }
}

/** Loads one slice in one transaction: its blocks, its runs' rows, and the store's record of it. */
async function loadSlice (client: pg.Client, k: number, spec: DatasetSpec): Promise<{ blocks: number }> {
  const plans = planRuns(spec)
  await client.query('BEGIN')
  try {
    const sink = new SliceSink(client, spec)
    const bounds = await generate(spec, plans, sink)
    await sink.finish()
    const copy = client.query(copyFrom('COPY runs (resource_group, run_kind, run_id, first_ts, first_ns, last_ts, last_ns, line_count, next_seq, block_span) FROM STDIN'))
    const done = new Promise((resolve, reject) => { copy.once('finish', resolve).once('error', reject) })
    copy.end(plans.map((p: RunPlan) => {
      const span = Math.ceil((sink.spans.get(`${p.group}\t${p.kind}\t${p.id}`) ?? 0) / 1000)
      return `${p.group}\t${p.kind}\t${p.id}\t${microsLiteral(bounds.firstMicros[p.index] as number)}\t${bounds.firstNanos[p.index] as number}\t` +
        `${microsLiteral(bounds.lastMicros[p.index] as number)}\t${bounds.lastNanos[p.index] as number}\t${p.lines}\t${p.lines}\t${span} microseconds\n`
    }).join(''))
    await done
    await client.query('INSERT INTO bench_slices (slice, spec) VALUES ($1, $2)', [k, JSON.stringify(spec)])
    await client.query('COMMIT')
    return { blocks: sink.blocks }
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined)
    throw err
  }
}

/**
 * Slice k as a copy of generated slice `source`: its blocks and runs' rows under slice k's run ids (the
 * same kinds and groups run by run, dataset.ts), through the primary key's index.
 */
async function copySlice (client: pg.Client, k: number, spec: DatasetSpec, source: DatasetSpec, recorded: object): Promise<{ blocks: number }> {
  const from = planRuns(source)
  const to = planRuns(spec)
  const map = [from.map((p) => p.group), from.map((p) => p.kind), from.map((p) => p.id), to.map((p) => p.id)]
  const mapped = 'm AS (SELECT * FROM unnest($1::text[], $2::run_kind[], $3::text[], $4::text[]) AS m(resource_group, run_kind, from_id, to_id))'
  const copied = (columns: string): string => columns.split(', ').map((c) => (c === 'run_id' ? 'm.to_id' : `t.${c}`)).join(', ')
  const blockColumns = 'resource_group, run_kind, run_id, first_ts, first_ns, first_seq, last_ts, last_ns, last_seq, min_seq, max_seq, line_count, filter, payload'
  const runColumns = 'resource_group, run_kind, run_id, first_ts, first_ns, last_ts, last_ns, line_count, next_seq, block_span'
  await client.query('BEGIN')
  try {
    const blocks = await client.query(`WITH ${mapped} INSERT INTO log_blocks (${blockColumns})
      SELECT ${copied(blockColumns)} FROM m JOIN log_blocks t ON (t.resource_group, t.run_kind, t.run_id) = (m.resource_group, m.run_kind, m.from_id)`, map)
    await client.query(`WITH ${mapped} INSERT INTO runs (${runColumns})
      SELECT ${copied(runColumns)} FROM m JOIN runs t ON (t.resource_group, t.run_kind, t.run_id) = (m.resource_group, m.run_kind, m.from_id)`, map)
    await client.query('INSERT INTO bench_slices (slice, spec) VALUES ($1, $2)', [k, JSON.stringify(recorded)])
    await client.query('COMMIT')
    return { blocks: blocks.rowCount ?? 0 }
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined)
    throw err
  }
}

export interface GrowReport { lines: number, slices: number, generatedSlices: number, loadedSlices: number, blocks: number, seconds: number }

/**
 * Grows the (migrated) block store at `url` to `lines` lines in slices of `sliceLines`, the first
 * `generated` of them generated and the others copies of those, loading only the slices it does not hold
 * yet; then vacuums and analyzes it, as a store long in service would be.
 */
export async function growBlockStore (url: string, lines: number, sliceLines: number, generated: number, progress: (text: string) => void = () => {}): Promise<GrowReport> {
  if (lines % sliceLines !== 0) throw new Error(`${lines} lines are not a whole number of ${sliceLines}-line slices`)
  const started = performance.now()
  const client = new pg.Client({ connectionString: url, options: '-c TimeZone=UTC -c synchronous_commit=off' })
  await client.connect()
  try {
    await client.query('CREATE TABLE IF NOT EXISTS bench_slices (slice integer PRIMARY KEY, spec jsonb NOT NULL, loaded_at timestamptz NOT NULL DEFAULT now())')
    const held = new Map((await client.query<{ slice: number, spec: DatasetSpec }>('SELECT slice, spec FROM bench_slices')).rows.map((r) => [r.slice, r.spec]))
    const slices = lines / sliceLines
    let loaded = 0
    let blocks = 0
    for (let k = 0; k < slices; k++) {
      const spec = sliceSpec(k, sliceLines)
      const copyOf = k < generated ? undefined : sliceSpec(k % generated, sliceLines)
      const recorded: DatasetSpec & { copyOf?: number } = copyOf === undefined ? spec : { ...spec, copyOf: k % generated }
      const heldSpec = held.get(k) as (DatasetSpec & { copyOf?: number }) | undefined
      if (heldSpec !== undefined) {
        // jsonb keeps keys in its own order: compare them one by one.
        const same = Object.keys({ ...recorded, ...heldSpec }).every((key) => heldSpec[key as keyof typeof heldSpec] === recorded[key as keyof typeof recorded])
        if (!same) throw new Error(`slice ${k} holds ${JSON.stringify(heldSpec)}, not ${JSON.stringify(recorded)}`)
        continue
      }
      blocks += (copyOf === undefined ? await loadSlice(client, k, spec) : await copySlice(client, k, spec, copyOf, recorded)).blocks
      loaded++
      const s = (performance.now() - started) / 1000
      if (loaded % 5 === 0 || k === slices - 1 || k < generated) progress(`${url.split('/').pop() ?? ''}: slice ${k + 1} of ${slices} loaded, ${loaded} this run in ${s.toFixed(0)} s (${(loaded * sliceLines / s).toFixed(0)} lines/s)`)
    }
    if (held.size > slices) throw new Error(`the store holds ${held.size} slices, more than the ${slices} asked for`)
    if (loaded > 0) {
      await client.query('VACUUM (ANALYZE) log_blocks')
      await client.query('VACUUM (ANALYZE) runs')
    }
    return { lines, slices, generatedSlices: Math.min(slices, generated), loadedSlices: loaded, blocks, seconds: (performance.now() - started) / 1000 }
  } finally {
    await client.end()
  }
}

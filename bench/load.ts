// Loads a data set (dataset.ts) into a migrated database the fastest way measured: each day into a table of
// its own made in the same transaction (COPY FREEZE: no hint-bit or freeze rewrite later), the primary key
// built once the day is complete (a sort instead of a hundred million index inserts), then attached as the
// day's partition (its CHECK constraint spares the validating scan) and analyzed.
import pg from 'pg'
import { from as copyFrom } from 'pg-copy-streams'
import { dayOf, dayStartMicros, generate, planRuns, type DatasetSpec, type DaySink, type RunPlan } from './dataset.js'

export interface LoadReport {
  spec: DatasetSpec
  seconds: { generateAndCopy: number, indexAndAttach: number, total: number }
  bytes: { table: number, indexes: number }
}

const COLUMNS = 'resource_group, run_kind, run_id, ts, ts_ns, seq, container, pod, stream, msg'

async function connect (url: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url, options: '-c TimeZone=UTC -c synchronous_commit=off' })
  await client.connect()
  return client
}

/** A timestamptz literal of epoch microseconds. */
export const microsLiteral = (micros: number): string =>
  new Date(Math.floor(micros / 1000)).toISOString().replace('Z', `${String(micros % 1000).padStart(3, '0')}Z`)

/** One day's table: open COPY, then the primary key, ATTACH and ANALYZE. */
class DayLoad {
  private client: pg.Client | undefined
  private copy: ReturnType<typeof copyFrom> | undefined
  private done: Promise<void> | undefined
  constructor (private readonly url: string, private readonly spec: DatasetSpec, private readonly day: number) {}

  get table (): string { return `log_lines_${dayOf(this.spec, this.day).replaceAll('-', '')}` }

  async write (text: string): Promise<void> {
    if (this.copy === undefined) {
      this.client = await connect(this.url)
      const from = dayOf(this.spec, this.day)
      const to = dayOf(this.spec, this.day + 1)
      await this.client.query('BEGIN')
      await this.client.query(`CREATE TABLE ${this.table} (LIKE log_lines INCLUDING DEFAULTS INCLUDING CONSTRAINTS,
        CONSTRAINT ${this.table}_day CHECK (ts >= '${from} 00:00:00+00' AND ts < '${to} 00:00:00+00'))`)
      this.copy = this.client.query(copyFrom(`COPY ${this.table} (${COLUMNS}) FROM STDIN WITH (FREEZE)`))
      this.done = new Promise((resolve, reject) => { this.copy?.once('finish', resolve).once('error', reject) })
    }
    if (!this.copy.write(text)) await new Promise((resolve) => this.copy?.once('drain', resolve))
  }

  /** Ends the COPY and commits; the day's table exists but is not yet a partition. */
  async complete (): Promise<void> {
    if (this.copy === undefined) await this.write('') // a day with no line still gets its (empty) partition
    this.copy?.end()
    await this.done
    await this.client?.query('COMMIT')
  }

  async indexAndAttach (): Promise<void> {
    const client = this.client as pg.Client
    await client.query("SET maintenance_work_mem = '1GB'")
    await client.query(`ALTER TABLE ${this.table} ADD PRIMARY KEY (resource_group, run_kind, run_id, ts, ts_ns, seq)`)
    const from = dayOf(this.spec, this.day)
    const to = dayOf(this.spec, this.day + 1)
    await client.query(`ALTER TABLE log_lines ATTACH PARTITION ${this.table} FOR VALUES FROM ('${from} 00:00:00+00') TO ('${to} 00:00:00+00')`)
    await client.query(`ANALYZE ${this.table}`)
    await client.end()
  }
}

/** Loads `spec` into the database at `url` (migrated, no partition of these days yet). */
export async function loadDataset (url: string, spec: DatasetSpec, progress: (text: string) => void = () => {}, tee?: DaySink): Promise<LoadReport> {
  const started = performance.now()
  const plans = planRuns(spec)
  const days = Array.from({ length: spec.days }, (_, d) => new DayLoad(url, spec, d))
  // Builds run one at a time while lines are still generated (node and the COPY take both cores already).
  let builds: Promise<void> = Promise.resolve()
  let written = 0
  let lastReport = performance.now()
  const bounds = await generate(spec, plans, {
    write: async (day, text) => {
      await tee?.write(day, text)
      await (days[day] as DayLoad).write(text)
      written += text.length
      if (performance.now() - lastReport > 10_000) {
        lastReport = performance.now()
        progress(`loading: ${(written / 1e9).toFixed(2)} GB of COPY text in ${((lastReport - started) / 1000).toFixed(0)} s, day ${day + 1} of ${spec.days}`)
      }
    },
    complete: async (day) => {
      await tee?.complete(day)
      const load = days[day] as DayLoad
      await load.complete()
      builds = builds.then(async () => { await load.indexAndAttach() })
      progress(`loading: day ${day + 1} of ${spec.days} copied (${((performance.now() - started) / 1000).toFixed(0)} s)`)
    }
  })
  const copied = performance.now()
  await builds
  const indexed = performance.now()

  const client = await connect(url)
  try {
    await client.query('BEGIN')
    const copy = client.query(copyFrom('COPY runs (resource_group, run_kind, run_id, first_ts, first_ns, last_ts, last_ns, line_count, next_seq) FROM STDIN'))
    const done = new Promise((resolve, reject) => { copy.once('finish', resolve).once('error', reject) })
    copy.end(plans.map((p: RunPlan) => `${p.group}\t${p.kind}\t${p.id}\t${microsLiteral(bounds.firstMicros[p.index] as number)}\t${bounds.firstNanos[p.index] as number}\t` +
      `${microsLiteral(bounds.lastMicros[p.index] as number)}\t${bounds.lastNanos[p.index] as number}\t${p.lines}\t${p.lines}\n`).join(''))
    await done
    await client.query('COMMIT')
    await client.query('ANALYZE runs')
    await client.query('ANALYZE log_lines') // the parent's own statistics (partitioned parents are never auto-analyzed)
    await client.query('CREATE TABLE IF NOT EXISTS bench_dataset (spec jsonb NOT NULL, report jsonb NOT NULL, loaded_at timestamptz NOT NULL DEFAULT now())')
    const { rows } = await client.query<{ table: string, indexes: string }>(`SELECT sum(pg_table_size(c.oid))::text AS table, sum(pg_indexes_size(c.oid))::text AS indexes
      FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'log_lines'::regclass`)
    const done2 = performance.now()
    const report: LoadReport = {
      spec,
      seconds: { generateAndCopy: (copied - started) / 1000, indexAndAttach: (indexed - copied) / 1000, total: (done2 - started) / 1000 },
      bytes: { table: Number(rows[0]?.table ?? 0), indexes: Number(rows[0]?.indexes ?? 0) }
    }
    await client.query('INSERT INTO bench_dataset (spec, report) VALUES ($1, $2)', [JSON.stringify(spec), JSON.stringify(report)])
    return report
  } finally {
    await client.end()
  }
}

/** The data set a database holds, if a load finished there. */
export async function loadedDataset (url: string): Promise<LoadReport | undefined> {
  const client = await connect(url)
  try {
    const exists = await client.query("SELECT to_regclass('bench_dataset') IS NOT NULL AS present")
    if (exists.rows[0]?.present !== true) return undefined
    const { rows } = await client.query<{ report: LoadReport }>('SELECT report FROM bench_dataset ORDER BY loaded_at DESC LIMIT 1')
    return rows[0]?.report
  } finally {
    await client.end()
  }
}

export { dayStartMicros }

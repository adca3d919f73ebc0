// Fills the block store straight through pg, for benchmarks that measure reads or exports rather than
// ingest: each batch of a run's lines is checked into lines as ingest makes them (ingest-body.ts), cut into
// blocks and compressed (block-build.ts) and inserted with ingest's INSERT; the runs' rows (first, last,
// counts, block span) are written at the end, and the tables analyzed.
import type pg from 'pg'
import { storedLine } from '../src/ingest/line-checks.js'
import { summarize } from '../src/ingest/run-mapper.js'
import type { LogLine, RunKey } from '../src/model.js'
import { blockSpan, BlockRows, buildBlocks } from '../src/store/block-build.js'
import { compare, dayText, sqlPosition } from '../src/store/block-position.js'
import { INSERT_BLOCKS } from '../src/store/block-statements.js'

export interface FillLine { instant: bigint, msg: string, pod: string, container: string, stream: string }

interface RunState { run: RunKey, count: number, first: LogLine, last: LogLine, span: string, spanMicros: number }

export class BlockFiller {
  private readonly days = new Set<string>()
  private readonly runs = new Map<string, RunState>()

  constructor (private readonly client: pg.Client) {}

  /** The run's next lines (their seqs follow the run's earlier ones). */
  async add (run: RunKey, lines: FillLine[]): Promise<void> {
    if (lines.length === 0) return
    const batch = summarize(lines.map((l) => storedLine(l.instant, l.msg, l.container, l.pod, l.stream)))
    for (const day of [...batch.days.keys()].map(dayText)) {
      if (this.days.has(day)) continue
      await this.client.query('SELECT log_blocks_ensure_partition($1::date)', [day])
      this.days.add(day)
    }
    const key = `${run.group}\t${run.kind}\t${run.id}`
    const state = this.runs.get(key) ?? { run, count: 0, first: batch.first, last: batch.last, span: '0 microseconds', spanMicros: 0 }
    const blocks = await buildBlocks(batch.lines)
    const rows = new BlockRows()
    for (const b of blocks) rows.add(run, state.count, b)
    await this.client.query({ text: INSERT_BLOCKS, values: rows.columns })
    const span = blockSpan(blocks)
    const spanMicros = Number(span.split(' ')[0])
    this.runs.set(key, {
      run,
      count: state.count + lines.length,
      first: compare(batch.first, state.first) < 0 ? batch.first : state.first,
      last: compare(batch.last, state.last) > 0 ? batch.last : state.last,
      span: spanMicros > state.spanMicros ? span : state.span,
      spanMicros: Math.max(spanMicros, state.spanMicros)
    })
  }

  /** Writes the runs' rows and analyzes the tables; returns the lines written. */
  async finish (): Promise<number> {
    let lines = 0
    for (const s of this.runs.values()) {
      await this.client.query(`INSERT INTO runs (resource_group, run_kind, run_id, first_ts, first_ns, last_ts, last_ns, line_count, next_seq, block_span)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8, $9::interval)`,
      [s.run.group, s.run.kind, s.run.id, ...sqlPosition(s.first).slice(0, 2), ...sqlPosition(s.last).slice(0, 2), s.count, s.span])
      lines += s.count
    }
    await this.client.query('ANALYZE log_blocks')
    await this.client.query('ANALYZE runs')
    return lines
  }
}

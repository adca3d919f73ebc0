// Lines of a LogQL selector, read only through the store's read paths that serve GET .../logs (range,
// order, filters, keyset position) and the runs listing: the runs a selector names are listed, then each
// run's lines are walked in batches, label matchers and line filters applied to what the walk meets. The
// walk is bounded by settings: LOKI_MAX_RUNS runs and LOKI_MAX_SCAN_LINES lines per request.
import type { FastifyInstance } from 'fastify'
import type { LogFilters, LogRange, RunKey, RunKind, RunListFilters, RunPosition, SortOrder } from '../model.js'
import type { LogStore } from '../store/log-store.js'
import type { StoredLine } from '../store/stored-line.js'
import { formatStored, parseRfc3339, type Instant } from '../time.js'
import { LokiQueryError, type LabelMatcher, type LogSelector } from './logql.js'

export interface LokiLimits {
  maxRuns: number
  maxScanLines: number
}

/** A line as Loki sees it: its stream's labels (no empty ones) and that label set's key. */
export interface LokiLine {
  instant: Instant
  labels: Record<string, string>
  key: string
  msg: string
}

/** A run the listing found, with its line count (all time). */
export interface ListedRun extends RunKey { lines: number }

const READ_BATCH = 2000
const LIST_PAGE = 1000

/** A request's limits were reached: a 400 that says which setting and how to narrow the query. */
export class LimitError extends LokiQueryError {}

function matches (m: LabelMatcher, value: string): boolean {
  switch (m.op) {
    case '=': return value === m.value
    case '!=': return value !== m.value
    case '=~': return m.regex?.test(value) === true
    case '!~': return m.regex?.test(value) !== true
  }
}

function lineMatches (selector: LogSelector, msg: string): boolean {
  for (const f of selector.filters) {
    const hit = f.regex === undefined ? msg.includes(f.value) : f.regex.test(msg)
    if (hit !== (f.op === '|=' || f.op === '|~')) return false
  }
  return true
}

export function runLabels (run: RunKey): Record<string, string> {
  return run.kind === 'deployment' ? { deployment_id: run.id } : { execution_id: run.id }
}

/** Whether a run's own labels (deployment_id, execution_id) pass the selector's matchers on them. */
function runMatches (selector: LogSelector, run: RunKey): boolean {
  const labels = runLabels(run)
  return selector.matchers.every((m) => (m.label !== 'deployment_id' && m.label !== 'execution_id') || matches(m, labels[m.label] ?? ''))
}

/** The store-side filters the selector implies: equality on pod, container, stream, and the first |= text. */
export function pushedDown (selector: LogSelector): LogFilters {
  const filters: LogFilters = {}
  for (const m of selector.matchers) {
    if (m.op !== '=' || m.value === '') continue
    if (m.label === 'pod' || m.label === 'container') filters[m.label] = m.value
    if (m.label === 'stream' && (m.value === 'stdout' || m.value === 'stderr')) filters.stream = m.value
  }
  const contains = selector.filters.find((f) => f.op === '|=' && f.value !== '')
  if (contains !== undefined) filters.contains = contains.value
  return filters
}

/** The LokiLine of a stored row of `run`, or undefined when the selector's line matchers or filters reject it. */
export function lineReader (run: RunKey, selector: LogSelector): (line: StoredLine) => LokiLine | undefined {
  const own = runLabels(run)
  const lineMatchers = selector.matchers.filter((m) => m.label === 'pod' || m.label === 'container' || m.label === 'stream')
  // Label sets repeat from line to line: built once per pod, container and stream.
  const labelled = new Map<string, { labels: Record<string, string>, key: string }>()
  return (line) => {
    const { container, pod, stream, msg } = line
    if (!lineMatchers.every((m) => matches(m, m.label === 'pod' ? pod : m.label === 'container' ? container : stream))) return undefined
    if (!lineMatches(selector, msg)) return undefined
    const id = `${pod}\u0000${container}\u0000${stream}`
    let set = labelled.get(id)
    if (set === undefined) {
      const labels: Record<string, string> = { ...own }
      if (container !== '') labels.container = container
      if (pod !== '') labels.pod = pod
      if (stream !== '') labels.stream = stream
      const sorted = Object.fromEntries(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : 1)))
      set = { labels: sorted, key: JSON.stringify(sorted) }
      labelled.set(id, set)
    }
    return { instant: instantOf(line), labels: set.labels, key: set.key, msg }
  }
}

export const instantOf = (line: StoredLine): Instant => parseRfc3339(formatStored(line.ts, line.nanos))

export class LineScan {
  private scanned = 0
  private postFilter = 0
  private bytes = 0

  private readonly store: LogStore

  constructor (private readonly app: FastifyInstance, private readonly group: string, private readonly limits: LokiLimits, store?: LogStore) {
    this.store = store ?? app.store
  }

  get stats (): { scanned: number, postFilter: number, bytes: number } {
    return { scanned: this.scanned, postFilter: this.postFilter, bytes: this.bytes }
  }

  /** The runs of the group with lines in [start, end) that the selector's run labels allow. */
  async runs (selector: LogSelector, start: Instant, end: Instant): Promise<ListedRun[]> {
    // A matcher that needs a non-empty deployment_id leaves executions out, and the other way round.
    const needs = (label: string): boolean => selector.matchers.some((m) => m.label === label && !matches(m, ''))
    const kinds: RunKind[] = (['deployment', 'execution'] as const).filter((kind) => !needs(kind === 'deployment' ? 'execution_id' : 'deployment_id'))
    // One run named exactly: listed by its id as a prefix, so only its own row (and ids that extend it) is read.
    const exact = selector.matchers.find((m) => (m.label === 'deployment_id' || m.label === 'execution_id') && m.op === '=' && m.value !== '')
    const found: ListedRun[] = []
    for (const kind of kinds) {
      const filters: RunListFilters = { kind, start, end, ...(exact === undefined ? {} : { idPrefix: exact.value }) }
      let after: RunPosition | undefined
      for (let examined = 0; ; examined += LIST_PAGE) {
        if (examined >= this.limits.maxRuns * 20) throw this.tooManyRuns()
        const rows = await this.app.runs.list(this.group, filters, after, LIST_PAGE)
        for (const listed of rows) {
          const run: ListedRun = { group: this.group, kind: listed.kind, id: listed.id, lines: Number(listed.lineCount) }
          if (!runMatches(selector, run)) continue
          found.push(run)
          if (found.length > this.limits.maxRuns) throw this.tooManyRuns()
        }
        const last = rows[rows.length - 1]
        if (rows.length < LIST_PAGE || last === undefined) break
        after = { firstTs: last.firstTs, firstNs: last.firstNs, kind: last.kind, id: last.id }
      }
    }
    return found
  }

  private tooManyRuns (): LimitError {
    return new LimitError(`the selector matches more than ${this.limits.maxRuns} runs in the time range (LOKI_MAX_RUNS); name a deployment_id or execution_id, or narrow the time range`)
  }

  /**
   * The selector's lines of one run in [start, end), in `order`, batch by batch; with beforeSeq, only lines
   * committed before that ingestion sequence.
   */
  async * lines (run: RunKey, selector: LogSelector, start: Instant, end: Instant, order: SortOrder, beforeSeq?: bigint): AsyncGenerator<LokiLine[]> {
    const range: LogRange = { run, start, end, top: READ_BATCH, order, filters: pushedDown(selector) }
    const toLine = lineReader(run, selector)
    for (;;) {
      const rows = await this.store.read(range, READ_BATCH, beforeSeq)
      this.scanned += rows.length
      if (this.scanned > this.limits.maxScanLines) {
        throw new LimitError(`the query reads more than ${this.limits.maxScanLines} lines (LOKI_MAX_SCAN_LINES); narrow the time range, the selector or the line filters`)
      }
      const out: LokiLine[] = []
      for (const row of rows) {
        const line = toLine(row)
        if (line === undefined) continue
        this.postFilter++
        this.bytes += Buffer.byteLength(line.msg)
        out.push(line)
      }
      if (out.length > 0) yield out
      const last = rows[rows.length - 1]
      if (rows.length < READ_BATCH || last === undefined) return
      range.after = last.position
    }
  }
}

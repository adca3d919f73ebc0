// The Loki read endpoints' work, apart from HTTP: a query (range or instant), labels, label values, series,
// index stats and volume, each over one resource group and bounded by the LOKI_* settings.
import type { FastifyInstance } from 'fastify'
import type { Config } from '../config.js'
import type { SortOrder } from '../model.js'
import type { Instant } from '../time.js'
import { logLines, metricSeries, stepCount } from './evaluate.js'
import { LABELS, LokiQueryError, parseLogQL, selectorOf, type LogSelector } from './logql.js'
import { matrixOf, sampleTime, sampleValue, secondsSince, statsOf, streamsOf } from './render.js'
import { LineScan, runLabels, type ListedRun } from './scan.js'
import type { TimeRange } from './params.js'

/** Matches every line: for labels and values asked without a query. */
const EVERYTHING: LogSelector = { matchers: [], filters: [] }

export class LokiReader {
  readonly scan: LineScan
  private readonly started = performance.now()

  constructor (app: FastifyInstance, group: string, private readonly config: Config) {
    this.scan = new LineScan(app, group, config.loki)
  }

  private stats (returned: number) {
    return statsOf({ ...this.scan.stats, returned, seconds: secondsSince(this.started) })
  }

  /** query_range: streams for a log query, a matrix for a metric query. */
  async range (text: string, range: TimeRange, limit: number, order: SortOrder, step: bigint) {
    const query = parseLogQL(text)
    if (query.kind === 'log') {
      const runs = await this.scan.runs(query.selector, range.start, range.end)
      const lines = await logLines(this.scan, query.selector, runs, range.start, range.end, limit, order)
      return { resultType: 'streams', result: streamsOf(lines), stats: this.stats(lines.length) }
    }
    if (query.kind === 'constant') {
      const points = stepCount(range.start, range.end, step)
      const values = Array.from({ length: points }, (_, k) => [sampleTime(range.start + BigInt(k) * step), sampleValue(query.value)])
      return { resultType: 'matrix', result: [{ metric: {}, values }], stats: this.stats(0) }
    }
    const series = await this.metric(query.metric, range.start, range.end, step)
    return { resultType: 'matrix', result: matrixOf(series), stats: this.stats(series.length) }
  }

  /** query: a metric query evaluated at one time (a vector); log queries belong to query_range. */
  async instant (text: string, time: Instant) {
    const query = parseLogQL(text)
    if (query.kind === 'log') throw new LokiQueryError('log queries are not supported as an instant query type, please change your query to a range query type')
    if (query.kind === 'constant') return { resultType: 'vector', result: [{ metric: {}, value: [sampleTime(time), sampleValue(query.value)] }], stats: this.stats(0) }
    const series = await this.metric(query.metric, time, time, 1n)
    const result = series.map((s) => ({ metric: s.labels, value: [sampleTime(time), sampleValue((s.points[0] as [Instant, number])[1])] }))
    return { resultType: 'vector', result, stats: this.stats(result.length) }
  }

  private async metric (metric: Parameters<typeof metricSeries>[1], start: Instant, end: Instant, step: bigint) {
    let inner = metric
    while (inner.kind === 'sum') inner = inner.inner
    const runs = await this.scan.runs(selectorOf(metric), start - inner.rangeNs, end + 1n)
    return await metricSeries(this.scan, metric, runs, start, end, step)
  }

  /** A selector from an optional query parameter (labels, values, stats, volume), or every line. */
  selector (text: string | null): LogSelector {
    if (text === null || text === '') return EVERYTHING
    const query = parseLogQL(text)
    if (query.kind !== 'log') throw new LokiQueryError('this endpoint takes a stream selector, such as {deployment_id="d-1"}')
    return query.selector
  }

  /** The distinct label sets of the selectors' lines in range. */
  async series (selectors: LogSelector[], range: TimeRange): Promise<Array<Record<string, string>>> {
    const seen = new Map<string, Record<string, string>>()
    for (const selector of selectors) {
      for (const run of await this.scan.runs(selector, range.start, range.end)) {
        for await (const batch of this.scan.lines(run, selector, range.start, range.end, 'asc')) {
          for (const line of batch) if (!seen.has(line.key)) seen.set(line.key, line.labels)
        }
      }
    }
    return [...seen.values()]
  }

  /** Label names with a value in range: the run labels from the runs listing; the line labels from the lines. */
  async labelNames (selector: LogSelector, range: TimeRange): Promise<string[]> {
    const names = new Set<string>()
    if (selector === EVERYTHING) {
      // Without a query, from the runs listing alone (no line is read): pod, container and stream come with any run.
      const runs = await this.scan.runs(selector, range.start, range.end)
      for (const run of runs) names.add(run.kind === 'deployment' ? 'deployment_id' : 'execution_id')
      if (runs.length > 0) for (const name of ['container', 'pod', 'stream']) names.add(name)
      return [...names].sort()
    }
    for (const labels of await this.series([selector], range)) for (const name of Object.keys(labels)) names.add(name)
    return [...names].sort()
  }

  async labelValues (name: string, selector: LogSelector, range: TimeRange): Promise<string[]> {
    if (!(LABELS as readonly string[]).includes(name)) return []
    const values = new Set<string>()
    if (name === 'deployment_id' || name === 'execution_id') {
      if (selector === EVERYTHING) {
        for (const run of await this.scan.runs(selector, range.start, range.end)) {
          const value = runLabels(run)[name]
          if (value !== undefined) values.add(value)
        }
        return [...values].sort()
      }
    }
    for (const labels of await this.series([selector], range)) {
      const value = labels[name]
      if (value !== undefined) values.add(value)
    }
    return [...values].sort()
  }

  /**
   * index/stats. A selector of run labels only: an estimate from the runs' line counts (all time), as Loki's
   * is one from its index. With pod, container or stream matchers: counted from the lines in range.
   */
  async indexStats (selector: LogSelector, range: TimeRange) {
    if (selector.matchers.every((m) => m.label === 'deployment_id' || m.label === 'execution_id')) {
      const runs: ListedRun[] = await this.scan.runs(selector, range.start, range.end)
      return { streams: runs.length, chunks: runs.length, bytes: 0, entries: runs.reduce((n, r) => n + r.lines, 0) }
    }
    const lineSelector = { ...selector, filters: [] }
    const streams = new Set<string>()
    let entries = 0
    let bytes = 0
    for (const run of await this.scan.runs(lineSelector, range.start, range.end)) {
      for await (const batch of this.scan.lines(run, lineSelector, range.start, range.end, 'asc')) {
        for (const line of batch) { streams.add(line.key); entries++; bytes += Buffer.byteLength(line.msg) }
      }
    }
    return { streams: streams.size, chunks: streams.size, bytes, entries }
  }

  /** index/volume: bytes of the lines in range per value of the target labels (or the selector's labels). */
  async volume (selector: LogSelector, range: TimeRange, targetLabels: string[], limit: number) {
    const labels = targetLabels.length > 0 ? targetLabels : [...new Set(selector.matchers.map((m) => m.label as string))]
    const bytes = new Map<string, { metric: Record<string, string>, bytes: number }>()
    for (const run of await this.scan.runs(selector, range.start, range.end)) {
      for await (const batch of this.scan.lines(run, selector, range.start, range.end, 'asc')) {
        for (const line of batch) {
          const metric = Object.fromEntries(labels.filter((l) => line.labels[l] !== undefined).map((l) => [l, line.labels[l] as string]))
          const key = JSON.stringify(metric)
          const entry = bytes.get(key) ?? { metric, bytes: 0 }
          entry.bytes += Buffer.byteLength(line.msg)
          bytes.set(key, entry)
        }
      }
    }
    const result = [...bytes.values()].sort((a, b) => b.bytes - a.bytes).slice(0, limit)
      .map((e) => ({ metric: e.metric, value: [sampleTime(range.end), String(e.bytes)] }))
    return { resultType: 'vector', result, stats: this.stats(result.length) }
  }
}

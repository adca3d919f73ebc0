// Evaluates LogQL over a LineScan: log queries (the newest or oldest `limit` lines across runs, merged) and
// metric queries (count_over_time, rate, sum by/without) at Loki's step points.
import type { RunKey, SortOrder } from '../model.js'
import { NS_PER_SECOND, type Instant } from '../time.js'
import { LokiQueryError, selectorOf, type LogSelector, type MetricQuery } from './logql.js'
import { LimitError, type LineScan, type LokiLine } from './scan.js'

/** Loki's bound on the points of one series. */
const MAX_POINTS = 11_000
const MAX_SERIES = 10_000

const before = (order: SortOrder) => order === 'asc'
  ? (a: LokiLine, b: LokiLine) => a.instant < b.instant
  : (a: LokiLine, b: LokiLine) => a.instant > b.instant

/** Merges two lists already in `order`; ties keep `a` first (the runs read earlier). */
function merge (a: LokiLine[], b: LokiLine[], order: SortOrder, limit: number): LokiLine[] {
  const first = before(order)
  const out: LokiLine[] = []
  let i = 0
  let j = 0
  while (out.length < limit && (i < a.length || j < b.length)) {
    if (j >= b.length || (i < a.length && !first(b[j] as LokiLine, a[i] as LokiLine))) out.push(a[i++] as LokiLine)
    else out.push(b[j++] as LokiLine)
  }
  return out
}

/**
 * The first `limit` lines of [start, end) in `order` over the selector's runs. Each run is read only while
 * its lines can still enter the result, so memory holds about twice `limit` lines.
 */
export async function logLines (scan: LineScan, selector: LogSelector, runs: RunKey[], start: Instant, end: Instant, limit: number, order: SortOrder,
  beforeSeq?: (run: RunKey) => bigint | undefined): Promise<LokiLine[]> {
  const first = before(order)
  let best: LokiLine[] = []
  for (const run of runs) {
    const mine: LokiLine[] = []
    const batches = scan.lines(run, selector, start, end, order, beforeSeq?.(run))
    let full = false
    for await (const batch of batches) {
      for (const line of batch) {
        const worst = best[limit - 1]
        full = mine.length >= limit || (worst !== undefined && !first(line, worst))
        if (full) break
        mine.push(line)
      }
      if (full) break
    }
    best = merge(best, mine, order, limit)
  }
  return best
}

export interface Series { labels: Record<string, string>, points: Array<[Instant, number]> }

/** The step points start, start+step, ... up to end inclusive, as Loki evaluates a range query. */
export function stepCount (start: Instant, end: Instant, step: bigint): number {
  const points = (end - start) / step + 1n
  if (points > BigInt(MAX_POINTS)) throw new LokiQueryError(`exceeded maximum resolution of ${MAX_POINTS} points per timeseries. Try decreasing the query resolution (?step=XX)`)
  return Number(points)
}

function ceilDiv (a: bigint, b: bigint): bigint {
  const q = a / b
  return a % b > 0n ? q + 1n : q
}

/** Labels of a series after sum by (...) or sum without (...), or all of them. */
function grouped (labels: Record<string, string>, metric: MetricQuery): Record<string, string> {
  if (metric.kind !== 'sum') return labels
  const outer = grouped(labels, metric.inner)
  const g = metric.grouping
  if (g === undefined) return {}
  return Object.fromEntries(Object.entries(outer).filter(([name]) => g.labels.includes(name) !== g.without))
}

/**
 * count_over_time / rate over (t - range, t] at each step point t, summed into groups. Each line adds 1 to
 * the consecutive points whose window holds it (a difference array: constant work per line).
 */
export async function metricSeries (scan: LineScan, metric: MetricQuery, runs: RunKey[], start: Instant, end: Instant, step: bigint): Promise<Series[]> {
  let inner = metric
  while (inner.kind === 'sum') inner = inner.inner
  const { rangeNs, fn } = inner
  const selector = selectorOf(metric)
  const points = stepCount(start, end, step)
  const groups = new Map<string, { labels: Record<string, string>, diff: Float64Array }>()
  for (const run of runs) {
    for await (const batch of scan.lines(run, selector, start - rangeNs + 1n, end + 1n, 'asc')) {
      for (const line of batch) {
        const kFirst = line.instant <= start ? 0n : ceilDiv(line.instant - start, step)
        const kLast = ceilDiv(line.instant + rangeNs - start, step) - 1n
        if (kFirst > kLast || kFirst >= BigInt(points)) continue
        let group = groups.get(line.key)
        if (group === undefined) {
          if (groups.size >= MAX_SERIES) throw new LimitError(`the query makes more than ${MAX_SERIES} series; use sum by (...) over fewer labels`)
          group = { labels: line.labels, diff: new Float64Array(points + 1) }
          groups.set(line.key, group)
        }
        const from = Number(kFirst)
        const to = Math.min(Number(kLast) + 1, points)
        group.diff[from] = (group.diff[from] as number) + 1
        group.diff[to] = (group.diff[to] as number) - 1
      }
    }
  }
  const perSecond = fn === 'rate' ? Number(rangeNs) / Number(NS_PER_SECOND) : 1
  const summed = new Map<string, Series & { values: Float64Array }>()
  for (const { labels, diff } of groups.values()) {
    const outLabels = grouped(labels, metric)
    const key = JSON.stringify(outLabels)
    let series = summed.get(key)
    if (series === undefined) summed.set(key, series = { labels: outLabels, points: [], values: new Float64Array(points) })
    let running = 0
    for (let k = 0; k < points; k++) {
      running += diff[k] as number
      series.values[k] = (series.values[k] as number) + running
    }
  }
  return [...summed.values()]
    .map(({ labels, values }) => {
      const out: Array<[Instant, number]> = []
      values.forEach((v, k) => { if (v > 0) out.push([start + BigInt(k) * step, v / perSecond]) })
      return { labels, points: out }
    })
    .filter((s) => s.points.length > 0)
    .sort((a, b) => (JSON.stringify(a.labels) < JSON.stringify(b.labels) ? -1 : 1))
}

// Loki's JSON answers: streams, matrix and vector results with nanosecond string timestamps, and the
// stats object Grafana and logcli read.
import type { Instant } from '../time.js'
import type { Series } from './evaluate.js'
import type { LokiLine } from './scan.js'

export interface StreamResult { stream: Record<string, string>, values: Array<[string, string]> }

/** Lines grouped into streams, each in the lines' order; streams in the order their first line came. */
export function streamsOf (lines: LokiLine[]): StreamResult[] {
  const streams = new Map<string, StreamResult>()
  for (const line of lines) {
    let stream = streams.get(line.key)
    if (stream === undefined) streams.set(line.key, stream = { stream: line.labels, values: [] })
    stream.values.push([String(line.instant), line.msg])
  }
  return [...streams.values()]
}

/** Seconds since the epoch as Prometheus prints a sample's time: a number with up to 3 decimals. */
export const sampleTime = (t: Instant): number => Number(t / 1_000_000n) / 1000

/** A sample's value as Go's strconv.FormatFloat(v, 'f', -1, 64) prints it. */
export const sampleValue = (v: number): string => Number.isInteger(v) ? v.toFixed(0) : String(v)

export const matrixOf = (series: Series[]) => series.map((s) => ({ metric: s.labels, values: s.points.map(([t, v]) => [sampleTime(t), sampleValue(v)]) }))

export interface QueryStats { scanned: number, postFilter: number, bytes: number, returned: number, seconds: number }

/** Loki's stats object: the summary filled in, the per-component parts present with what this service knows. */
export function statsOf (s: QueryStats) {
  const chunk = { headChunkBytes: 0, headChunkLines: 0, decompressedBytes: s.bytes, decompressedLines: s.scanned, compressedBytes: 0, totalDuplicates: 0, postFilterLines: s.postFilter, headChunkStructuredMetadataBytes: 0, decompressedStructuredMetadataBytes: 0 }
  const perSecond = (n: number): number => (s.seconds > 0 ? Math.round(n / s.seconds) : 0)
  return {
    summary: {
      bytesProcessedPerSecond: perSecond(s.bytes),
      linesProcessedPerSecond: perSecond(s.scanned),
      totalBytesProcessed: s.bytes,
      totalLinesProcessed: s.scanned,
      execTime: s.seconds,
      queueTime: 0,
      subqueries: 0,
      totalEntriesReturned: s.returned,
      splits: 0,
      shards: 0,
      totalPostFilterLines: s.postFilter,
      totalStructuredMetadataBytesProcessed: 0
    },
    querier: { store: { totalChunksRef: 0, totalChunksDownloaded: 0, chunksDownloadTime: 0, queryReferencedStructuredMetadata: false, chunk } },
    ingester: { totalReached: 0, totalChunksMatched: 0, totalBatches: 0, totalLinesSent: 0, store: { totalChunksRef: 0, totalChunksDownloaded: 0, chunksDownloadTime: 0, queryReferencedStructuredMetadata: false, chunk: { ...chunk, decompressedBytes: 0, decompressedLines: 0, postFilterLines: 0 } } }
  }
}

export const secondsSince = (startedMs: number): number => (performance.now() - startedMs) / 1000

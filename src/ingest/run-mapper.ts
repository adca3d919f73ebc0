// The one mapper every ingest body goes through: a decoder (lines.ts, records.ts, loki.ts, otlp/map.ts)
// hands it each line (checked with line-checks.ts) or record, it sorts them into runs, and yields the
// store's RunLines. A shipper's record names its run through labels the shippers copy from the pod (COLLECTOR_*
// settings); one that names none, or a group the token may not act in, is counted as unmatched and
// reported, never stored and never silently dropped.
import type { CollectorMapping } from '../config.js'
import { isLabelValue, type Labels } from '../labels.js'
import { runKeyText, type LogBatch, type LogLine, type RunKey } from '../model.js'
import { RESOURCE_GROUP_PATTERN, RUN_ID_PATTERN, RUN_ID_RULE } from '../schemas/ids.js'
import type { RunLines } from '../store/log-store.js'
import type { Instant } from '../time.js'
import { ingestLimits, type IngestLimits } from './line-checks.js'

/** The batch of already checked lines of one run: first, last, lines per day; each line's seq becomes its index. */
export function summarize (lines: LogLine[]): LogBatch {
  let first = lines[0] as LogLine
  let last = first
  const days = new Map<number, number>()
  // Lines come in runs of one day: counted per run, not per line.
  let day = first.day
  let count = 0
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as LogLine
    line.seq = i
    if (line.day < first.day || (line.day === first.day && line.t < first.t)) first = line
    if (line.day > last.day || (line.day === last.day && line.t > last.t)) last = line
    if (line.day !== day) {
      days.set(day, (days.get(day) ?? 0) + count)
      day = line.day
      count = 0
    }
    count++
  }
  days.set(day, (days.get(day) ?? 0) + count)
  return { lines, first, last, days }
}

export type Fields = Record<string, unknown>

/** A dotted path, split once: kubernetes.pod_name → ['kubernetes', 'pod_name']. */
export type FieldPath = string[]

export const fieldPaths = (names: string[]): FieldPath[] => names.map((name) => name.split('.'))

/** The value at `path` in `record`, or undefined. */
function fieldAt (record: Fields, path: FieldPath): unknown {
  let value: unknown = record
  for (const key of path) {
    if (value === null || typeof value !== 'object') return undefined
    value = (value as Fields)[key]
  }
  return value
}

/** The value at the first of `paths` present in `record`. */
export function firstField (record: Fields, paths: FieldPath[]): unknown {
  for (const path of paths) {
    const value = fieldAt(record, path)
    if (value !== undefined && value !== null) return value
  }
  return undefined
}

/** Where a shipper's record keeps its message, timestamp and line labels (COLLECTOR_* field names). */
export interface RecordFields {
  message: FieldPath[]
  timestamp: FieldPath[]
  pod: FieldPath[]
  container: FieldPath[]
  stream: FieldPath[]
}

const recordFields = (mapping: CollectorMapping): RecordFields => ({
  message: fieldPaths(mapping.messageFields),
  timestamp: fieldPaths(mapping.timestampFields),
  pod: fieldPaths(mapping.podFields),
  container: fieldPaths(mapping.containerFields),
  stream: fieldPaths(mapping.streamFields)
})

export interface UnmatchedSample { index: number, reason: string }

/** What a decoder makes of a body: the runs' lines, the answer to send once they are committed, and its counts. */
export interface Decoded { runs: RunLines[], answer: object, accepted: number, unmatched: number }

/** What a request's mapper is made of: the time and size limits, and the tenancy of collector records. */
export interface MapperSettings {
  now: Instant
  retentionDays: number
  maxFutureSkewSeconds: number
  lineMaxBytes: number
  maxItems: number
  maxBytes: number
  mapping: CollectorMapping
  /** The group of records that name none (the request's). */
  requestGroup: string
  mayActIn: (group: string) => boolean
}

/** A body's decoder for one format: makes the mapper, hands it the body's lines, and returns what it yields. */
export type Decoder = (body: Buffer, settings: MapperSettings) => Decoded

/** What the collector endpoints answer: lines stored, and records that named no run they could store. */
export interface CollectorAnswer {
  accepted: number
  unmatched: number
  /** The first few unmatched records (or Loki streams), with the reason. */
  unmatchedSamples: UnmatchedSample[]
}

const SAMPLES = 10

export class RunMapper {
  private readonly labelMaps: FieldPath[]
  /** The COLLECTOR_* field names of records, split once. */
  readonly fields: RecordFields
  private readonly runs = new Map<string, { run: RunKey, lines: LogLine[], labels: Labels }>()
  private readonly groupAllowed = new Map<string, boolean>()
  private unmatched = 0
  private readonly samples: UnmatchedSample[] = []

  readonly limits: IngestLimits
  private readonly mapping: CollectorMapping
  private readonly requestGroup: string
  private readonly mayActIn: (group: string) => boolean

  constructor (settings: MapperSettings) {
    this.limits = ingestLimits(settings.now, settings.retentionDays, settings.maxFutureSkewSeconds, settings.lineMaxBytes, settings.maxItems, settings.maxBytes)
    this.mapping = settings.mapping
    this.requestGroup = settings.requestGroup
    this.mayActIn = settings.mayActIn
    this.labelMaps = fieldPaths(this.mapping.labelFields)
    this.fields = recordFields(this.mapping)
  }

  /** The first of `names` found in a label map of the record, or at its top level. */
  private label (record: Fields, names: string[]): unknown {
    for (const mapPath of this.labelMaps) {
      const labels = fieldAt(record, mapPath)
      if (labels === null || typeof labels !== 'object') continue
      for (const name of names) {
        const value = (labels as Fields)[name]
        if (value !== undefined && value !== null) return value
      }
    }
    for (const name of names) {
      const value = record[name]
      if (value !== undefined && value !== null) return value
    }
    return undefined
  }

  /** The run a record (or a Loki stream's labels) names, or the reason it names none it may store to. */
  runOf (record: Fields): RunKey | string {
    const deploymentId = this.label(record, this.mapping.deploymentIdLabels)
    const executionId = deploymentId === undefined ? this.label(record, this.mapping.executionIdLabels) : undefined
    const id = deploymentId ?? executionId
    if (id === undefined) return 'no deployment or execution id label'
    if (typeof id !== 'string' || !RUN_ID_PATTERN.test(id)) return `the run id label is not ${RUN_ID_RULE}`
    const labelGroup = this.label(record, this.mapping.resourceGroupLabels)
    const group = labelGroup ?? this.requestGroup
    if (typeof group !== 'string' || !RESOURCE_GROUP_PATTERN.test(group)) return 'the resource group label is not a valid resource group'
    let allowed = this.groupAllowed.get(group)
    if (allowed === undefined) {
      allowed = this.mayActIn(group)
      this.groupAllowed.set(group, allowed)
    }
    if (!allowed) return `the token may not act in resource group ${group}`
    return { group, kind: deploymentId === undefined ? 'execution' : 'deployment', id }
  }

  /**
   * The lines list of a run, to push checked lines into; the record's run labels (COLLECTOR_RUN_LABELS) are
   * noted for the run, a later record's value winning. A value that is not a label value is not taken.
   */
  linesOf (run: RunKey, record?: Fields): LogLine[] {
    const key = runKeyText(run)
    let entry = this.runs.get(key)
    if (entry === undefined) {
      entry = { run, lines: [], labels: {} }
      this.runs.set(key, entry)
    }
    if (record === undefined) return entry.lines
    for (const { label, recordLabel } of this.mapping.runLabels) {
      const value = this.label(record, [recordLabel])
      if (isLabelValue(value)) entry.labels[label] = value
    }
    return entry.lines
  }

  /** Counts `count` unmatched lines; the first few are sampled with the index given. */
  skip (index: number, reason: string, count = 1): void {
    this.unmatched += count
    if (this.samples.length < SAMPLES) this.samples.push({ index, reason })
  }

  /** The runs with lines, and the answer once they are stored. */
  result (): Decoded & { answer: CollectorAnswer } {
    const runs: RunLines[] = []
    let accepted = 0
    for (const { run, lines, labels } of this.runs.values()) {
      if (lines.length === 0) continue
      runs.push({ run, batch: summarize(lines), ...(Object.keys(labels).length > 0 ? { labels } : {}) })
      accepted += lines.length
    }
    return { runs, accepted, unmatched: this.unmatched, answer: { accepted, unmatched: this.unmatched, unmatchedSamples: this.samples } }
  }
}

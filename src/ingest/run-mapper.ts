// Sorts the records of a shipper's batch into runs. A record names its run through labels the shippers
// copy from the pod (COLLECTOR_* settings); one that names none, or a group the token may not act in, is
// counted as unmatched and reported, never stored and never silently dropped.
import type { CollectorMapping } from '../config.js'
import { summarize } from './lines.js'
import { isLabelValue, type Labels } from '../labels.js'
import { runKeyText, type LogLine, type RunKey } from '../model.js'
import { RESOURCE_GROUP_PATTERN, RUN_ID_PATTERN, RUN_ID_RULE } from '../schemas/ids.js'
import type { RunLines } from '../store/log-store.js'

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

export interface UnmatchedSample { index: number, reason: string }

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
  private readonly runs = new Map<string, { run: RunKey, lines: LogLine[], labels: Labels }>()
  private readonly groupAllowed = new Map<string, boolean>()
  private unmatched = 0
  private readonly samples: UnmatchedSample[] = []

  constructor (private readonly mapping: CollectorMapping, private readonly requestGroup: string,
    private readonly mayActIn: (group: string) => boolean) {
    this.labelMaps = fieldPaths(mapping.labelFields)
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
  linesOf (run: RunKey, record: Fields): LogLine[] {
    const key = runKeyText(run)
    let entry = this.runs.get(key)
    if (entry === undefined) {
      entry = { run, lines: [], labels: {} }
      this.runs.set(key, entry)
    }
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
  result (): { runs: RunLines[], answer: CollectorAnswer } {
    const runs: RunLines[] = []
    let accepted = 0
    for (const { run, lines, labels } of this.runs.values()) {
      if (lines.length === 0) continue
      runs.push({ run, batch: summarize(lines), ...(Object.keys(labels).length > 0 ? { labels } : {}) })
      accepted += lines.length
    }
    return { runs, answer: { accepted, unmatched: this.unmatched, unmatchedSamples: this.samples } }
  }
}

// The domain's shapes: a run is named by group, kind and id; a line carries a nanosecond instant.
import type { Labels } from './labels.js'
import type { Instant } from './time.js'

export type RunKind = 'deployment' | 'execution'

export interface RunKey {
  group: string
  kind: RunKind
  id: string
}

export type SortOrder = 'asc' | 'desc'

/**
 * A validated line, ready to store, as a block holds it: its UTC day (days since 1970), nanoseconds within
 * the day, and its index in its run's batch (`seq`, to which the store adds the run's next seq).
 */
export interface LogLine {
  day: number
  t: number
  seq: number
  pod: string
  container: string
  stream: string
  msg: string
}

export interface LogBatch {
  lines: LogLine[]
  first: LogLine
  last: LogLine
  /** Lines per UTC day (days since 1970), i.e. per partition. */
  days: Map<number, number>
}

export interface LogRange {
  run: RunKey
  start: Instant
  end: Instant
  top: number
  order: SortOrder
  /** Beyond SAP's parameters: only lines matching every filter given. */
  filters?: LogFilters
  /** Continue after this line (a cursor's position), in the range's order. */
  after?: StoredPosition
}

export type StreamName = 'stdout' | 'stderr'

export interface LogFilters {
  container?: string
  pod?: string
  stream?: StreamName
  /** A substring of msg, case-sensitive. */
  contains?: string
}

/** The filters, in the order their SQL and statement names are built. */
export const FILTER_NAMES = ['container', 'pod', 'stream', 'contains'] as const satisfies ReadonlyArray<keyof LogFilters>

/** A line's place in the primary key's order, as Postgres printed it: ts text (UTC), nanoseconds, seq. */
export interface StoredPosition {
  ts: string
  nanos: number
  seq: string
}

/** A run's key as one string (group, kind and id joined by NUL, which none of them holds): for maps and sets. */
export const runKeyText = (run: RunKey): string => `${run.group}\u0000${run.kind}\u0000${run.id}`

/** The run listing's filters (GET /v2/lm/runs, Loki's run scan). */
export interface RunListFilters {
  kind?: RunKind
  /** Runs whose id starts with this text (no wildcards). */
  idPrefix?: string
  /** Runs whose span [first, last] meets [start, end). */
  start?: Instant
  end?: Instant
  /** Runs with every label key given having one of its values (`label=key=value`, repeatable). */
  labels?: Array<[string, string]>
}

/**
 * A run's place in the listing's order: its first line's time (as Postgres printed it), then kind and id.
 * A run's first line stays put as lines are added (unless older lines are written later), so pages hold.
 */
export interface RunPosition {
  firstTs: string
  firstNs: number
  kind: RunKind
  id: string
}

/** A listed run: its first and last line (as stored), line count and labels. */
export interface RunSummary extends RunPosition {
  lastTs: string
  lastNs: number
  /** bigint's text, as Postgres sends it. */
  lineCount: string
  labels: Labels
}

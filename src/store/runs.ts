// The runs of a resource group, newest first (by their first line), one keyset page at a time (GET /v2/lm/runs).
// Only the conditions asked for go into the statement, so each shape gets its own plan on runs_by_start.
import type pg from 'pg'
import { labelPairsToConditions, type LabelChange, type Labels } from '../labels.js'
import type { RunSummary, RunKey, RunKind, RunListFilters, RunPosition } from '../model.js'
import { toStoredParts } from '../time.js'
import { mergeLabelsSql, runConditionsSql } from './run-conditions.js'

const LIKE_SPECIAL = /[\\%_]/g

function runListStatement (group: string, filters: RunListFilters, after: RunPosition | undefined, limit: number): { text: string, values: unknown[] } {
  const values: unknown[] = [group]
  const where = ['resource_group = $1']
  const param = (value: unknown): string => { values.push(value); return `$${values.length}` }
  if (filters.kind !== undefined) where.push(`run_kind = ${param(filters.kind)}`)
  if (filters.idPrefix !== undefined) where.push(`run_id LIKE ${param(filters.idPrefix.replace(LIKE_SPECIAL, '\\$&') + '%')}`)
  if (filters.start !== undefined) {
    const { ts, nanos } = toStoredParts(filters.start)
    where.push(`(last_ts, last_ns) >= (${param(ts)}::timestamptz, ${param(nanos)}::smallint)`)
  }
  if (filters.end !== undefined) {
    const { ts, nanos } = toStoredParts(filters.end)
    where.push(`(first_ts, first_ns) < (${param(ts)}::timestamptz, ${param(nanos)}::smallint)`)
  }
  if (filters.labels !== undefined) where.push(...runConditionsSql({ labels: labelPairsToConditions(filters.labels) }, param))
  if (after !== undefined) {
    where.push(`(first_ts, first_ns, run_kind, run_id) < (${param(after.firstTs)}::timestamptz, ${param(after.firstNs)}::smallint, ${param(after.kind)}::run_kind, ${param(after.id)})`)
  }
  return {
    text: `SELECT run_kind, run_id, first_ts, first_ns, last_ts, last_ns, line_count, labels FROM runs r
      WHERE ${where.join(' AND ')}
      ORDER BY first_ts DESC, first_ns DESC, run_kind DESC, run_id DESC
      LIMIT ${param(limit)}`,
    values
  }
}

/** The columns a statement returns as an array: [kind, id, first_ts, first_ns, last_ts, last_ns, line_count, labels]. */
type RunRow = [RunKind, string, string, number, string, number, string, Labels]

const runSummary = ([kind, id, firstTs, firstNs, lastTs, lastNs, lineCount, labels]: RunRow): RunSummary =>
  ({ kind, id, firstTs, firstNs, lastTs, lastNs, lineCount, labels })

export type PatchResult = { kind: 'patched', run: RunSummary } | { kind: 'not-found' } | { kind: 'too-many-labels' }

export class RunCatalog {
  /** Lists read from `pool` (a replica when one is set); label changes go to `primary`. */
  constructor (private readonly pool: pg.Pool, private readonly primary: pg.Pool = pool) {}

  /** Up to `limit` runs of the group after `after`, newest first. */
  async list (group: string, filters: RunListFilters, after: RunPosition | undefined, limit: number): Promise<RunSummary[]> {
    const { rows } = await this.pool.query<RunRow>({ ...runListStatement(group, filters, after, limit), rowMode: 'array' })
    return rows.map(runSummary)
  }

  /** Merges a label change into a run's labels, unless the run would then hold more than `max`. */
  async patchLabels (run: RunKey, change: LabelChange, max: number): Promise<PatchResult> {
    const values: unknown[] = [run.group, run.kind, run.id]
    const param = (value: unknown): string => { values.push(value); return `$${values.length}` }
    const { labels, fits } = mergeLabelsSql(change, max, param)
    const { rows } = await this.primary.query<RunRow>({
      text: `UPDATE runs r SET labels = ${labels}, updated_at = now()
        WHERE resource_group = $1 AND run_kind = $2 AND run_id = $3 AND ${fits}
        RETURNING run_kind, run_id, first_ts, first_ns, last_ts, last_ns, line_count, labels`,
      values,
      rowMode: 'array'
    })
    if (rows[0] !== undefined) return { kind: 'patched', run: runSummary(rows[0]) }
    const found = await this.primary.query('SELECT 1 FROM runs WHERE resource_group = $1 AND run_kind = $2 AND run_id = $3', [run.group, run.kind, run.id])
    return found.rowCount === 1 ? { kind: 'too-many-labels' } : { kind: 'not-found' }
  }
}

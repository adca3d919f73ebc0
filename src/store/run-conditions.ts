// SQL conditions on the runs table (alias `r`) for labels, run ids and run times. A single-value label
// condition is a containment (`@>`), which the GIN index on labels (runs that have some) serves.
import type { LabelChange, RunConditions, TimeCondition } from '../labels.js'

/** Adds a value to the statement's parameters and returns its placeholder. */
export type Param = (value: unknown) => string

const epoch = (param: Param, ms: number): string => `(timestamptz 'epoch' + ${param(Math.trunc(ms))}::bigint * interval '1 millisecond')`

function timeSql (c: TimeCondition, param: Param): string {
  const at = epoch(param, c.epochMs)
  if (c.field === 'creationTime') {
    if (c.operator === 'EQUALS') return `date_trunc('milliseconds', r.created_at) = ${at}`
    return `r.created_at ${c.operator === 'AFTER' ? '>' : '<'} ${at}`
  }
  const [ts, ns] = c.field === 'startTime' ? ['r.first_ts', 'r.first_ns'] : ['r.last_ts', 'r.last_ns']
  // Nanoseconds beyond the microsecond: a line at the given millisecond plus 500 ns is after it.
  if (c.operator === 'EQUALS') return `date_trunc('milliseconds', ${ts}) = ${at}`
  return `(${ts}, ${ns}) ${c.operator === 'AFTER' ? '>' : '<'} (${at}, 0)`
}

/** One SQL condition per given condition, to AND into a WHERE on `runs r`. */
export function runConditionsSql (conditions: RunConditions | undefined, param: Param): string[] {
  const where: string[] = []
  for (const c of conditions?.labels ?? []) {
    // A run with no labels holds none: the partial index on labels (runs with some) serves the containment.
    if (c.operator === 'IN' && c.values.length === 1) where.push(`(r.labels @> ${param(JSON.stringify({ [c.key]: c.values[0] }))}::jsonb AND r.labels <> '{}'::jsonb)`)
    else if (c.operator === 'IN') where.push(`r.labels ->> ${param(c.key)} = ANY(${param(c.values)}::text[])`)
    else where.push(`NOT coalesce(r.labels ->> ${param(c.key)} = ANY(${param(c.values)}::text[]), false)`)
  }
  for (const c of conditions?.runIds ?? []) {
    where.push(c.operator === 'IN' ? `r.run_id = ANY(${param(c.values)}::text[])` : `r.run_id <> ALL(${param(c.values)}::text[])`)
  }
  for (const c of conditions?.times ?? []) where.push(timeSql(c, param))
  return where
}

/**
 * The labels after a change, set only while the run would keep at most `max` labels (else the run's row is
 * left as it is and nothing is returned; the caller tells a missing run from a full one).
 */
export function mergeLabelsSql (change: LabelChange, max: number, param: Param): { labels: string, fits: string } {
  const labels = `((r.labels || ${param(JSON.stringify(change.set))}::jsonb) - ${param(change.remove)}::text[])`
  return { labels, fits: `(SELECT count(*) FROM jsonb_object_keys(${labels})) <= ${param(max)}` }
}

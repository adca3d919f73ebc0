// SQL of export requests: the quota-checked request and the reads of the API. The queue's SQL (claims,
// leases, results, expiry) is in export-queue.ts. Times of the domain (triggered, ready, expires) come from
// the app's clock so tests can move it.
import type pg from 'pg'
import type { Labels, RunConditions } from '../labels.js'
import type { RunKind } from '../model.js'
import { formatStored, NS_PER_MS, toStoredParts, type Instant } from '../time.js'
import { insertRecipients, type Recipient } from './export-notifications.js'
import { runConditionsSql } from './run-conditions.js'
import { readRange } from './block-read.js'
import { compare, storedPosition } from './block-position.js'
import { inTransaction } from './transaction.js'

export type JobStatus = 'QUEUED' | 'BUILDING' | 'READY' | 'FAILED' | 'EXPIRED'

/** The request's filters with start and end resolved (RFC 3339, nanosecond-exact), and conditions on runs. */
export interface ExportFilters extends RunConditions {
  deploymentIds?: string[]
  executionIds?: string[]
  start: string
  end: string
}

/**
 * A run fixed into an export when it was requested; `firstTs` is its first line in range (API format),
 * `labels` its labels then (exports requested before labels existed have none).
 */
export interface MatchedRun { kind: RunKind, id: string, firstTs: string, labels?: Labels }

export interface ExportRow {
  requestId: string
  group: string
  status: JobStatus
  filters: ExportFilters
  totalExecutions: number
  runsWritten: number
  createdBy: string
  /** API-formatted UTC timestamps. */
  triggeredAt: string
  readyAt: string | null
  expiresAt: string | null
  /** expires_at in whole seconds since the epoch (what links sign). */
  expiresEpoch: number | null
  attempts: number
  errorMessage: string | null
  archivePath: string | null
  archiveBytes: number | null
  archiveSha256: string | null
}

export interface ClaimedJob extends ExportRow { runs: MatchedRun[] }

export type CreateResult =
  | { kind: 'created', row: ExportRow }
  | { kind: 'quota', retryAfterSeconds: number }
  | { kind: 'too-many-runs', limit: number }

export interface CreateInput {
  requestId: string
  group: string
  createdBy: string
  filters: ExportFilters
  start: Instant
  end: Instant
  now: Instant
  dailyLimit: number
  maxRuns: number
  /** Who is told when the export is READY or FAILED. */
  recipients: Recipient[]
}

export const COLUMNS = `request_id, resource_group, status, filters, total_executions, runs_written, created_by, triggered_at,
  ready_at, expires_at, floor(extract(epoch FROM expires_at))::bigint AS expires_epoch, attempts, error_message,
  archive_path, archive_bytes, archive_sha256`

export interface DbRow {
  request_id: string,
  resource_group: string,
  status: JobStatus,
  filters: ExportFilters,
  total_executions: number
  runs_written: number,
  created_by: string,
  triggered_at: string,
  ready_at: string | null,
  expires_at: string | null
  expires_epoch: string | null,
  attempts: number,
  error_message: string | null,
  archive_path: string | null
  archive_bytes: string | null,
  archive_sha256: string | null,
  runs?: MatchedRun[]
}

export const toRow = (r: DbRow): ExportRow => ({
  requestId: r.request_id,
  group: r.resource_group,
  status: r.status,
  filters: r.filters,
  totalExecutions: r.total_executions,
  runsWritten: r.runs_written,
  createdBy: r.created_by,
  triggeredAt: formatStored(r.triggered_at, 0),
  readyAt: r.ready_at === null ? null : formatStored(r.ready_at, 0),
  expiresAt: r.expires_at === null ? null : formatStored(r.expires_at, 0),
  expiresEpoch: r.expires_epoch === null ? null : Number(r.expires_epoch),
  attempts: r.attempts,
  errorMessage: r.error_message,
  archivePath: r.archive_path,
  archiveBytes: r.archive_bytes === null ? null : Number(r.archive_bytes),
  archiveSha256: r.archive_sha256
})

// The candidate runs of a group for [start, end): runs' first/last bounds narrow them; each one's first line
// in range is then looked up in its blocks (a run may have no line in a gap of its span). Conditions on
// labels, ids and run times (parameters from $8) are ANDed in.
const candidateRuns = (conditions: string[]): string => `
SELECT r.run_kind, r.run_id, r.labels FROM runs r
WHERE r.resource_group = $1
  AND (($6::text[] IS NULL AND $7::text[] IS NULL)
       OR (r.run_kind = 'deployment' AND r.run_id = ANY($6::text[]))
       OR (r.run_kind = 'execution' AND r.run_id = ANY($7::text[])))
  AND (r.last_ts, r.last_ns) >= ($2, $3) AND (r.first_ts, r.first_ns) < ($4, $5)
  ${conditions.map((c) => `AND ${c}`).join('\n  ')}`

const DAY_MS = 86_400_000

export const isoOf = (ns: Instant): string => toStoredParts(ns).ts

export class ExportJobs {
  constructor (private readonly pool: pg.Pool) {}

  /**
   * Counts the group's exports of the UTC day and inserts the new one in one transaction, under an advisory
   * lock on (group, day): two replicas cannot both take the last slot of a quota.
   */
  async create (input: CreateInput): Promise<CreateResult> {
    const nowMs = Number(input.now / NS_PER_MS)
    const dayStartMs = Math.floor(nowMs / DAY_MS) * DAY_MS
    const dayStart = new Date(dayStartMs).toISOString()
    return await inTransaction(this.pool, async (client) => {
      await client.query('SELECT pg_advisory_xact_lock(hashtext(\'run-logs export quota\'), hashtext($1 || \' \' || $2))', [input.group, dayStart])
      const { rows: counted } = await client.query<{ n: number }>(
        'SELECT count(*)::int AS n FROM exports WHERE resource_group = $1 AND triggered_at >= $2 AND triggered_at < $3',
        [input.group, dayStart, new Date(dayStartMs + DAY_MS).toISOString()])
      if ((counted[0]?.n ?? 0) >= input.dailyLimit) {
        return { kind: 'quota', retryAfterSeconds: Math.max(1, Math.ceil((dayStartMs + DAY_MS - nowMs) / 1000)) }
      }
      const start = toStoredParts(input.start)
      const end = toStoredParts(input.end)
      const values: unknown[] = [input.group, start.ts, start.nanos, end.ts, end.nanos, input.filters.deploymentIds ?? null, input.filters.executionIds ?? null]
      const conditions = runConditionsSql(input.filters, (value) => { values.push(value); return `$${values.length}` })
      const { rows: candidates } = await client.query<[RunKind, string, Labels]>({ text: candidateRuns(conditions), rowMode: 'array', values })
      type Matched = [RunKind, string, string, number, Labels]
      const matched: Matched[] = []
      for (const [kind, id, labels] of candidates) {
        const [first] = await readRange(client, { run: { group: input.group, kind, id }, start: input.start, end: input.end, top: 1, order: 'asc' }, 1)
        if (first !== undefined) matched.push([kind, id, first.ts, first.nanos, labels])
      }
      const byFirstLine = (a: Matched, b: Matched): number =>
        compare(storedPosition({ ts: a[2], nanos: a[3], seq: '0' }), storedPosition({ ts: b[2], nanos: b[3], seq: '0' })) ||
        (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0)
      matched.sort(byFirstLine)
      if (matched.length > input.maxRuns) return { kind: 'too-many-runs', limit: input.maxRuns }
      const runs: MatchedRun[] = matched.map(([kind, id, ts, ns, labels]) => ({ kind, id, firstTs: formatStored(ts, ns), labels }))
      const { rows } = await client.query<DbRow>(`INSERT INTO exports
        (request_id, resource_group, status, filters, runs, total_executions, created_by, triggered_at)
        VALUES ($1, $2, 'QUEUED', $3, $4, $5, $6, $7) RETURNING ${COLUMNS}`,
      [input.requestId, input.group, JSON.stringify(input.filters), JSON.stringify(runs), runs.length, input.createdBy, isoOf(input.now)])
      await insertRecipients(client, input.requestId, input.recipients)
      return { kind: 'created', row: toRow(rows[0] as DbRow) }
    })
  }

  /** The export in `group`; any group's when `group` is null (the notifier, which has no caller). */
  async get (group: string | null, requestId: string): Promise<ExportRow | undefined> {
    const { rows } = await this.pool.query<DbRow>(`SELECT ${COLUMNS} FROM exports WHERE ($1::text IS NULL OR resource_group = $1) AND request_id = $2`, [group, requestId])
    return rows[0] === undefined ? undefined : toRow(rows[0])
  }

  async list (group: string, top: number, skip: number): Promise<{ count: number, rows: ExportRow[] }> {
    const { rows } = await this.pool.query<DbRow & { total: number }>(`SELECT ${COLUMNS}, count(*) OVER ()::int AS total FROM exports
      WHERE resource_group = $1 ORDER BY triggered_at DESC, request_id LIMIT $2 OFFSET $3`, [group, top, skip])
    const count = rows[0]?.total ?? (await this.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM exports WHERE resource_group = $1', [group])).rows[0]?.n ?? 0
    return { count, rows: rows.map(toRow) }
  }

  /** Exports of every group by status, for /metrics: a handful of rows a day per group, counted whole. */
  async countByStatus (): Promise<Map<JobStatus, number>> {
    const { rows } = await this.pool.query<{ status: JobStatus, n: number }>('SELECT status, count(*)::int AS n FROM exports GROUP BY status')
    return new Map(rows.map((r) => [r.status, r.n]))
  }
}

// Requesting an export, shared by POST /v2/lm/exports and GraphQL's exportExecutions: one path, so the
// quota, the run limit, the audit event and the notifications are the same whichever API is used.
import { randomUUID } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import type { Config } from '../config.js'
import { errors } from '../errors.js'
import type { LabelCondition } from '../labels.js'
import type { ExportFilters, ExportRow } from '../store/export-jobs.js'
import { recipientsOf, type NotifyRequest } from './recipients.js'
import { formatInstant, type Instant } from '../time.js'

/** REST's `labels` filter ({key: value | [values]}) as conditions. */
export const labelConditions = (labels: Record<string, string | string[]>): LabelCondition[] =>
  Object.entries(labels).map(([key, v]) => ({ key, operator: 'IN', values: typeof v === 'string' ? [v] : [...new Set(v)] }))

export interface ExportRequest {
  /** deploymentIds, executionIds and run conditions; start and end are filled in here. */
  filters: Omit<ExportFilters, 'start' | 'end'>
  start: Instant
  end: Instant
  notify: NotifyRequest
}

/** Who asks: the group they act in, the token's subject and email; `audited` logs the export.created event. */
export interface Requester {
  group: string
  subject: string
  email?: string
  audited: (facts: { exportId: string, group: string, [fact: string]: unknown }) => void
}

/** Creates the export in the requester's group, or throws the API error (429 quota, 400 too many runs). */
export async function createExport (app: FastifyInstance, config: Config, requester: Requester, input: ExportRequest): Promise<ExportRow> {
  const limits = config.exports
  const requestId = randomUUID()
  const filters: ExportFilters = { ...input.filters, start: formatInstant(input.start), end: formatInstant(input.end) }
  const recipients = recipientsOf(input.notify, config.notify, requester.group, requester.email)
  const result = await app.exports.jobs.create({
    requestId,
    group: requester.group,
    createdBy: requester.subject,
    filters,
    start: input.start,
    end: input.end,
    now: app.now(),
    dailyLimit: limits.dailyLimit,
    maxRuns: limits.maxRuns,
    recipients
  })
  if (result.kind === 'quota') {
    throw errors.tooManyRequests(`Resource group ${requester.group} has requested its ${limits.dailyLimit} exports of today (UTC); request more after midnight UTC.`, result.retryAfterSeconds)
  }
  if (result.kind === 'too-many-runs') {
    throw errors.invalidRequest(`The filters match more than ${result.limit} runs, the most one export holds: narrow the filters or list fewer runs.`, { limit: result.limit })
  }
  requester.audited({
    exportId: requestId,
    group: requester.group,
    runs: result.row.totalExecutions,
    notify: recipients.map((r) => r.target),
    filters: { deploymentIds: null, executionIds: null, ...filters }
  })
  app.exports.worker.wake()
  return result.row
}

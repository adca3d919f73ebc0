// The export object of the API, from a stored job. BUILDING is shown as QUEUED, and a READY export past
// its expiry reads EXPIRED at once, before the sweeper has marked it.
import type { ExportFilters, ExportRow } from '../store/export-jobs.js'
import type { NotificationState } from '../store/export-notifications.js'
import { NS_PER_SECOND, type Instant } from '../time.js'

export type ExportStatus = 'QUEUED' | 'READY' | 'FAILED' | 'EXPIRED'

export interface ExportView {
  requestId: string
  status: ExportStatus
  totalExecutions: number
  triggeredAt: string
  downloadLink: string | null
  expiresAt: string | null
  errorMessage: string | null
  progress: { runsWritten: number, totalExecutions: number }
  filters: ExportFilters
  notifications: NotificationState[]
}

export const isExpired = (row: ExportRow, now: Instant): boolean =>
  row.status === 'EXPIRED' || (row.status === 'READY' && row.expiresEpoch !== null && now >= BigInt(row.expiresEpoch) * NS_PER_SECOND)

function publicStatus (row: ExportRow, now: Instant): ExportStatus {
  if (isExpired(row, now)) return 'EXPIRED'
  return row.status === 'BUILDING' ? 'QUEUED' : row.status
}

/** `link` is the signed download link of a READY export (made by the caller, who holds the signer). */
export function exportView (row: ExportRow, now: Instant, link: string | null, notifications: NotificationState[]): ExportView {
  const status = publicStatus(row, now)
  return {
    requestId: row.requestId,
    status,
    totalExecutions: row.totalExecutions,
    triggeredAt: row.triggeredAt,
    downloadLink: status === 'READY' ? link : null,
    expiresAt: row.expiresAt,
    errorMessage: status === 'FAILED' ? row.errorMessage : null,
    progress: { runsWritten: row.runsWritten, totalExecutions: row.totalExecutions },
    filters: row.filters,
    notifications
  }
}

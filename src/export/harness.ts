// The export as Harness's APIs show it (ExportExecutionsPayload, ExportExecutionsRequestSummary): the same
// export object, with times in epoch milliseconds.
import type { ExportStatus, ExportView } from './view.js'

export interface HarnessExport {
  requestId: string
  status: ExportStatus
  totalExecutions: number
  triggeredAt: number
  downloadLink: string | null
  expiresAt: number | null
  errorMessage: string | null
  notifications: ExportView['notifications']
}

const epochMs = (api: string): number => Date.parse(api)

export function harnessExport (view: ExportView): HarnessExport {
  return {
    requestId: view.requestId,
    status: view.status,
    totalExecutions: view.totalExecutions,
    triggeredAt: epochMs(view.triggeredAt),
    downloadLink: view.downloadLink,
    expiresAt: view.expiresAt === null ? null : epochMs(view.expiresAt),
    errorMessage: view.errorMessage,
    notifications: view.notifications
  }
}

// Tells the operator's EXPORT_WEBHOOK_URL (Slack-compatible: a `text`) that an export is READY or FAILED.
// A webhook that fails is logged and never fails the export.
import type { FastifyBaseLogger } from 'fastify'
import type { ExportView } from './view.js'

const TIMEOUT_MS = 5000

function webhookText (view: ExportView, group: string): string {
  if (view.status === 'READY') {
    return `Logs export ${view.requestId} in resource group ${group} is READY: ${view.totalExecutions} run(s). ` +
      `Download until ${view.expiresAt ?? '?'}: ${view.downloadLink ?? ''}`
  }
  return `Logs export ${view.requestId} in resource group ${group} FAILED: ${view.errorMessage ?? 'no reason recorded'}`
}

export async function notifyWebhook (url: string | undefined, view: ExportView, group: string, log: FastifyBaseLogger): Promise<void> {
  if (url === undefined) return
  try {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ text: webhookText(view, group), export: view }),
      signal: AbortSignal.timeout(TIMEOUT_MS)
    })
    await res.body?.cancel()
    if (!res.ok) log.warn({ exportId: view.requestId, status: res.status }, 'export webhook answered an error')
  } catch (err) {
    log.warn({ exportId: view.requestId, err: { message: (err as Error).message } }, 'export webhook failed')
  }
}

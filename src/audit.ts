// Audit events: who requested or downloaded which export, and when, as structured log lines with one stable
// shape ({audit: {...}}), so an operator can ship them to a SIEM and query them (docs/exports.md).
import type { FastifyRequest } from 'fastify'
import { formatInstant } from './time.js'

export type AuditEvent = 'export.created' | 'export.downloaded' | 'export.download_refused'

export interface AuditFacts {
  exportId: string
  /** The resource group the export belongs to (on a refused download: the group the link claims). */
  group: string
  [fact: string]: unknown
}

// An operator who quiets the log to warnings still gets audit events; silent means silent.
const QUIET_LEVELS = new Set(['warn', 'error', 'fatal'])

/** Who asks for an export (src/export/request.ts), from the request: its export.created event is logged here. */
export const requesterOf = (request: FastifyRequest) => ({
  group: request.resourceGroup,
  subject: request.principal?.subject ?? '',
  ...(request.principal?.email === undefined ? {} : { email: request.principal.email }),
  audited: (facts: AuditFacts) => { audit(request, 'export.created', facts) }
})

/** Logs one audit event at info: the event, when, who (token subject, or a signed link) and from where. */
export function audit (request: FastifyRequest, event: AuditEvent, facts: AuditFacts): void {
  const log = QUIET_LEVELS.has(request.log.level) ? request.log.child({}, { level: 'info' }) : request.log
  log.info({
    audit: {
      event,
      at: formatInstant(request.server.now()),
      subject: request.principal?.subject ?? null,
      via: request.principal === null ? 'signed-link' : 'token',
      requestId: request.id,
      ip: request.ip,
      userAgent: request.headers['user-agent'] ?? null,
      ...facts
    }
  }, event)
}

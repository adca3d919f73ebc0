// Cursors of the run listing (GET /v2/lm/runs): the group, the filters and the last run sent, as base64url
// JSON with an HMAC over it. Signed under its own label, so a read cursor is never taken for one, nor back.
import { sign, signatureMatches } from '../auth/signing.js'
import type { RunListFilters, RunPosition } from '../store/runs.js'
import type { RunKind } from '../model.js'

export interface RunListCursor {
  group: string
  filters: RunListFilters
  after: RunPosition
}

interface Wire {
  runs: 1
  g: string
  k?: RunKind
  p?: string
  s?: string
  e?: string
  l?: Array<[string, string]>
  a: [string, number, RunKind, string]
}

const LABEL = 'run-list.'

export class RunListCursorError extends Error {}

export function encodeRunListCursor (secret: string, cursor: RunListCursor): string {
  const { filters, after } = cursor
  const wire: Wire = { runs: 1, g: cursor.group, a: [after.firstTs, after.firstNs, after.kind, after.id] }
  if (filters.kind !== undefined) wire.k = filters.kind
  if (filters.idPrefix !== undefined) wire.p = filters.idPrefix
  if (filters.start !== undefined) wire.s = String(filters.start)
  if (filters.end !== undefined) wire.e = String(filters.end)
  if (filters.labels !== undefined) wire.l = filters.labels
  const payload = Buffer.from(JSON.stringify(wire)).toString('base64url')
  return `${payload}.${sign(secret, LABEL + payload)}`
}

const INTEGER = /^-?\d{1,24}$/
const instant = (text: string | undefined): bigint | undefined => {
  if (text === undefined) return undefined
  if (!INTEGER.test(text)) throw new RunListCursorError('malformed')
  return BigInt(text)
}

/** Checks the signature, then the shape; throws RunListCursorError for anything encodeRunListCursor did not make. */
export function decodeRunListCursor (secret: string, text: string): RunListCursor {
  const dot = text.indexOf('.')
  if (dot <= 0) throw new RunListCursorError('malformed')
  const payload = text.slice(0, dot)
  if (!signatureMatches(secret, LABEL + payload, text.slice(dot + 1))) throw new RunListCursorError('bad signature')
  let wire: Wire
  try {
    wire = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Wire
  } catch {
    throw new RunListCursorError('malformed')
  }
  if (wire.runs !== 1 || !Array.isArray(wire.a)) throw new RunListCursorError('unknown version')
  const [firstTs, firstNs, kind, id] = wire.a
  const filters: RunListFilters = {}
  if (wire.k !== undefined) filters.kind = wire.k
  if (wire.p !== undefined) filters.idPrefix = wire.p
  const start = instant(wire.s)
  const end = instant(wire.e)
  if (start !== undefined) filters.start = start
  if (end !== undefined) filters.end = end
  if (wire.l !== undefined) filters.labels = wire.l
  return { group: wire.g, filters, after: { firstTs, firstNs, kind, id } }
}

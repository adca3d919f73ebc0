// Cursors of the run listing (GET /v2/lm/runs): the group, the filters and the last run sent, sealed
// (auth/sealed-token.ts) under their own label, so a read cursor is never taken for one, nor back.
import { seal, sealedBigInt, SealedTokenError, unseal } from '../auth/sealed-token.js'
import type { RunKind, RunListFilters, RunPosition } from '../model.js'

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
const MAX_CHARS = 2048

export function encodeRunListCursor (secret: string, cursor: RunListCursor): string {
  const { filters, after } = cursor
  const wire: Wire = { runs: 1, g: cursor.group, a: [after.firstTs, after.firstNs, after.kind, after.id] }
  if (filters.kind !== undefined) wire.k = filters.kind
  if (filters.idPrefix !== undefined) wire.p = filters.idPrefix
  if (filters.start !== undefined) wire.s = String(filters.start)
  if (filters.end !== undefined) wire.e = String(filters.end)
  if (filters.labels !== undefined) wire.l = filters.labels
  return seal(secret, LABEL, wire)
}

const instant = (text: string | undefined): bigint | undefined => text === undefined ? undefined : sealedBigInt(text)

/** Checks the signature, then the shape; throws SealedTokenError for anything encodeRunListCursor did not make. */
export function decodeRunListCursor (secret: string, text: string): RunListCursor {
  const wire = unseal(secret, LABEL, text, MAX_CHARS) as Wire
  if (wire?.runs !== 1 || !Array.isArray(wire.a)) throw new SealedTokenError('unknown version')
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

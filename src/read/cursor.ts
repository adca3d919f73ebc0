// Opaque, tamper-evident read positions: what was asked (run, frozen range, order, filters) and where the
// last line sent stands, as base64url JSON with an HMAC-SHA256 over it. Replicas must share the secret.
import { sign, signatureMatches } from '../auth/signing.js'
import type { LogFilters, RunKey, SortOrder, StoredPosition } from '../model.js'
import type { Instant } from '../time.js'

/** Where a read stands: after the line at (instant, seq), and, when following, from which seq on new lines come. */
export interface ReadPosition {
  /** The last line sent in the range phase (as stored); absent before the first line. */
  after?: StoredPosition
  /** Following only: lines with seq >= watermark were not part of the range phase (see docs/reading.md). */
  watermark?: bigint
  /** Following only: the range phase is over; every line with seq < watermark has been dealt with. */
  following?: boolean
}

export interface CursorState extends ReadPosition {
  run: RunKey
  start: Instant
  end: Instant
  order: SortOrder
  filters: LogFilters
}

interface Wire {
  v: 1
  g: string
  k: string
  i: string
  s: string
  e: string
  o: SortOrder
  f: LogFilters
  a?: [string, number, string]
  w?: string
  t?: 1
}

export class CursorError extends Error {}

export function encodeCursor (secret: string, state: CursorState): string {
  const wire: Wire = {
    v: 1,
    g: state.run.group,
    k: state.run.kind,
    i: state.run.id,
    s: String(state.start),
    e: String(state.end),
    o: state.order,
    f: state.filters
  }
  if (state.after !== undefined) wire.a = [state.after.ts, state.after.nanos, state.after.seq]
  if (state.watermark !== undefined) wire.w = String(state.watermark)
  if (state.following === true) wire.t = 1
  const payload = Buffer.from(JSON.stringify(wire)).toString('base64url')
  return `${payload}.${sign(secret, payload)}`
}

const INTEGER = /^-?\d{1,24}$/
const big = (text: unknown): bigint => {
  if (typeof text !== 'string' || !INTEGER.test(text)) throw new CursorError('malformed')
  return BigInt(text)
}

/** Checks the signature first, then the shape; throws CursorError for anything not made by encodeCursor. */
export function decodeCursor (secret: string, cursor: string): CursorState {
  const dot = cursor.indexOf('.')
  if (dot <= 0 || cursor.length > 4096) throw new CursorError('malformed')
  const payload = cursor.slice(0, dot)
  if (!signatureMatches(secret, payload, cursor.slice(dot + 1))) throw new CursorError('bad signature')
  let wire: Wire
  try {
    wire = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Wire
  } catch {
    throw new CursorError('malformed')
  }
  if (wire.v !== 1 || (wire.k !== 'deployment' && wire.k !== 'execution')) throw new CursorError('unknown version')
  return {
    run: { group: wire.g, kind: wire.k, id: wire.i },
    start: big(wire.s),
    end: big(wire.e),
    order: wire.o,
    filters: wire.f,
    ...(wire.a === undefined ? {} : { after: { ts: String(wire.a[0]), nanos: Number(wire.a[1]), seq: String(big(wire.a[2])) } }),
    ...(wire.w === undefined ? {} : { watermark: big(wire.w) }),
    ...(wire.t === 1 ? { following: true } : {})
  }
}

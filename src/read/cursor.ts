// Opaque, tamper-evident read positions: what was asked (run, frozen range, order, filters) and where the
// last line sent stands, sealed (auth/sealed-token.ts).
import { seal, sealedBigInt, SealedTokenError, unseal } from '../auth/sealed-token.js'
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

/** DATA_DIR's file of the cursor secret when CURSOR_SECRET is not set; read and run listing cursors share it. */
export const CURSOR_SECRET_FILE = 'cursor-secret'

// Read cursors were signed before tokens had labels: the empty label keeps those in clients' hands valid.
const LABEL = ''
const MAX_CHARS = 4096

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
  return seal(secret, LABEL, wire)
}

const big = sealedBigInt

/** Checks the signature first, then the shape; throws SealedTokenError for anything not made by encodeCursor. */
export function decodeCursor (secret: string, cursor: string): CursorState {
  const wire = unseal(secret, LABEL, cursor, MAX_CHARS) as Wire
  if (wire?.v !== 1 || (wire.k !== 'deployment' && wire.k !== 'execution')) throw new SealedTokenError('unknown version')
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

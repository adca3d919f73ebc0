// Resolves a read request's parameters into a range: defaults, the `top`/`order` aliases SAP's Python
// client sends, and the checks that span several parameters.
import { errors } from '../errors.js'
import { NS_PER_SECOND, type Instant } from '../time.js'
import type { LogRange, RunKey, SortOrder } from './model.js'

export const DEFAULT_TOP = 1000
export const MAX_TOP = 5000
const DEFAULT_SPAN = 3600n * NS_PER_SECOND

export interface ReadParameters {
  start?: Instant
  end?: Instant
  $top?: number
  top?: number
  $order?: SortOrder
  order?: SortOrder
}

function oneOf<T> (name: string, dollar: T | undefined, plain: T | undefined): T | undefined {
  if (dollar !== undefined && plain !== undefined && dollar !== plain) {
    throw errors.invalidRequest(`Query parameters $${name} and ${name} are the same parameter and were given different values.`,
      { parameters: [`$${name}`, name] })
  }
  return dollar ?? plain
}

export function resolveRange (run: RunKey, params: ReadParameters, now: Instant): LogRange {
  const top = oneOf('top', params.$top, params.top) ?? DEFAULT_TOP
  const order = oneOf('order', params.$order, params.order) ?? 'asc'
  const end = params.end ?? now
  const start = params.start ?? end - DEFAULT_SPAN
  if (start > end) throw errors.invalidRequest('Query parameter start must not be after end.', { parameters: ['start', 'end'] })
  return { run, start, end, top, order }
}

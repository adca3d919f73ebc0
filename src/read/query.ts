// Resolves a read request's parameters into a range: defaults, the `top`/`order` aliases SAP's Python
// client sends, the checks that span several parameters, and a cursor's frozen range and filters.
import { errors } from '../errors.js'
import { MIN_INSTANT, NS_PER_SECOND, parseRfc3339, type Instant } from '../time.js'
import type { CursorState } from './cursor.js'
import { FILTER_NAMES, type LogFilters, type LogRange, type RunKey, type SortOrder, type StreamName } from '../model.js'
import type { ReadFormat } from './format.js'

const DEFAULT_TOP = 1000
/** SAP's limit of a JSON page. */
const MAX_TOP = 5000
const DEFAULT_SPAN = 3600n * NS_PER_SECOND
/** A followed range without `end` has no end: new lines of any time arrive. */
export const FOLLOW_END: Instant = parseRfc3339('9999-12-31T23:59:59.999999999Z')

export interface ReadParameters {
  start?: Instant
  end?: Instant
  $top?: number
  top?: number
  $order?: SortOrder
  order?: SortOrder
  container?: string
  pod?: string
  stream?: StreamName
  contains?: string
}

/** The largest $top of a response format: SAP's for its JSON page, STREAM_MAX_LINES for the streamed formats. */
export const maxTopFor = (format: ReadFormat, streamMaxLines: number): number => format === 'json' ? MAX_TOP : streamMaxLines

const maxInstant = (a: Instant, b: Instant): Instant => (a > b ? a : b)

function oneOf<T> (name: string, dollar: T | undefined, plain: T | undefined): T | undefined {
  if (dollar !== undefined && plain !== undefined && dollar !== plain) {
    throw errors.invalidRequest(`Query parameters $${name} and ${name} are the same parameter and were given different values.`,
      { parameters: [`$${name}`, name] })
  }
  return dollar ?? plain
}

function filtersOf (params: ReadParameters): LogFilters {
  const filters: LogFilters = {}
  for (const name of FILTER_NAMES) {
    const value = params[name]
    if (value !== undefined) Object.assign(filters, { [name]: value })
  }
  return filters
}

/** The parameters sent beside a cursor that say something else than the cursor: a 400 naming them. */
function disagreeing (cursor: CursorState, params: ReadParameters, order: SortOrder | undefined): string[] {
  const names: string[] = []
  if (params.start !== undefined && params.start !== cursor.start) names.push('start')
  if (params.end !== undefined && params.end !== cursor.end) names.push('end')
  if (order !== undefined && order !== cursor.order) names.push(params.$order === undefined ? 'order' : '$order')
  for (const name of FILTER_NAMES) {
    if (params[name] !== undefined && params[name] !== cursor.filters[name]) names.push(name)
  }
  return names
}

export interface ReadOptions {
  /** The largest $top this response format allows (maxTopFor). */
  maxTop: number
  follow: boolean
  cursor?: CursorState
}

export function resolveRange (run: RunKey, params: ReadParameters, now: Instant, options: ReadOptions): LogRange {
  const range = rangeOf(run, params, now, options)
  if (options.follow && (params.$top !== undefined || params.top !== undefined)) {
    throw errors.invalidRequest('follow=true sends every line of the range and then new ones: $top does not apply.', { parameters: ['follow', params.$top === undefined ? 'top' : '$top'] })
  }
  return range
}

function rangeOf (run: RunKey, params: ReadParameters, now: Instant, options: ReadOptions): LogRange {
  const top = oneOf('top', params.$top, params.top) ?? DEFAULT_TOP
  const topName = params.$top === undefined ? 'top' : '$top'
  if (top > options.maxTop) {
    throw errors.invalidRequest(`Invalid query parameter ${topName}: must be an integer from 1 to ${options.maxTop}.`, { parameter: topName })
  }
  const order = oneOf('order', params.$order, params.order)
  if (options.follow && order === 'desc') {
    throw errors.invalidRequest('follow=true reads oldest first: $order=desc cannot be followed.', { parameters: ['follow', params.$order === undefined ? 'order' : '$order'] })
  }
  const cursor = options.cursor
  if (cursor !== undefined) {
    if (cursor.run.group !== run.group || cursor.run.kind !== run.kind || cursor.run.id !== run.id) {
      throw errors.invalidRequest('The cursor belongs to another run or resource group.', { parameter: 'cursor' })
    }
    const names = disagreeing(cursor, params, order)
    if (names.length > 0) {
      throw errors.invalidRequest(`The cursor carries its own range, order and filters; these parameters disagree with it: ${names.join(', ')}. Send the cursor without them.`, { parameters: names })
    }
    if (options.follow && cursor.order === 'desc') throw errors.invalidRequest('A cursor of a desc read cannot be followed.', { parameter: 'cursor' })
    return { run, start: cursor.start, end: cursor.end, top, order: cursor.order, filters: cursor.filters, ...(cursor.after === undefined ? {} : { after: cursor.after }) }
  }
  const end = params.end ?? (options.follow ? FOLLOW_END : now)
  // The hour before an end in the first hour of year 1 starts where stored time starts.
  const start = params.start ?? maxInstant(MIN_INSTANT, (params.end ?? now) - DEFAULT_SPAN)
  if (start > end) throw errors.invalidRequest('Query parameter start must not be after end.', { parameters: ['start', 'end'] })
  return { run, start, end, top, order: order ?? 'asc', filters: filtersOf(params) }
}

// The run listing (GET /v2/lm/runs): a page of the group's runs, newest first, and the cursor that continues
// it with the same filters.
import { SealedTokenError } from '../auth/sealed-token.js'
import { errors } from '../errors.js'
import type { RunListFilters, RunSummary } from '../model.js'
import type { RunCatalog } from '../store/runs.js'
import { formatStored } from '../time.js'
import { decodeRunListCursor, encodeRunListCursor, type RunListCursor } from './list-cursor.js'

const FILTERS = ['kind', 'idPrefix', 'start', 'end', 'labels'] as const
const same = (a: unknown, b: unknown): boolean => a === b || JSON.stringify(a) === JSON.stringify(b)

/** A run as the API shows it. */
export const runResource = (run: RunSummary) => ({
  kind: run.kind,
  id: run.id,
  firstTimestamp: formatStored(run.firstTs, run.firstNs),
  lastTimestamp: formatStored(run.lastTs, run.lastNs),
  lineCount: Number(run.lineCount),
  labels: run.labels
})

export interface RunPage { resources: Array<ReturnType<typeof runResource>>, nextCursor?: string }

export class RunListing {
  constructor (private readonly catalog: RunCatalog, private readonly secret: () => Promise<string>) {}

  /** The page after `cursor` (which carries its own filters; `given` may only repeat them), or the first. */
  async page (group: string, given: RunListFilters, cursorText: string | undefined, top: number): Promise<RunPage> {
    const cursor = cursorText === undefined ? undefined : await this.cursorOf(cursorText, group, given)
    const filters = cursor?.filters ?? given
    if (filters.start !== undefined && filters.end !== undefined && filters.start > filters.end) {
      throw errors.invalidRequest('Query parameter start must not be after end.', { parameters: ['start', 'end'] })
    }
    // One run more than asked says whether more remain.
    const runs = await this.catalog.list(group, filters, cursor?.after, top + 1)
    const more = runs.length > top
    if (more) runs.pop()
    const resources = runs.map(runResource)
    const last = runs[runs.length - 1]
    if (!more || last === undefined) return { resources }
    const after = { kind: last.kind, id: last.id, firstTs: last.firstTs, firstNs: last.firstNs }
    return { resources, nextCursor: encodeRunListCursor(await this.secret(), { group, filters, after }) }
  }

  private async cursorOf (text: string, group: string, given: RunListFilters): Promise<RunListCursor> {
    let cursor: RunListCursor
    try {
      cursor = decodeRunListCursor(await this.secret(), text)
    } catch (err) {
      if (!(err instanceof SealedTokenError)) throw err
      throw errors.invalidRequest('The cursor is not a run listing cursor this service made, or it was altered.', { parameter: 'cursor' })
    }
    if (cursor.group !== group) throw errors.invalidRequest('The cursor belongs to another resource group.', { parameter: 'cursor' })
    const disagreeing = FILTERS.filter((name) => given[name] !== undefined && !same(given[name], cursor.filters[name]))
    if (disagreeing.length > 0) {
      throw errors.invalidRequest(`The cursor carries its own filters; these parameters disagree with it: ${disagreeing.map((n) => n === 'labels' ? 'label' : n).join(', ')}. Send the cursor without them.`, { parameters: disagreeing })
    }
    return cursor
  }
}

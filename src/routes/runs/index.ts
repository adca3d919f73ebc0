// GET /v2/lm/runs: the runs of the caller's resource group, newest first (by first line), paged by signed
// cursors (scope logs.read). The console lists from it.
import type { FastifyInstance } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { lazySecret } from '../../auth/signing.js'
import type { Config } from '../../config.js'
import { errors } from '../../errors.js'
import { decodeRunListCursor, encodeRunListCursor, RunListCursorError, type RunListCursor } from '../../runs/list-cursor.js'
import type { RunListFilters } from '../../store/runs.js'
import { CURSOR_SECRET_FILE } from '../logs/read.js'
import { errorResponse, resourceGroupHeaders } from '../../schemas/common.js'
import labelRoutes, { runResource } from './labels.js'
import { DEFAULT_RUNS_TOP, listRunsQuery, runList } from './schemas.js'

const FILTERS = ['kind', 'idPrefix', 'start', 'end', 'labels'] as const
const same = (a: unknown, b: unknown): boolean => a === b || JSON.stringify(a) === JSON.stringify(b)

export default async function runRoutes (app: FastifyInstance, opts: { config: Config }): Promise<void> {
  const secret = lazySecret(opts.config.cursorSecret, opts.config.dataDir, CURSOR_SECRET_FILE)

  async function cursorOf (text: string, group: string, given: RunListFilters): Promise<RunListCursor> {
    let cursor: RunListCursor
    try {
      cursor = decodeRunListCursor(await secret(), text)
    } catch (err) {
      if (!(err instanceof RunListCursorError)) throw err
      throw errors.invalidRequest('The cursor is not a run listing cursor this service made, or it was altered.', { parameter: 'cursor' })
    }
    if (cursor.group !== group) throw errors.invalidRequest('The cursor belongs to another resource group.', { parameter: 'cursor' })
    const disagreeing = FILTERS.filter((name) => given[name] !== undefined && !same(given[name], cursor.filters[name]))
    if (disagreeing.length > 0) {
      throw errors.invalidRequest(`The cursor carries its own filters; these parameters disagree with it: ${disagreeing.map((n) => n === 'labels' ? 'label' : n).join(', ')}. Send the cursor without them.`, { parameters: disagreeing })
    }
    return cursor
  }

  app.withTypeProvider<ZodTypeProvider>().get('/v2/lm/runs', {
    onRequest: app.requireScope('logs.read'),
    schema: {
      operationId: 'runs.list',
      summary: 'List runs',
      description: 'The deployments and executions of the resource group that have lines, newest first (by their first line), with their first and last line\'s time, line count and labels; label=key=value (repeatable) selects by label. Scope logs.read.',
      tags: ['Runs'],
      security: [{ bearerAuth: [] }],
      headers: resourceGroupHeaders,
      querystring: listRunsQuery,
      response: { 200: runList, 400: errorResponse, 401: errorResponse, 403: errorResponse }
    }
  }, async (request) => {
    const { cursor: cursorText, $top, label, ...rest } = request.query
    const given: RunListFilters = { ...rest, ...(label === undefined ? {} : { labels: label }) }
    const group = request.resourceGroup
    const cursor = cursorText === undefined ? undefined : await cursorOf(cursorText, group, given)
    const filters = cursor?.filters ?? given
    if (filters.start !== undefined && filters.end !== undefined && filters.start > filters.end) {
      throw errors.invalidRequest('Query parameter start must not be after end.', { parameters: ['start', 'end'] })
    }
    const top = $top ?? DEFAULT_RUNS_TOP
    // One run more than asked says whether more remain.
    const rows = await app.runs.list(group, filters, cursor?.after, top + 1)
    const more = rows.length > top
    if (more) rows.pop()
    const resources = rows.map(runResource)
    const last = rows[rows.length - 1]
    if (!more || last === undefined) return { resources }
    const nextCursor = encodeRunListCursor(await secret(), { group, filters, after: { kind: last[0], id: last[1], firstTs: last[2], firstNs: last[3] } })
    return { resources, nextCursor }
  })

  await app.register(labelRoutes)
}

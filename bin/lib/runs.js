// @ts-check
// run-logs runs: the group's runs, newest first, with the filters of GET /v2/lm/runs.
import { requestJson, usage } from './client.js'
import { writeOut } from './output.js'
import { sinceStart } from './time.js'

export const RUNS_OPTIONS = /** @type {const} */ ({
  kind: { type: 'string' },
  'id-prefix': { type: 'string' },
  since: { type: 'string' },
  start: { type: 'string' },
  end: { type: 'string' },
  top: { type: 'string' },
  output: { type: 'string', short: 'o' }
})

const PAGE = 1000

/**
 * @param {import('./client.js').Connection} conn
 * @param {string[]} args
 * @param {Record<string, string | boolean | undefined>} o
 */
export async function runsCommand (conn, args, o) {
  if (args.length > 0) throw usage('usage: run-logs runs [--kind deployment|execution] [--id-prefix P] [--since D | --start T] [--end T] [--top N] [-o text|json|ndjson]')
  const format = /** @type {string} */ (o.output ?? 'text')
  if (!['text', 'json', 'ndjson'].includes(format)) throw usage('-o must be text, json or ndjson')
  const top = o.top === undefined ? 100 : Number(o.top)
  if (!Number.isInteger(top) || top < 1) throw usage('--top must be a positive whole number')
  const params = new URLSearchParams()
  if (typeof o.kind === 'string') params.set('kind', o.kind)
  if (typeof o['id-prefix'] === 'string') params.set('idPrefix', o['id-prefix'])
  const start = typeof o.since === 'string' ? sinceStart(o.since) : o.start
  if (typeof start === 'string') params.set('start', start)
  if (typeof o.end === 'string') params.set('end', o.end)

  /** @type {Array<Record<string, unknown>>} */
  const runs = []
  /** @type {string | undefined} */
  let cursor
  do {
    const query = new URLSearchParams(cursor === undefined ? params : { cursor })
    query.set('$top', String(Math.min(PAGE, top - runs.length)))
    const body = await requestJson(conn, `/v2/lm/runs?${query}`)
    if (format === 'text' && cursor === undefined) await writeOut(`${'KIND'.padEnd(11)} ${'ID'.padEnd(24)} ${'FIRST LINE'.padEnd(32)} ${'LAST LINE'.padEnd(32)} LINES\n`)
    for (const run of body.resources) {
      runs.push(run)
      if (format === 'ndjson') await writeOut(JSON.stringify(run) + '\n')
      if (format === 'text') await writeOut(`${String(run.kind).padEnd(11)} ${String(run.id).padEnd(24)} ${String(run.firstTimestamp).padEnd(32)} ${String(run.lastTimestamp).padEnd(32)} ${run.lineCount}\n`)
    }
    cursor = body.nextCursor
  } while (cursor !== undefined && runs.length < top)
  if (format === 'json') await writeOut(JSON.stringify(runs, null, 2) + '\n')
}

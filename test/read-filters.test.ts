// Filters (contract, "Reading further"): container, pod, stream and contains, alone and combined, with
// paging; bad values are a 400 naming the parameter.
import t from 'tap'
import { authHeaders, buildTestApp } from './helpers/app.js'

const at = (iso: string): bigint => BigInt(Date.parse(iso)) * 1_000_000n
const NOW = at('2025-03-10T12:00:00.000Z')
const rfc3339 = (ns: bigint): string =>
  `${new Date(Number(ns / 1_000_000n)).toISOString().slice(0, 19)}.${String(ns % 1_000_000_000n).padStart(9, '0')}Z`

interface Item { container: string, msg: string, pod: string, stream: string, timestamp: string }

const { app } = await buildTestApp(t, { now: () => NOW })
const headers = await authHeaders()
const RUN = '/v2/lm/executions/filters-1'
const lines = Array.from({ length: 600 }, (_, i) => ({
  timestamp: rfc3339(NOW - 40n * 60_000_000_000n + BigInt(Math.floor(i / 3)) * 1_000_000_000n),
  msg: `${i % 7 === 0 ? 'ERROR 50%_of disk' : 'ok'} request ${i}`,
  pod: `pod-${i % 3}`,
  container: i % 2 === 0 ? 'main' : 'sidecar',
  stream: i % 5 === 0 ? 'stderr' : 'stdout'
}))
await app.inject({ method: 'POST', url: `${RUN}/logs`, headers, payload: lines })

const read = async (query: string): Promise<Item[]> => {
  const res = await app.inject({ url: `${RUN}/logs?$top=5000&${query}`, headers })
  if (res.statusCode !== 200) throw new Error(res.body)
  return res.json().data.result as Item[]
}
const msgs = (items: Array<{ msg: string }>): string[] => items.map((i) => i.msg)
const where = (keep: (l: typeof lines[number]) => boolean): string[] => msgs(lines.filter(keep))

t.test('each filter alone', async (t) => {
  t.same(msgs(await read('container=sidecar')), where((l) => l.container === 'sidecar'))
  t.same(msgs(await read('pod=pod-2')), where((l) => l.pod === 'pod-2'))
  t.same(msgs(await read('stream=stderr')), where((l) => l.stream === 'stderr'))
  t.same(msgs(await read('stream=stdout')), where((l) => l.stream === 'stdout'))
  t.same(msgs(await read('contains=ERROR')), where((l) => l.msg.includes('ERROR')))
  t.same(msgs(await read('contains=50%25_of')), where((l) => l.msg.includes('50%_of')), '% and _ are plain characters, not wildcards')
  t.same(msgs(await read('contains=error')), [], 'contains is case-sensitive')
  t.same(msgs(await read('pod=pod-9')), [], 'no match: an empty result')
})

t.test('filters combined are all required', async (t) => {
  t.same(msgs(await read('container=main&stream=stderr')), where((l) => l.container === 'main' && l.stream === 'stderr'))
  t.same(msgs(await read('container=main&pod=pod-1&stream=stderr&contains=ERROR')),
    where((l) => l.container === 'main' && l.pod === 'pod-1' && l.stream === 'stderr' && l.msg.includes('ERROR')))
  t.same(msgs(await read('pod=pod-0&contains=request 1&$order=desc')), where((l) => l.pod === 'pod-0' && l.msg.includes('request 1')).reverse())
})

t.test('paging a filtered read: the cursor keeps the filters', async (t) => {
  const expected = where((l) => l.container === 'sidecar' && l.msg.includes('ERROR'))
  const got: string[] = []
  let url = `${RUN}/logs?container=sidecar&contains=ERROR&$top=4`
  for (;;) {
    const body = (await app.inject({ url, headers })).json() as { data: { result: Item[], nextCursor?: string } }
    got.push(...msgs(body.data.result))
    if (body.data.nextCursor === undefined) break
    url = `${RUN}/logs?cursor=${body.data.nextCursor}&$top=4`
  }
  t.same(got, expected)
})

t.test('bad filter values are a 400 naming the parameter', async (t) => {
  const cases: Array<[string, string]> = [['stream=STDERR', 'stream'], ['stream=both', 'stream'], ['contains=', 'contains'], [`contains=${'x'.repeat(1025)}`, 'contains'],
    [`container=${'c'.repeat(254)}`, 'container'], [`pod=${'p'.repeat(254)}`, 'pod'], ['pod=a&pod=b', 'pod']]
  for (const [query, parameter] of cases) {
    const res = await app.inject({ url: `${RUN}/logs?${query}`, headers })
    t.equal(res.statusCode, 400, query.slice(0, 40))
    t.equal(res.json().error.details.parameter, parameter)
    t.match(res.json().error.message, parameter)
  }
})

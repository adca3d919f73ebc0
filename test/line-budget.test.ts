// The admission budget of JSON pages: lines in flight never pass the capacity, waiting pages go in arrival
// order, a release counts once, and over HTTP a page gives its lines back when its response has left.
import t from 'tap'
import { EventEmitter } from 'node:events'
import { LineBudget, takeForResponse } from '../src/read/line-budget.js'
import { authHeaders, buildTestApp } from './helpers/app.js'

const tick = async (): Promise<void> => { await new Promise((resolve) => setImmediate(resolve)) }

t.test('pages that fit go at once; the rest wait, first come first served, until lines are given back', async (t) => {
  const budget = new LineBudget(10_000)
  const first = await budget.take(5001)
  const admitted: string[] = []
  const second = budget.take(5001).then((release) => { admitted.push('second'); return release })
  const third = budget.take(101).then((release) => { admitted.push('third'); return release })
  await tick()
  t.same(admitted, [], 'neither fits beside the first page; the small one does not overtake the second')
  t.same(budget.state, { used: 5001, waiting: 2 })
  first()
  first()
  await tick()
  t.same(admitted, ['second', 'third'], 'both fit once the first is back, in order')
  t.same(budget.state, { used: 5102, waiting: 0 }, 'a second release of the same page counts nothing')
  ;(await second)()
  ;(await third)()
  t.same(budget.state, { used: 0, waiting: 0 })
})

t.test('a page larger than the whole budget waits for an empty one and then goes alone', async (t) => {
  const budget = new LineBudget(6000)
  const small = await budget.take(100)
  let big: (() => void) | undefined
  const pending = budget.take(9000).then((release) => { big = release })
  await tick()
  t.equal(big, undefined)
  small()
  await pending
  t.same(budget.state, { used: 6000, waiting: 0 })
  big?.()
  t.same(budget.state, { used: 0, waiting: 0 })
})

t.test('a response that closes while its page waits gives the lines back once admitted', async (t) => {
  const budget = new LineBudget(5001)
  const first = new EventEmitter()
  t.equal(await takeForResponse(budget, first, 5001), true, 'admitted at once, the client still there')
  const gone = new EventEmitter()
  const waiting = takeForResponse(budget, gone, 5001)
  await tick()
  gone.emit('close') // the client left before its turn
  first.emit('close')
  t.equal(await waiting, false, 'admitted, but the client is gone: the page is not read')
  await tick()
  t.same(budget.state, { used: 0, waiting: 0 }, 'nothing stays taken for a connection that is gone')
  const next = new EventEmitter()
  await takeForResponse(budget, next, 5001)
  t.same(budget.state, { used: 5001, waiting: 0 })
  next.emit('close')
  await tick()
  t.same(budget.state, { used: 0, waiting: 0 })
})

t.test('over HTTP, concurrent pages past the budget are all served whole and the budget ends empty', async (t) => {
  const { app } = await buildTestApp(t, { env: { READ_LINES_IN_FLIGHT: '5001' } })
  const headers = await authHeaders()
  const now = Date.now()
  const lines = Array.from({ length: 300 }, (_, i) => ({ timestamp: new Date(now - 60_000 + i).toISOString(), msg: `line ${i}` }))
  const write = await app.inject({ method: 'POST', url: '/v2/lm/deployments/d-budget/logs', headers, payload: lines })
  t.equal(write.statusCode, 200)
  const start = encodeURIComponent(new Date(now - 120_000).toISOString())
  const reads = await Promise.all(Array.from({ length: 6 }, async () =>
    await app.inject({ url: `/v2/lm/deployments/d-budget/logs?$top=5000&start=${start}`, headers })))
  for (const res of reads) {
    t.equal(res.statusCode, 200)
    t.equal(res.json<{ data: { result: unknown[] } }>().data.result.length, 300)
  }
  const missing = await app.inject({ url: '/v2/lm/deployments/d-none/logs?$top=5000', headers })
  t.equal(missing.statusCode, 404, 'a page that ends in an error gives its lines back too')
  const again = await app.inject({ url: `/v2/lm/deployments/d-budget/logs?$top=5000&start=${start}`, headers })
  t.equal(again.statusCode, 200, 'the budget is free again: the next page is served')
})

t.test('closing with pages waiting for the budget: they are answered 503 before the pools end, nothing is logged as an error', async (t) => {
  const logged: Array<{ level: number, msg?: string, err?: { message?: string } }> = []
  const { default: pino } = await import('pino')
  const loggerInstance = pino({ level: 'info' }, { write: (line: string) => { logged.push(JSON.parse(line)) } })
  const { app } = await buildTestApp(t, { loggerInstance, env: { RATE_LIMIT_READS_PER_MINUTE: '0' } })
  const headers = await authHeaders()
  const at = new Date(Date.now() - 60_000).toISOString()
  const write = await app.inject({ method: 'POST', url: '/v2/lm/executions/e-closing/logs', headers, payload: Array.from({ length: 6000 }, (_, i) => ({ timestamp: at, msg: `line ${i}` })) })
  t.equal(write.statusCode, 200)
  const reads = Array.from({ length: 20 }, async () => await app.inject({ url: '/v2/lm/executions/e-closing/logs?$top=5000', headers }))
  await tick()
  await app.close()
  const statuses = (await Promise.all(reads)).map((r) => r.statusCode)
  t.ok(statuses.every((s) => s === 200 || s === 503), `each page served or refused 503: ${statuses.join(' ')}`)
  t.ok(statuses.includes(503), 'the waiting pages are refused')
  t.same(logged.filter((l) => l.level >= 50).map((l) => `${l.msg} ${l.err?.message ?? ''}`), [], 'no error-level log')
})

// kill -9 of the service while clients write: after a restart on the same database, every line of every
// batch answered 2xx is there exactly once, nothing of a batch answered 4xx/5xx is, and a batch whose
// connection died unanswered (the client cannot know) is there whole or not at all, never in part.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import t from 'tap'
import { startServiceProcess } from '../scripts/service-process.js'
import { authHeaders, TEST_SECRET } from './helpers/app.js'
import { createTestDatabase } from './helpers/database.js'
import { batchLines, postBatch, sleep, type Outcome } from './helpers/load.js'

const CLIENTS = 6
const BATCH = 500

t.test('SIGKILL under concurrent writes: acknowledged lines survive, refused ones never appear, none in part', async (t) => {
  const databaseUrl = await createTestDatabase(t)
  const dataDir = await mkdtemp(path.join(tmpdir(), 'run-logs-crash-'))
  t.teardown(async () => { await rm(dataDir, { recursive: true, force: true }) })
  const settings = { DATABASE_URL: databaseUrl, AUTH_JWT_SECRET: TEST_SECRET, DATA_DIR: dataDir, LOG_LEVEL: 'warn' }
  const first = await startServiceProcess(settings)
  t.teardown(() => { first.child.kill('SIGKILL') })
  const headers = await authHeaders({}, 'crash')
  const at = Date.now() - 10 * 60_000
  // Two runs shared by all clients (their row locks contend) and one of each client's own.
  const runOf = (client: number, batch: number): string => batch % 2 === 0 ? `e-crash-shared-${batch % 4}` : `e-crash-own-${client}`

  const outcomes: Outcome[] = []
  const state = { writing: true }
  const clients = Array.from({ length: CLIENTS }, async (_, client) => {
    for (let batch = 0; state.writing; batch++) {
      const lines = batchLines('crash', client, batch, BATCH, at + batch * BATCH)
      // Every fifth batch has a bad line at its end: 400, and nothing of it may be stored.
      if (batch % 5 === 4) lines[BATCH - 1] = { timestamp: 'not a time', msg: lines[BATCH - 1]?.msg ?? '' }
      const outcome = await postBatch(`${first.baseUrl}/v2/lm/executions/${runOf(client, batch)}/logs`, headers, client, batch, lines)
      outcomes.push(outcome)
      if (outcome.status === undefined) return // the service is gone
    }
  })
  // Kill once a good number of writes have been answered, while every client has one in flight.
  for (let i = 0; i < 3000 && outcomes.filter((o) => o.status === 200).length < 30; i++) await sleep(20)
  first.child.kill('SIGKILL')
  await first.exited
  await sleep(200)
  state.writing = false
  await Promise.all(clients)

  const acked = outcomes.filter((o) => o.status !== undefined && o.status >= 200 && o.status < 300)
  const refused = outcomes.filter((o) => o.status !== undefined && o.status >= 300)
  const unanswered = outcomes.filter((o) => o.status === undefined)
  t.ok(acked.length >= 30, `${acked.length} batches answered 2xx`)
  t.ok(refused.length > 0 && refused.every((o) => o.status === 400), `${refused.length} batches answered 400 (a bad line)`)
  t.equal(unanswered.length, CLIENTS, 'each client had a write in flight when the service died')

  const second = await startServiceProcess(settings)
  t.teardown(() => { second.child.kill('SIGKILL') })
  const stored = new Map<string, number>()
  const runs = new Set(outcomes.map((o) => runOf(o.client, o.batch)))
  for (const run of runs) {
    const res = await fetch(`${second.baseUrl}/v2/lm/executions/${run}/logs?start=${new Date(at - 1000).toISOString()}&$top=1000000`,
      { headers: { ...headers, accept: 'application/x-ndjson' } })
    if (res.status === 404) continue // only unanswered or refused batches went to it
    t.equal(res.status, 200, `read ${run} after the restart`)
    for (const line of (await res.text()).split('\n')) {
      if (line === '') continue
      const { msg } = JSON.parse(line) as { msg: string }
      stored.set(msg, (stored.get(msg) ?? 0) + 1)
    }
  }
  const count = (o: Outcome): number => o.markers.filter((m) => stored.has(m)).length
  t.same(acked.filter((o) => !o.markers.every((m) => stored.get(m) === 1)).map((o) => `c${o.client}-b${o.batch}`), [],
    `every line of the ${acked.length} acknowledged batches is there exactly once`)
  t.same(refused.filter((o) => count(o) > 0).map((o) => `c${o.client}-b${o.batch}`), [], 'nothing of a refused batch')
  const whole = unanswered.filter((o) => count(o) === BATCH)
  const none = unanswered.filter((o) => count(o) === 0)
  t.equal(whole.length + none.length, unanswered.length, `each unanswered batch is all or nothing (${whole.length} committed before the kill, ${none.length} not)`)
  t.ok(whole.every((o) => o.markers.every((m) => stored.get(m) === 1)), 'a committed unanswered batch is there once')
  const expected = acked.length * BATCH + whole.length * BATCH
  t.equal(stored.size, expected, `nothing else is stored: ${expected} lines`)
  second.child.kill('SIGTERM')
  t.equal(await second.exited, 0)
})

// SIGTERM under load: requests in flight complete (a long NDJSON read, a write of 10,000 lines, the load's
// writes), requests after the signal are refused (503 Unavailable or no connection), and the process exits
// with code 0 within SHUTDOWN_GRACE_SECONDS.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import pg from 'pg'
import t from 'tap'
import { startServiceProcess } from '../scripts/service-process.js'
import { authHeaders, TEST_SECRET } from './helpers/app.js'
import { createTestDatabase, storedMessages } from './helpers/database.js'
import { batchLines, postBatch, sleep, type Outcome } from './helpers/load.js'

const CLIENTS = 4
const GRACE_SECONDS = 10
const READ_LINES = 100_000

t.test('SIGTERM under load: in-flight requests complete, new ones are refused, exit 0 in time', async (t) => {
  const databaseUrl = await createTestDatabase(t)
  const dataDir = await mkdtemp(path.join(tmpdir(), 'run-logs-shutdown-'))
  t.teardown(async () => { await rm(dataDir, { recursive: true, force: true }) })
  const service = await startServiceProcess({
    DATABASE_URL: databaseUrl, AUTH_JWT_SECRET: TEST_SECRET, DATA_DIR: dataDir, LOG_LEVEL: 'info', SHUTDOWN_GRACE_SECONDS: String(GRACE_SECONDS)
  })
  t.teardown(() => { service.child.kill('SIGKILL') })
  const base = service.baseUrl
  const headers = await authHeaders({}, 'shutdown')
  const at = Date.now() - 20 * 60_000
  for (let b = 0; b < READ_LINES / 10_000; b++) {
    const res = await fetch(`${base}/v2/lm/executions/e-big/logs`, {
      method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify(batchLines('big', 0, b, 10_000, at + b * 10_000))
    })
    t.equal(res.status, 200, `preloaded batch ${b}`)
  }

  // The load: clients writing batches and reading pages without pause.
  const outcomes: Outcome[] = []
  const reads: Array<{ status?: number, code?: string, sentAt: number, answeredAt: number }> = []
  const load = { on: true }
  t.teardown(() => { load.on = false })
  const clients = Array.from({ length: CLIENTS }, async (_, client) => {
    for (let batch = 0; load.on; batch++) {
      const outcome = await postBatch(`${base}/v2/lm/executions/e-load-${client}/logs`, headers, client, batch, batchLines('load', client, batch, 200, at + batch * 200))
      outcomes.push(outcome)
      const sentAt = Date.now()
      try {
        const res = await fetch(`${base}/v2/lm/executions/e-big/logs?$top=100&start=${new Date(at).toISOString()}`, { headers })
        const body = await res.json() as { error?: { code: string } }
        reads.push({ status: res.status, code: body.error?.code, sentAt, answeredAt: Date.now() })
      } catch {
        reads.push({ sentAt, answeredAt: Date.now() })
      }
      if (outcome.status === undefined) return
    }
  })
  await sleep(500)

  // In flight when the signal comes: a long NDJSON read (headers and a first chunk received) and a big write.
  const read = await fetch(`${base}/v2/lm/executions/e-big/logs?start=${new Date(at).toISOString()}&$top=${READ_LINES}`,
    { headers: { ...headers, accept: 'application/x-ndjson' } })
  t.equal(read.status, 200)
  const reader = (read.body as ReadableStream<Uint8Array>).getReader()
  const firstChunk = await reader.read()
  const bigWrite = fetch(`${base}/v2/lm/executions/e-big-write/logs`, {
    method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify(batchLines('big-write', 0, 0, 10_000, at))
  })
  await sleep(20)
  const signalAt = Date.now()
  service.child.kill('SIGTERM')
  for (let i = 0; i < 500 && !service.output().includes('"msg":"closing"'); i++) await sleep(10)
  t.match(service.output(), /"signal":"SIGTERM","msg":"closing"/, 'the service began closing')
  const closingAt = Date.now()

  // New requests after the signal: refused, with the contract's 503 or no connection at all.
  for (let i = 0; i < 5; i++) {
    const res = await fetch(`${base}/v2/lm/executions/e-big/logs?$top=1`, { headers }).catch(() => undefined)
    if (res === undefined) continue
    const body = await res.json() as { error?: { code: string } }
    t.equal(res.status, 503, 'a request after the signal is refused')
    t.equal(body.error?.code, 'Unavailable')
    t.equal(res.headers.get('retry-after'), '1')
  }

  // The read in flight delivers every line; the write in flight is committed.
  let text = new TextDecoder().decode(firstChunk.value)
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    text += new TextDecoder().decode(value)
  }
  t.equal(text.split('\n').filter((l) => l !== '').length, READ_LINES, 'the NDJSON read in flight got all its lines')
  const written = await bigWrite
  t.equal(written.status, 200, 'the write in flight completed')
  t.same(await written.json(), { accepted: 10_000 })

  const code = await service.exited
  const exitedAfter = Date.now() - signalAt
  t.equal(code, 0, 'exit code 0')
  t.ok(exitedAfter < GRACE_SECONDS * 1000, `exited ${exitedAfter} ms after the signal, within SHUTDOWN_GRACE_SECONDS`)
  load.on = false
  await Promise.all(clients)

  // The load's requests: before the signal all succeeded; after it each succeeded (in flight) or was refused.
  const answered = [...outcomes, ...reads]
  t.same(answered.filter((o) => o.answeredAt < signalAt && o.status !== 200), [], 'every request answered before the signal succeeded')
  t.same(answered.filter((o) => o.status !== undefined && o.status !== 200 && !(o.status === 503 && o.code === 'Unavailable')), [],
    'after it: 200 (in flight) or 503 Unavailable, nothing else')
  t.same(answered.filter((o) => o.sentAt > closingAt && o.status === 200), [], 'nothing sent after the service began closing was served')
  const db = new pg.Client({ connectionString: databaseUrl })
  await db.connect()
  t.teardown(async () => { await db.end() })
  const stored = new Set((await storedMessages(databaseUrl)).filter((msg) => msg.startsWith('load-')))
  const acked = outcomes.filter((o) => o.status === 200)
  t.ok(acked.length > 0 && acked.every((o) => o.markers.every((m) => stored.has(m))), `the ${acked.length} acknowledged writes of the load are stored`)
  const { rows: [big] } = await db.query<{ n: number }>("SELECT sum(line_count)::int AS n FROM log_blocks WHERE run_id = 'e-big-write'")
  t.equal(big?.n, 10_000, 'and so is the write that was in flight')
})

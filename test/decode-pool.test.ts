// The ingest worker threads (src/ingest/decode-pool.ts): a body decoded and built in a worker gives the same
// runs, counts and block bytes as on the event loop; a bad body's 400 or 413 comes back as the same error;
// a worker that dies fails its body and is replaced; the queue is bounded; closing ends the workers.
import { Worker } from 'node:worker_threads'
import t from 'tap'
import { parseConfig } from '../src/config.js'
import { isApiError } from '../src/errors.js'
import { DecodePool } from '../src/ingest/decode-pool.js'
import { decodeHere, type BodyFormat, type DecodeSettings } from '../src/ingest/decoders.js'
import { runBlocksOf } from '../src/store/run-blocks.js'
import { TEST_SECRET } from './helpers/app.js'

const NOW = 1_780_000_000_000_000_000n
const config = parseConfig({ AUTH_JWT_SECRET: TEST_SECRET })
const settings = (maxItems = 100_000): DecodeSettings => ({
  now: NOW,
  retentionDays: 0,
  maxFutureSkewSeconds: 300,
  lineMaxBytes: 65_536,
  maxItems,
  maxBytes: 10 * 1024 * 1024,
  mapping: config.collector,
  requestGroup: 'default',
  principal: { subject: 'tester', scopes: new Set(['logs.write']), groups: ['default', 'team-a'] }
})

const iso = (i: number): string => new Date(Number(NOW / 1_000_000n) - 3_600_000 + i * 7).toISOString().replace('Z', `${String(i % 1000).padStart(3, '0')}Z`)
const WORDS = ['GET /v1/items 200', 'connexion établie', 'ошибка диска', '', '日本語のログ', 'a😀b']
const native = (n: number): Buffer => Buffer.from(JSON.stringify(Array.from({ length: n }, (_, i) => ({
  // Out of order now and then, so the blocks sort their lines.
  timestamp: iso(i % 97 === 0 ? n - i : i), msg: `${WORDS[i % WORDS.length] as string} ${i}`, pod: `pod-${i % 3}`, container: 'main', stream: i % 5 === 0 ? 'stderr' : 'stdout'
}))))
// Vector's records naming two runs, one with a run label, one in a group the token may not act in, one naming none.
const records = (n: number): Buffer => Buffer.from(Array.from({ length: n }, (_, i) => JSON.stringify({
  message: `record ${i} ${WORDS[i % WORDS.length] as string}`,
  timestamp: iso(i),
  stream: 'stdout',
  kubernetes: {
    pod_name: `pod-${i % 4}`,
    container_name: 'main',
    pod_labels: i % 50 === 49 ? {} : { 'ai.sap.com/deploymentId': i % 2 === 0 ? 'd-even' : 'd-odd', ...(i % 10 === 3 ? { 'ai.sap.com/resourceGroup': i % 20 === 3 ? 'team-a' : 'team-b' } : {}) }
  }
})).join('\n'))
const RUN = { group: 'default', kind: 'deployment' as const, id: 'd-native' }

async function inThread (format: BodyFormat, body: Buffer, s: DecodeSettings): Promise<unknown> {
  const { runs, ...rest } = decodeHere(format, body, s)
  return { ...rest, runs: await Promise.all(runs.map(runBlocksOf)) }
}

const thrown = async (f: () => Promise<unknown> | unknown): Promise<unknown> => {
  try {
    await f()
  } catch (err) {
    return err
  }
  throw new Error('nothing was thrown')
}

t.test('a worker gives the runs, counts, answers and block bytes the event loop gives', async (t) => {
  const pool = new DecodePool(2)
  t.teardown(async () => { await pool.close() })
  await pool.warm()
  const cases: Array<[string, BodyFormat, Buffer]> = [
    ['native JSON, 5,000 lines (three blocks)', { format: 'native', run: RUN, ndjson: false }, native(5000)],
    ['shippers\' NDJSON records of several runs and groups, some unmatched', { format: 'records', ndjson: true }, records(3000)]
  ]
  for (const [name, format, body] of cases) {
    const worker = await pool.decode(format, body, settings())
    const here = await inThread(format, body, settings())
    t.same(worker, here, name)
    for (const run of worker?.runs ?? []) {
      for (const b of run.blocks) t.ok(Buffer.isBuffer(b.payload) && Buffer.isBuffer(b.filter), `${name}: payload and filter are Buffers (pg writes them as bytea)`)
    }
  }
  const decoded = await pool.decode(cases[1]?.[1] as BodyFormat, cases[1]?.[2] as Buffer, settings())
  t.same(decoded?.runs.map((r) => `${r.run.group}/${r.run.id}`).sort(), ['default/d-even', 'default/d-odd', 'team-a/d-odd'], 'the groups the token may act in only')
  t.ok((decoded?.unmatched ?? 0) > 0, 'unmatched records are counted')
})

t.test('a bad line\'s 400 and a batch too large\'s 413 come back as the same catalogue errors', async (t) => {
  const pool = new DecodePool(1)
  t.teardown(async () => { await pool.close() })
  await pool.warm()
  const format: BodyFormat = { format: 'native', run: RUN, ndjson: false }
  const bad = Buffer.from(JSON.stringify([{ timestamp: iso(0), msg: 'ok' }, { timestamp: iso(1), msg: 'a\u0000b' }]))
  const cases: Array<[string, Buffer, DecodeSettings]> = [['a NUL in line 1', bad, settings()], ['three lines, at most two', native(3), settings(2)], ['not JSON', Buffer.from('[{'), settings()]]
  for (const [name, body, s] of cases) {
    const fromWorker = await thrown(async () => await pool.decode(format, body, s))
    const fromHere = await thrown(() => decodeHere(format, body, s))
    t.ok(isApiError(fromWorker), `${name}: a catalogue error`)
    t.match(fromWorker, { statusCode: (fromHere as { statusCode: number }).statusCode, code: (fromHere as { code: string }).code, message: (fromHere as Error).message }, name)
    t.same((fromWorker as { details?: unknown }).details, (fromHere as { details?: unknown }).details, `${name}: details`)
  }
  t.same((await pool.decode(format, native(2), settings()))?.accepted, 2, 'the worker goes on with the next body')
})

t.test('a worker that dies fails its body (not a catalogue error: a 500) and the next body gets a new worker', async (t) => {
  let started = 0
  const pool = new DecodePool(1, 2, () => {
    started++
    const port = 'require("node:worker_threads").parentPort'
    return new Worker(`${port}.on("message", () => { ${started === 1 ? 'process.exit(3)' : 'throw new Error("boom")'} }); ${port}.postMessage({ ready: true })`, { eval: true })
  })
  t.teardown(async () => { await pool.close() })
  await pool.warm()
  const format: BodyFormat = { format: 'native', run: RUN, ndjson: false }
  const first = await thrown(async () => await pool.decode(format, native(1), settings()))
  t.notOk(isApiError(first), 'the body fails with an internal error')
  t.match((first as Error).message, /exited/)
  await pool.warm()
  const second = await thrown(async () => await pool.decode(format, native(1), settings()))
  t.match((second as Error).message, /boom/, 'an uncaught error in a worker fails its body too')
  t.equal(started, 2, 'a new worker was started for the next body')
})

t.test('the queue is bounded: past it, the caller decodes on its own thread; closing fails what is queued', async (t) => {
  const pool = new DecodePool(1, 1)
  await pool.warm()
  const format: BodyFormat = { format: 'native', run: RUN, ndjson: false }
  const running = pool.decode(format, native(3000), settings())
  const queued = pool.decode(format, native(10), settings())
  t.ok(running !== undefined && queued !== undefined, 'one decoding, one queued')
  t.equal(pool.decode(format, native(10), settings()), undefined, 'a third body is not taken')
  t.equal((await running)?.accepted, 3000)
  t.equal((await queued)?.accepted, 10)
  const busy = thrown(async () => await pool.decode(format, native(3000), settings()))
  const waiting = thrown(async () => await pool.decode(format, native(10), settings()))
  await pool.close()
  t.ok(await busy, 'the body being decoded fails at close')
  t.match(await waiting, { message: /shutting down/ }, 'the queued body fails at close')
  t.equal(pool.decode(format, native(1), settings()), undefined, 'a closed pool takes no body')
  t.equal(pool.threads, 0, 'no worker is left')
})

t.test('an idle worker ends; the next body starts another', async (t) => {
  const pool = new DecodePool(1, 2, undefined, 50)
  t.teardown(async () => { await pool.close() })
  await pool.warm()
  const format: BodyFormat = { format: 'native', run: RUN, ndjson: false }
  t.equal((await pool.decode(format, native(5), settings()))?.accepted, 5)
  t.equal(pool.threads, 1, 'one worker after a body')
  await new Promise((resolve) => setTimeout(resolve, 300))
  t.equal(pool.threads, 0, 'none once it idled')
  t.equal(pool.decode(format, native(7), settings()), undefined, 'while a new one starts, a body is decoded by its caller')
  t.equal(pool.threads, 1, 'the body started one')
  await pool.warm()
  t.equal((await pool.decode(format, native(7), settings()))?.accepted, 7, 'once started, it decodes the next body')
})

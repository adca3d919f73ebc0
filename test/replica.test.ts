// Reads from a replica (docs/scaling.md): with DATABASE_READ_URL set to a hot standby streaming from the
// primary, GET traffic is served by the standby and ingest by the primary, as each server's own
// pg_stat_statements shows. A lagging standby may serve older lines, never a false 404, and tails (which
// read the primary) miss nothing; a standby that is down answers reads with 503 while ingest goes on.
import http from 'node:http'
import pg from 'pg'
import t from 'tap'
import { startReplicatedPostgres } from '../scripts/replicated-postgres.js'
import { migrate } from '../src/store/migrate.js'
import { authHeaders, buildTestApp } from './helpers/app.js'
import { expectError } from './helpers/errors.js'

const NOW = Date.parse('2026-02-01T12:00:00Z')
const at = (secondsAgo: number): string => new Date(NOW - secondsAgo * 1000).toISOString()
const RANGE = `start=${at(3600)}&end=${at(-60)}`

const cluster = await startReplicatedPostgres()
t.teardown(cluster.stop)
await migrate(cluster.primaryUrl)
await cluster.caughtUp()
const { app } = await buildTestApp(t, {
  databaseUrl: cluster.primaryUrl,
  env: { DATABASE_URL: cluster.primaryUrl, DATABASE_READ_URL: cluster.standbyUrl },
  now: () => BigInt(NOW) * 1_000_000n
})
const headers = await authHeaders()

async function post (id: string, msgs: string[], secondsAgo = 60): Promise<void> {
  const res = await app.inject({ method: 'POST', url: `/v2/lm/deployments/${id}/logs`, headers, payload: msgs.map((msg) => ({ timestamp: at(secondsAgo), msg })) })
  if (res.statusCode !== 200) throw new Error(`ingest failed: ${res.statusCode} ${res.body}`)
}

async function msgs (id: string): Promise<string[]> {
  const res = await app.inject({ url: `/v2/lm/deployments/${id}/logs?${RANGE}`, headers })
  if (res.statusCode !== 200) throw new Error(`read failed: ${res.statusCode} ${res.body}`)
  return res.json<{ data: { result: Array<{ msg: string }> } }>().data.result.map((l) => l.msg)
}

/** Calls per kind of statement on one server since its last reset, from pg_stat_statements. */
async function statementCalls (url: string): Promise<{ lineReads: number, lineCopies: number, runUpserts: number }> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    const { rows } = await client.query<{ lineReads: number, lineCopies: number, runUpserts: number }>(`
      SELECT coalesce(sum(calls) FILTER (WHERE query LIKE 'SELECT %FROM log_blocks%'), 0)::int AS "lineReads",
             coalesce(sum(calls) FILTER (WHERE query LIKE 'INSERT INTO log_blocks%'), 0)::int AS "lineCopies",
             coalesce(sum(calls) FILTER (WHERE query LIKE '%INSERT INTO runs%'), 0)::int AS "runUpserts"
        FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())`)
    return rows[0] as { lineReads: number, lineCopies: number, runUpserts: number }
  } finally {
    await client.end()
  }
}

async function resetStatements (url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try { await client.query('SELECT pg_stat_statements_reset()') } finally { await client.end() }
}

t.test('GET reads are served by the replica, ingest by the primary', async (t) => {
  await resetStatements(cluster.primaryUrl)
  await resetStatements(cluster.standbyUrl)
  await post('replicated', ['one', 'two', 'three'])
  await cluster.caughtUp()
  t.same(await msgs('replicated'), ['one', 'two', 'three'], 'a JSON page')
  const streamed = await app.inject({ url: `/v2/lm/deployments/replicated/logs?${RANGE}`, headers: { ...headers, accept: 'text/plain' } })
  t.match(streamed.body, /one\n.*two\n.*three\n$/, 'a streamed read')

  const primary = await statementCalls(cluster.primaryUrl)
  const standby = await statementCalls(cluster.standbyUrl)
  t.ok(standby.lineReads >= 2, `the standby ran the line reads (${standby.lineReads})`)
  t.equal(primary.lineReads, 0, 'the primary ran no line read')
  t.equal(primary.lineCopies, 1, 'the primary took the lines')
  t.equal(primary.runUpserts, 1, 'and the run')
  t.equal(standby.lineCopies + standby.runUpserts, 0, 'the standby took no write')
  await t.rejects((app.pools.get('read') as pg.Pool).query('SELECT log_blocks_ensure_partition(current_date)'), { code: '25006' }, 'the read pool is a read-only server')
})

t.test('a lagging replica serves the lines it has replayed, never a false 404, and tails read the primary', { timeout: 30_000 }, async (t) => {
  await post('lagging', ['before the pause'], 120)
  await cluster.caughtUp()
  await cluster.pauseReplay()
  t.teardown(cluster.resumeReplay)
  await post('lagging', ['written during the pause'], 90)
  await post('new-while-lagging', ['first line'], 90)

  t.same(await msgs('lagging'), ['before the pause'], 'a page read shows what the replica has replayed')
  const fresh = await app.inject({ url: `/v2/lm/deployments/new-while-lagging/logs?${RANGE}`, headers })
  t.equal(fresh.statusCode, 200, 'a run the replica has not seen yet is known to the primary: no 404')
  t.same(fresh.json(), { data: { result: [] } })
  expectError(t, await app.inject({ url: '/v2/lm/deployments/never-written/logs', headers }), 404, 'NotFound')

  // A tail takes its watermark and its lines from the primary: all of them, replayed or not.
  const base = await app.listen({ port: 0, host: '127.0.0.1' })
  const tail = await new Promise<http.IncomingMessage>((resolve, reject) => {
    const request = http.get(`${base}/v2/lm/deployments/lagging/logs?follow=true&${RANGE}`, { agent: false, headers: { ...headers, accept: 'application/x-ndjson' } }, resolve)
    request.on('error', reject)
    t.teardown(() => { request.destroy() })
  })
  t.equal(tail.statusCode, 200)
  tail.setEncoding('utf8')
  let text = ''
  const take = async (n: number): Promise<string[]> => {
    for (;;) {
      const lines = text.split('\n').filter((l) => l.trim() !== '')
      if (lines.length >= n) {
        text = ''
        return lines.map((l) => (JSON.parse(l) as { msg: string }).msg)
      }
      if (tail.readableEnded) throw new Error(`the tail ended after ${lines.length} lines`)
      text += await new Promise<string>((resolve) => { tail.once('data', resolve); tail.once('end', () => { resolve('') }) })
    }
  }
  t.same(await take(2), ['before the pause', 'written during the pause'], 'the lines in range, from the primary')
  await post('lagging', ['written while tailing'], 30)
  t.same(await take(1), ['written while tailing'], 'then a new line, read from the primary while the replica still lags')
  tail.destroy()

  await cluster.resumeReplay()
  await cluster.caughtUp()
  t.same(await msgs('lagging'), ['before the pause', 'written during the pause', 'written while tailing'], 'the replica catches up')
})

t.test('a replica that is down: reads answer 503 Unavailable, ingest goes on, /readyz is not ready', async (t) => {
  await post('outage', ['kept'])
  await cluster.stopStandby()
  const read = await app.inject({ url: `/v2/lm/deployments/outage/logs?${RANGE}`, headers })
  expectError(t, read, 503, 'Unavailable')
  t.ok(Number(read.headers['retry-after']) > 0, 'with Retry-After')
  await post('outage', ['still written'])
  const ready = await app.inject({ url: '/readyz' })
  expectError(t, ready, 503, 'Unavailable')
})

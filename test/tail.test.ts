// Live tails (contract, "Reading further": follow=true): on a listening server, as clients hold them.
// Lines come first from the range, then as they are written, through Postgres' NOTIFY; an SSE client that
// reconnects with Last-Event-ID misses nothing and sees nothing twice.
import http from 'node:http'
import { createGunzip } from 'node:zlib'
import pg from 'pg'
import t from 'tap'
import type { FastifyInstance } from 'fastify'
import { authHeaders, buildTestApp } from './helpers/app.js'
import { expectError } from './helpers/errors.js'

const at = (iso: string): bigint => BigInt(Date.parse(iso)) * 1_000_000n
const NOW = at('2025-03-10T12:00:00.000Z')
const rfc3339 = (ns: bigint): string =>
  `${new Date(Number(ns / 1_000_000n)).toISOString().slice(0, 19)}.${String(ns % 1_000_000_000n).padStart(9, '0')}Z`
const MINUTE = 60_000_000_000n

interface Item { msg: string, timestamp: string, stream: string }
interface SseEvent { id?: string, data: string }

/** An open streamed response (node:http, so closing it closes the connection at once): its frames as they arrive. */
class OpenStream {
  private buffer = ''
  private readonly frames: string[] = []
  private waiter: (() => void) | undefined
  ended = false
  readonly done: Promise<void>

  constructor (private readonly request: http.ClientRequest, readonly response: http.IncomingMessage, private readonly separator: string) {
    const body = response.headers['content-encoding'] === 'gzip' ? response.pipe(createGunzip()) : response
    body.setEncoding('utf8')
    body.on('data', (text: string) => {
      this.buffer += text
      let cut: number
      while ((cut = this.buffer.indexOf(this.separator)) !== -1) {
        const frame = this.buffer.slice(0, cut)
        this.buffer = this.buffer.slice(cut + this.separator.length)
        if (frame.trim() !== '' && !frame.startsWith(':') && !frame.startsWith('retry:')) this.frames.push(frame)
      }
      this.waiter?.()
    })
    this.done = new Promise((resolve) => {
      const ended = (): void => { this.ended = true; this.waiter?.(); resolve() }
      body.once('end', ended)
      body.once('error', ended)
      response.once('close', ended)
    })
  }

  /** The next n frames; fails if the stream ends first. */
  async take (n: number): Promise<string[]> {
    while (this.frames.length < n && !this.ended) await new Promise<void>((resolve) => { this.waiter = resolve })
    if (this.frames.length < n) throw new Error(`the stream ended after ${this.frames.length} of ${n} frames`)
    return this.frames.splice(0, n)
  }

  close (): void { this.request.destroy() }
}

const sseEvent = (frame: string): SseEvent => {
  const event: SseEvent = { data: '' }
  for (const line of frame.split('\n')) {
    if (line.startsWith('id: ')) event.id = line.slice(4)
    if (line.startsWith('data: ')) event.data += line.slice(6)
  }
  return event
}

const headers = await authHeaders()
const clock = NOW
const { app, databaseUrl } = await buildTestApp(t, { now: () => clock, env: { FOLLOW_MAX_PER_GROUP: '3' } })
const base = await app.listen({ port: 0, host: '127.0.0.1' })

async function open (path: string, accept: string, extra: Record<string, string> = {}, on: string = base): Promise<OpenStream> {
  return await new Promise((resolve, reject) => {
    const request = http.get(`${on}${path}`, { agent: false, headers: { ...headers, accept, ...extra } }, (response) => {
      if (response.statusCode === 200) {
        resolve(new OpenStream(request, response, accept === 'text/event-stream' ? '\n\n' : '\n'))
        return
      }
      let body = ''
      response.on('data', (chunk: Buffer) => { body += chunk.toString() })
      response.on('end', () => { reject(new Error(`${response.statusCode ?? 0} ${body}`)) })
    })
    request.on('error', reject)
  })
}

async function post (target: FastifyInstance, run: string, lines: Array<{ timestamp: string, msg: string, stream?: string }>, group?: string): Promise<void> {
  const res = await target.inject({ method: 'POST', url: `${run}/logs`, headers: group === undefined ? headers : { ...headers, 'ai-resource-group': group }, payload: lines })
  if (res.statusCode !== 200) throw new Error(res.body)
}

const msgsOf = (frames: string[]): string[] => frames.map((f) => (JSON.parse(f) as Item).msg)
const line = (offset: bigint, msg: string): { timestamp: string, msg: string } => ({ timestamp: rfc3339(NOW + offset), msg })

t.test('a tail sends the lines in range first, then lines written after it opened, in order', { timeout: 15_000 }, async (t) => {
  const run = '/v2/lm/deployments/tail-1'
  await post(app, run, [line(-2n * MINUTE, 'old 1'), line(-MINUTE, 'old 2')])
  const tail = await open(`${run}/logs?follow=true`, 'application/x-ndjson')
  t.same(msgsOf(await tail.take(2)), ['old 1', 'old 2'])
  await post(app, run, [line(1000n, 'new 1'), line(2000n, 'new 2')])
  await post(app, run, [line(-10n * MINUTE, 'new 3, timestamped before everything sent')])
  for (let i = 4; i <= 50; i++) await post(app, run, [line(BigInt(i) * 1000n, `new ${i}`)])
  const expected = ['new 1', 'new 2', 'new 3, timestamped before everything sent', ...Array.from({ length: 47 }, (_, k) => `new ${k + 4}`)]
  t.same(msgsOf(await tail.take(50)), expected)
  tail.close()
})

t.test('a tail of a run with no lines yet waits for them (no 404); JSON or */* get NDJSON', { timeout: 15_000 }, async (t) => {
  const run = '/v2/lm/executions/tail-not-yet'
  const tail = await open(`${run}/logs?follow=true`, '*/*')
  t.match(tail.response.headers['content-type'], /^application\/x-ndjson/)
  await post(app, run, [line(0n, 'first ever')])
  t.same(msgsOf(await tail.take(1)), ['first ever'])
  tail.close()
})

t.test('filters apply to a tail; text/plain tails as <timestamp> <stream> <msg>', { timeout: 15_000 }, async (t) => {
  const run = '/v2/lm/deployments/tail-filters'
  const tail = await open(`${run}/logs?follow=true&stream=stderr&contains=boom`, 'text/plain')
  await post(app, run, [
    { timestamp: rfc3339(NOW + 1n), msg: 'boom on stdout', stream: 'stdout' },
    { timestamp: rfc3339(NOW + 2n), msg: 'quiet on stderr', stream: 'stderr' },
    { timestamp: rfc3339(NOW + 3n), msg: 'boom on stderr', stream: 'stderr' }
  ])
  t.same(await tail.take(1), ['2025-03-10T12:00:00.000000003+00:00 stderr boom on stderr'])
  tail.close()
})

t.test('an SSE client that drops and reconnects with Last-Event-ID gets exactly the lines it missed', { timeout: 15_000 }, async (t) => {
  const run = '/v2/lm/deployments/tail-sse'
  await post(app, run, [line(-MINUTE, 'a'), line(-MINUTE, 'b'), line(-MINUTE, 'c')])
  const first = await open(`${run}/logs?follow=true`, 'text/event-stream')
  t.match(first.response.headers['content-type'], /^text\/event-stream/)
  const [a, b] = (await first.take(2)).map(sseEvent)
  t.same([a?.data, b?.data].map((d) => (JSON.parse(d as string) as Item).msg), ['a', 'b'])
  first.close()
  await post(app, run, [line(-2n * MINUTE, 'd, older than all'), line(MINUTE, 'e')])

  // Resumes inside the range phase: c (in range, not yet received), then what came while away.
  const second = await open(`${run}/logs?follow=true`, 'text/event-stream', { 'last-event-id': b?.id as string })
  const resumed = (await second.take(3)).map(sseEvent)
  t.same(resumed.map((e) => (JSON.parse(e.data) as Item).msg), ['c', 'd, older than all', 'e'])
  await post(app, run, [line(2n * MINUTE, 'f')])
  const [f] = (await second.take(1)).map(sseEvent)
  t.equal((JSON.parse(f?.data as string) as Item).msg, 'f')
  second.close()

  // Resumes inside the follow phase, after d: e and f again would be a repeat; only g and h are missing.
  await post(app, run, [line(3n * MINUTE, 'g'), line(-3n * MINUTE, 'h')])
  const third = await open(`${run}/logs?follow=true`, 'text/event-stream', { 'last-event-id': resumed[2]?.id as string })
  t.same((await third.take(3)).map((e) => (JSON.parse(sseEvent(e).data) as Item).msg), ['f', 'g', 'h'])
  await post(app, run, [line(4n * MINUTE, 'sentinel')])
  t.same((await third.take(1)).map((e) => (JSON.parse(sseEvent(e).data) as Item).msg), ['sentinel'], 'nothing repeated before the next new line')
  third.close()

  const forged = await app.inject({ url: `${run}/logs?follow=true`, headers: { ...headers, accept: 'text/event-stream', 'last-event-id': 'forged.id' } })
  t.equal(forged.statusCode, 400)
  t.equal(forged.json().error.details.parameter, 'Last-Event-ID')
})

t.test('a line written through another replica reaches the tail', { timeout: 15_000 }, async (t) => {
  const run = '/v2/lm/deployments/tail-replicas'
  const { app: replica } = await buildTestApp(t, { now: () => clock, databaseUrl })
  const tail = await open(`${run}/logs?follow=true`, 'application/x-ndjson')
  await post(replica, run, [line(0n, 'via the other replica')])
  t.same(msgsOf(await tail.take(1)), ['via the other replica'])
  tail.close()
})

t.test('one collector batch spanning two runs reaches the tail of each run', { timeout: 15_000 }, async (t) => {
  const deployment = await open('/v2/lm/deployments/tail-shipped/logs?follow=true', 'application/x-ndjson')
  const execution = await open('/v2/lm/executions/tail-shipped/logs?follow=true', 'application/x-ndjson')
  const record = (labels: Record<string, string>, offset: bigint, log: string): Record<string, unknown> =>
    ({ time: rfc3339(NOW + offset), stream: 'stdout', log, kubernetes: { pod_name: 'p', container_name: 'c', labels } })
  const res = await app.inject({
    method: 'POST',
    url: '/v2/lm/logs',
    headers,
    payload: [
      record({ 'ai.sap.com/deploymentId': 'tail-shipped' }, 1000n, 'deployment line'),
      record({ 'ai.sap.com/executionId': 'tail-shipped' }, 2000n, 'execution line'),
      record({ 'ai.sap.com/deploymentId': 'tail-shipped' }, 3000n, 'deployment line 2')
    ]
  })
  t.equal(res.statusCode, 200, res.body)
  t.same(msgsOf(await deployment.take(2)), ['deployment line', 'deployment line 2'])
  t.same(msgsOf(await execution.take(1)), ['execution line'])
  deployment.close()
  execution.close()
})

t.test('when the LISTEN connection drops, it reconnects and tails catch up on what was written meanwhile', { timeout: 15_000 }, async (t) => {
  const run = '/v2/lm/executions/tail-reconnect'
  const tail = await open(`${run}/logs?follow=true`, 'application/x-ndjson')
  await post(app, run, [line(0n, 'before the drop')])
  t.same(msgsOf(await tail.take(1)), ['before the drop'])
  const admin = new pg.Client({ connectionString: databaseUrl })
  await admin.connect()
  const reconnected = new Promise((resolve) => { app.tails.once('reconnected', resolve) })
  const { rowCount } = await admin.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'LISTEN %'")
  t.equal(rowCount, 1, 'one LISTEN connection in the process')
  await post(app, run, [line(1000n, 'while it was down, maybe')])
  await reconnected
  await post(app, run, [line(2000n, 'after the reconnect')])
  t.same(msgsOf(await tail.take(2)), ['while it was down, maybe', 'after the reconnect'])
  await admin.end()
  tail.close()
})

t.test('past FOLLOW_MAX_PER_GROUP tails in a group the next one is a 429; other groups are not counted', { timeout: 15_000 }, async (t) => {
  const run = '/v2/lm/deployments/tail-limit'
  const group = { 'ai-resource-group': 'limited' }
  const open3 = [await open(`${run}/logs?follow=true`, 'application/x-ndjson', group), await open(`${run}/logs?follow=true`, 'text/plain', group), await open(`${run}/logs?follow=true`, 'text/event-stream', group)]
  const refused = await app.inject({ url: `${run}/logs?follow=true`, headers: { ...headers, ...group } })
  expectError(t, refused, 429, 'TooManyRequests')
  t.ok(refused.headers['retry-after'])
  const elsewhere = await open(`${run}/logs?follow=true`, 'application/x-ndjson', { 'ai-resource-group': 'other' })
  elsewhere.close()
  open3[0]?.close()
  await open3[0]?.done
  // The place is free once the server has seen the client go: a tail ends when its client does.
  let last: OpenStream | undefined
  for (let attempt = 0; attempt < 1000 && last === undefined; attempt++) {
    last = await open(`${run}/logs?follow=true`, 'application/x-ndjson', group).catch(() => undefined)
  }
  t.ok(last, 'a closed tail frees its place')
  last?.close()
  for (const s of open3) s.close()
})

t.test('follow=true refuses desc and $top', async (t) => {
  const run = '/v2/lm/deployments/tail-1'
  for (const query of ['follow=true&$order=desc', 'follow=true&$top=10', 'follow=maybe']) {
    const res = await app.inject({ url: `${run}/logs?${query}`, headers })
    t.equal(res.statusCode, 400, query)
  }
})

t.test('FOLLOW_MAX_SECONDS ends a tail; closing the app ends every open tail cleanly', { timeout: 15_000 }, async (t) => {
  const { app: short } = await buildTestApp(t, { now: () => clock, databaseUrl, env: { FOLLOW_MAX_SECONDS: '1' } })
  const shortBase = await short.listen({ port: 0, host: '127.0.0.1' })
  const run = '/v2/lm/deployments/tail-end'
  const bounded = await open(`${run}/logs?follow=true`, 'application/x-ndjson', {}, shortBase)
  await bounded.done
  t.ok(bounded.ended, 'the stream ended after FOLLOW_MAX_SECONDS')

  const { app: closing } = await buildTestApp(t, { now: () => clock, databaseUrl })
  const closingBase = await closing.listen({ port: 0, host: '127.0.0.1' })
  const tails = [await open(`${run}/logs?follow=true`, 'text/event-stream', {}, closingBase), await open(`${run}/logs?follow=true`, 'application/x-ndjson', { 'accept-encoding': 'gzip' }, closingBase)]
  await closing.close()
  await Promise.all(tails.map(async (s) => { await s.done }))
  t.ok(tails.every((s) => s.ended), 'both streams ended')
})

// Connections that stall are closed, on real sockets: a body that stops arriving, or trickles past the
// request deadline, is answered 408; an answered request does not wait for the rest of its body; open
// connections are capped; running out of descriptors (prlimit) is logged and survived.
import { mkdtemp, rm } from 'node:fs/promises'
import { connect, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import path from 'node:path'
import t, { type Test } from 'tap'
import { startServiceProcess, type ServiceProcess } from '../scripts/service-process.js'
import { authHeaders, TEST_SECRET } from './helpers/app.js'
import { createTestDatabase } from './helpers/database.js'

const sleep = async (ms: number): Promise<void> => { await new Promise((resolve) => setTimeout(resolve, ms)) }

async function service (t: Test, settings: Record<string, string>, prefix?: string[]): Promise<ServiceProcess> {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'run-logs-stalled-'))
  t.teardown(async () => { await rm(dataDir, { recursive: true, force: true }) })
  const s = await startServiceProcess({ DATABASE_URL: await createTestDatabase(t), AUTH_JWT_SECRET: TEST_SECRET, DATA_DIR: dataDir, LOG_LEVEL: 'info', ...settings }, { prefix })
  t.teardown(async () => { if (s.child.exitCode === null) await s.stop() })
  return s
}

interface Stalled { socket: Socket, received: () => string, closedAfterMs: Promise<number> }

/** Sends a POST's headers and the first bytes of its body, then nothing unless the caller writes more. */
async function stalledPost (baseUrl: string, headers: Record<string, string>, sent = '[{"msg"'): Promise<Stalled> {
  const { hostname, port } = new URL(baseUrl)
  const socket = connect(Number(port), hostname)
  socket.on('error', () => undefined)
  await new Promise<void>((resolve, reject) => { socket.once('connect', resolve); socket.once('error', reject) })
  const started = performance.now()
  let received = ''
  socket.on('data', (chunk: Buffer) => { received += chunk.toString() })
  const head = Object.entries({ ...headers, 'content-type': 'application/json', 'content-length': '100000' }).map(([k, v]) => `${k}: ${v}\r\n`).join('')
  socket.write(`POST /v2/lm/executions/e-stalled/logs HTTP/1.1\r\nhost: ${hostname}\r\n${head}\r\n${sent}`)
  const closedAfterMs = new Promise<number>((resolve) => socket.once('close', () => { resolve(performance.now() - started) }))
  return { socket, received: () => received, closedAfterMs }
}

t.test('a stalled body is answered 408 and closed after REQUEST_BODY_IDLE_SECONDS; a trickle at REQUEST_DEADLINE_SECONDS', async (t) => {
  const s = await service(t, { REQUEST_BODY_IDLE_SECONDS: '1', REQUEST_DEADLINE_SECONDS: '4' })
  const headers = await authHeaders()
  const silent = await stalledPost(s.baseUrl, headers)
  const trickle = await stalledPost(s.baseUrl, headers)
  const dripping = setInterval(() => { trickle.socket.write(' ') }, 250)
  t.teardown(() => { clearInterval(dripping) })
  const silentMs = await silent.closedAfterMs
  t.match(silent.received(), /^HTTP\/1\.1 408 /, 'the silent body gets a 408')
  t.match(silent.received(), /"code":"RequestTimeout"/)
  t.match(silent.received(), /REQUEST_BODY_IDLE_SECONDS/)
  t.ok(silentMs > 900 && silentMs < 6000, `closed after ${silentMs.toFixed(0)} ms`)
  const trickleMs = await trickle.closedAfterMs
  clearInterval(dripping)
  t.match(trickle.received(), /^HTTP\/1\.1 408 /, 'the trickling body gets a 408')
  t.match(trickle.received(), /REQUEST_DEADLINE_SECONDS/)
  t.ok(trickleMs > 3500 && trickleMs < 10_000, `closed after ${trickleMs.toFixed(0)} ms, though a byte came every 250 ms`)
})

t.test('an answered request does not wait for the rest of its body', async (t) => {
  const s = await service(t, { REQUEST_BODY_IDLE_SECONDS: '30', REQUEST_DEADLINE_SECONDS: '120' })
  const unauthorized = await stalledPost(s.baseUrl, {})
  const closedMs = await unauthorized.closedAfterMs
  t.match(unauthorized.received(), /^HTTP\/1\.1 401 /, 'the 401 is sent before the body')
  t.ok(closedMs < 8000, `and the connection closed ${closedMs.toFixed(0)} ms later, not after the 30 s body timeout`)
})

t.test('MAX_CONNECTIONS caps open connections; the service answers again once they go', async (t) => {
  const s = await service(t, { MAX_CONNECTIONS: '20', REQUEST_BODY_IDLE_SECONDS: '30' })
  const headers = await authHeaders()
  const stalled = await Promise.all(Array.from({ length: 40 }, async () => await stalledPost(s.baseUrl, headers)))
  await sleep(1000)
  const open = stalled.filter((c) => !c.socket.destroyed && c.socket.readyState === 'open').length
  t.ok(open <= 20, `${open} of 40 connections left open`)
  for (const c of stalled) c.socket.destroy()
  await sleep(300)
  t.equal((await fetch(`${s.baseUrl}/healthz`)).status, 200)
  t.match(s.output(), /MAX_CONNECTIONS reached/, 'the refusals are logged')
})

t.test('out of descriptors (prlimit --nofile=350, 400 stalled sockets): EMFILE is logged and survived', async (t) => {
  const s = await service(t, { PRESSURE_SAMPLE_INTERVAL_MS: '100', REQUEST_BODY_IDLE_SECONDS: '30' }, ['prlimit', '--nofile=350:350', '--'])
  const headers = await authHeaders()
  const stalled: Stalled[] = []
  for (let i = 0; i < 400; i++) stalled.push(await stalledPost(s.baseUrl, headers).catch(() => stalledPost(s.baseUrl, headers)))
  await sleep(2000)
  t.equal(s.child.exitCode, null, 'the service still runs')
  for (const c of stalled) c.socket.destroy()
  await sleep(1000)
  t.equal((await fetch(`${s.baseUrl}/healthz`)).status, 200, 'and answers once descriptors are free')
  t.match(s.output(), /EMFILE|out of file descriptors/, 'the failure is logged')
  t.equal(s.child.exitCode, null)
})

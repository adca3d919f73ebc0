// SAP's own JS client (@sap-ai-sdk/ai-api) reads logs from the service over a real socket. It sends the
// '+' of an offset unencoded, so this is where the query-string quirk is proven end to end.
import { subscribe, unsubscribe } from 'node:diagnostics_channel'
import type { AddressInfo, Socket } from 'node:net'
import { DeploymentApi, ExecutionApi } from '@sap-ai-sdk/ai-api'
import t from 'tap'
import { buildTestApp, token } from './helpers/app.js'

const at = (iso: string): bigint => BigInt(Date.parse(iso)) * 1_000_000n
const NOW = at('2025-03-10T12:00:00.000Z')
const GROUP = 'team-sdk'

const { app, databaseUrl } = await buildTestApp(t, { now: () => NOW })
await app.listen({ port: 0, host: '127.0.0.1' })
const { port } = app.server.address() as AddressInfo
const serviceUrl = `http://127.0.0.1:${port}`
const bearer = `Bearer ${await token({ groups: [GROUP] })}`

// The SDK resolves a destination that has a URL as given (no destination service, no XSUAA); a proxy
// from the environment is kept off it so nothing but 127.0.0.1 is contacted.
process.env.no_proxy = [serviceUrl, process.env.no_proxy].filter(Boolean).join(',')
process.env.NO_PROXY = process.env.no_proxy
const destination = { url: serviceUrl, authentication: 'NoAuthentication' as const }

// What the SDK really sent: the raw request targets as the server saw them.
const received: string[] = []
app.server.on('request', (req: { url?: string }) => { received.push(req.url ?? '') })

// Every outgoing connection and name lookup of this process, to prove the SDK stays on 127.0.0.1.
const database = new URL(databaseUrl)
const contacted: string[] = []
const onSocket = (message: unknown): void => {
  const socket = (message as { socket: Socket }).socket
  socket.on('connectionAttempt', (ip: string, remotePort: number) => { contacted.push(`${ip}:${remotePort}`) })
  socket.on('lookup', (_err: Error | null, _address: string, _family: number, host: string) => { contacted.push(host) })
}
subscribe('net.client.socket', onSocket)
t.teardown(() => { unsubscribe('net.client.socket', onSocket) })

interface ErrorResponse { status: number, data: { error: Record<string, unknown> } }

/** The HTTP response of a request the SDK rejected (it wraps the axios error as `cause`). */
async function failureOf (request: Promise<unknown>): Promise<ErrorResponse | undefined> {
  try {
    await request
  } catch (err) {
    return (err as { cause?: { response?: ErrorResponse } }).cause?.response
  }
  throw new Error('the request was expected to fail')
}

const lines = [
  { timestamp: '2025-03-10T10:59:59.999999999Z', msg: 'before start', pod: 'p-0' },
  { timestamp: '2025-03-10T11:00:00Z', msg: 'at start', container: 'main', pod: 'p-1', stream: 'stdout' },
  { timestamp: '2025-03-10T11:00:00.000000001Z', msg: 'one ns later', container: 'main', pod: 'p-1', stream: 'stderr' },
  { timestamp: '2025-03-10T11:10:00.123456Z', msg: 'microseconds' },
  { timestamp: '2025-03-10T11:20:00.5Z', msg: 'tie 1', container: 'side', pod: 'p-2', stream: 'stdout' },
  { timestamp: '2025-03-10T11:20:00.5Z', msg: 'tie 2', container: 'side', pod: 'p-2', stream: 'stdout' },
  { timestamp: '2025-03-10T11:30:00Z', msg: 'at end' }
]

for (const kind of ['deployments', 'executions']) {
  const res = await app.inject({
    method: 'POST',
    url: `/v2/lm/${kind}/sdk-run-1/logs`,
    headers: { authorization: bearer, 'ai-resource-group': GROUP },
    payload: lines
  })
  if (res.statusCode !== 200) throw new Error(`ingest failed: ${res.statusCode} ${res.body}`)
}

// 13:00+02:00 is 11:00Z and 13:30+02:00 is 11:30Z: the range holds every line but the first and the last.
const start = '2025-03-10T13:00:00+02:00'
const end = '2025-03-10T13:30:00+02:00'
const inRange = [
  { container: 'main', msg: 'at start', pod: 'p-1', stream: 'stdout', timestamp: '2025-03-10T11:00:00.000+00:00' },
  { container: 'main', msg: 'one ns later', pod: 'p-1', stream: 'stderr', timestamp: '2025-03-10T11:00:00.000000001+00:00' },
  { container: '', msg: 'microseconds', pod: '', stream: '', timestamp: '2025-03-10T11:10:00.123456+00:00' },
  { container: 'side', msg: 'tie 1', pod: 'p-2', stream: 'stdout', timestamp: '2025-03-10T11:20:00.500+00:00' },
  { container: 'side', msg: 'tie 2', pod: 'p-2', stream: 'stdout', timestamp: '2025-03-10T11:20:00.500+00:00' }
]

t.test('the SDK sends the offset\'s + unencoded and the service reads it as +02:00', async (t) => {
  received.length = 0
  const body = await DeploymentApi.kubesubmitV4DeploymentsGetLogs('sdk-run-1', { start, end, $top: 100, $order: 'asc' }, { Authorization: bearer })
    .addCustomHeaders({ 'AI-Resource-Group': GROUP })
    .execute(destination)
  t.same(body, { data: { result: inRange } })
  t.equal(received.length, 1)
  t.match(received[0], /^\/v2\/lm\/deployments\/sdk-run-1\/logs\?/)
  t.match(received[0], 'start=2025-03-10T13:00:00+02:00', 'the + went over the wire as it is')
})

t.test('the SDK reads an execution with $top and $order=desc: the newest lines first', async (t) => {
  const body = await ExecutionApi.kubesubmitV4ExecutionsGetLogs('sdk-run-1', { start, end, $top: 3, $order: 'desc' }, { Authorization: bearer })
    .addCustomHeaders({ 'AI-Resource-Group': GROUP })
    .execute(destination)
  t.same(body.data?.result, [...inRange].reverse().slice(0, 3))
  // More lines remain: the one key beyond SAP's body, which the SDK passes through untouched.
  t.type((body.data as { nextCursor?: unknown } | undefined)?.nextCursor, 'string')
})

t.test('the SDK reads with only start, the default $top and order', async (t) => {
  const body = await DeploymentApi.kubesubmitV4DeploymentsGetLogs('sdk-run-1', { start: '2025-03-10T12:59:59.999999999+02:00' }, { Authorization: bearer })
    .addCustomHeaders({ 'AI-Resource-Group': GROUP })
    .execute(destination)
  t.same(body.data?.result?.map((l) => l.msg), ['before start', ...inRange.map((l) => l.msg), 'at end'])
})

t.test('the SDK sees the contract\'s errors: 400 for $top out of range, 404 for an unknown run', async (t) => {
  const tooMany = await failureOf(DeploymentApi.kubesubmitV4DeploymentsGetLogs('sdk-run-1', { start, $top: 5001 }, { Authorization: bearer })
    .addCustomHeaders({ 'AI-Resource-Group': GROUP })
    .execute(destination))
  t.equal(tooMany?.status, 400)
  t.equal(tooMany?.data.error.code, 'InvalidRequest')
  t.same(tooMany?.data.error.details, { parameter: '$top' })

  const unknown = await failureOf(ExecutionApi.kubesubmitV4ExecutionsGetLogs('sdk-run-2', { start }, { Authorization: bearer })
    .addCustomHeaders({ 'AI-Resource-Group': GROUP })
    .execute(destination))
  t.equal(unknown?.status, 404)
  t.equal(unknown?.data.error.code, 'NotFound')
  t.same(unknown?.data.error.details, { executionId: 'sdk-run-2' })
})

t.test('the SDK contacted nothing but the service on 127.0.0.1', async (t) => {
  const toDatabase = (target: string): boolean => target === database.hostname || target.endsWith(`:${database.port === '' ? '5432' : database.port}`)
  const others = contacted.filter((target) => !toDatabase(target))
  t.ok(others.length > 0, 'the SDK\'s connections were seen')
  t.same([...new Set(others)], [`127.0.0.1:${port}`])
})

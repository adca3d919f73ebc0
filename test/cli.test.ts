// The run-logs CLI as a real process against the listening service: logs (range, --tail, filters, formats,
// --prefix), --follow across a service restart, runs, export --wait with checksum verification, token,
// and exit codes (1 usage, 2 a 4xx, 3 a 5xx or network).
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtemp, writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { jwtVerify } from 'jose'
import t from 'tap'
import { authHeaders, buildTestApp, token } from './helpers/app.js'
import { createTestDatabase } from './helpers/database.js'

type Test = Parameters<Parameters<typeof t.test>[0]>[0]

const CLI = path.resolve(import.meta.dirname, '../bin/run-logs.js')
const CURSOR_SECRET = 'cli-test-cursor-secret-of-at-least-32-chars'

interface Run { code: number | null, stdout: string, stderr: string }

async function runCli (args: string[], env: Record<string, string> = {}): Promise<Run> {
  const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, ...env } })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (c: Buffer) => { stdout += c.toString() })
  child.stderr.on('data', (c: Buffer) => { stderr += c.toString() })
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve))
  return { code, stdout, stderr }
}

async function freePort (): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as { port: number }).port
  await new Promise((resolve) => server.close(resolve))
  return port
}

const iso = (msAgo: number, extra = ''): string => new Date(Date.now() - msAgo).toISOString().replace('Z', `${extra}Z`)

async function service (t: Test, opts: { databaseUrl?: string, port?: number } = {}) {
  const port = opts.port ?? await freePort()
  const base = `http://127.0.0.1:${port}`
  const { app, databaseUrl } = await buildTestApp(t, {
    ...(opts.databaseUrl === undefined ? {} : { databaseUrl: opts.databaseUrl }),
    // Load shedding off: these tests time whole processes on a machine that may be busy.
    env: { CURSOR_SECRET, PUBLIC_BASE_URL: base, EXPORT_POLL_INTERVAL_MS: '100', PRESSURE_MAX_EVENT_LOOP_DELAY_MS: '0', PRESSURE_MAX_EVENT_LOOP_UTILIZATION_PERCENT: '0' }
  })
  await app.listen({ host: '127.0.0.1', port })
  const env = { RUN_LOGS_URL: base, RUN_LOGS_TOKEN: await token(), AI_RESOURCE_GROUP: 'default' }
  const write = async (run: string, lines: object[]): Promise<void> => {
    const res = await app.inject({ method: 'POST', url: `/v2/lm/${run}/logs`, headers: await authHeaders(), payload: lines })
    t.equal(res.statusCode, 200, res.body)
  }
  return { app, base, port, env, databaseUrl, write }
}

const LINES = [
  { timestamp: iso(5000, '001'), msg: 'starting', pod: 'pod-a', container: 'main', stream: 'stdout' },
  { timestamp: iso(4000), msg: 'warning: slow disk', pod: 'pod-a', container: 'sidecar', stream: 'stderr' },
  { timestamp: iso(3000), msg: 'ready', pod: 'pod-b', container: 'main', stream: 'stdout' }
]

t.test('logs: the range oldest first, kubectl-style --prefix, --tail N, filters, -o ndjson and json', async (t) => {
  const s = await service(t)
  await s.write('deployments/d-cli0001', LINES)
  const all = await runCli(['logs', 'deployment', 'd-cli0001', '--since', '1h', '--prefix'], s.env)
  t.equal(all.code, 0, all.stderr)
  t.equal(all.stdout, '[pod-a/main] starting\n[pod-a/sidecar] warning: slow disk\n[pod-b/main] ready\n')
  const tail = await runCli(['logs', 'deployment', 'd-cli0001', '--tail', '2', '--timestamps'], s.env)
  t.equal(tail.stdout, `${LINES[1]?.timestamp.replace('Z', '+00:00')} warning: slow disk\n${LINES[2]?.timestamp.replace('Z', '+00:00')} ready\n`, 'the newest 2, oldest first')
  const filtered = await runCli(['logs', 'deployment', 'd-cli0001', '--stream', 'stdout', '--grep', 'read', '-o', 'ndjson'], s.env)
  t.strictSame(filtered.stdout.trim().split('\n').map((l) => JSON.parse(l).msg), ['ready'])
  const desc = await runCli(['logs', 'deployment', 'd-cli0001', '--order', 'desc', '-o', 'json', '--pod', 'pod-a'], s.env)
  t.strictSame(JSON.parse(desc.stdout).map((l: { msg: string }) => l.msg), ['warning: slow disk', 'starting'])
})

t.test('exit codes: 1 usage, 2 a 4xx with the contract error in one line, 3 a network error', async (t) => {
  const s = await service(t)
  const usage = await runCli(['logs', 'deployment', 'd-cli0001', '--bogus'], s.env)
  t.equal(usage.code, 1)
  t.match(usage.stderr, /^run-logs: .*bogus/)
  t.equal((await runCli(['logs', 'pods', 'x'], s.env)).code, 1)
  t.equal((await runCli(['nonsense'], s.env)).code, 1)
  const missing = await runCli(['logs', 'execution', 'e-missing1'], s.env)
  t.equal(missing.code, 2)
  t.match(missing.stderr, /^run-logs: 404 NotFound: No execution e-missing1 has logs in resource group default\. \(requestId [\w-]+\)\n$/)
  const unauthorized = await runCli(['runs'], { ...s.env, RUN_LOGS_TOKEN: 'not-a-token' })
  t.equal(unauthorized.code, 2)
  t.match(unauthorized.stderr, /401 Unauthorized/)
  const down = await runCli(['runs'], { ...s.env, RUN_LOGS_URL: `http://127.0.0.1:${await freePort()}` })
  t.equal(down.code, 3)
  t.match(down.stderr, /cannot reach/)
})

t.test('runs: the group\'s runs with the listing\'s filters', async (t) => {
  const s = await service(t)
  await s.write('deployments/d-cli0001', LINES.slice(0, 1))
  await s.write('executions/e-cli0002', LINES.slice(1))
  const text = await runCli(['runs'], s.env)
  t.equal(text.code, 0, text.stderr)
  t.match(text.stdout, /^KIND +ID +FIRST LINE +LAST LINE +LINES\n/)
  t.match(text.stdout, /execution +e-cli0002 .* 2\n/)
  const json = await runCli(['runs', '--kind', 'deployment', '-o', 'json'], s.env)
  t.strictSame(JSON.parse(json.stdout).map((r: { id: string }) => r.id), ['d-cli0001'])
})

t.test('export --wait: requests the archive, waits, downloads it and checks MANIFEST.sha256', async (t) => {
  const s = await service(t)
  await s.write('deployments/d-cli0001', LINES)
  const dir = await mkdtemp(path.join(tmpdir(), 'run-logs-cli-'))
  const file = path.join(dir, 'archive.tar.gz')
  const res = await runCli(['export', '--deployment', 'd-cli0001', '--since', '1h', '--wait', '-O', file], s.env)
  t.equal(res.code, 0, res.stderr)
  t.match(res.stdout, new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: \\d+ files, every checksum in MANIFEST.sha256 matches\n$`))
  t.equal(res.stderr, '', 'no progress bar when stderr is not a terminal')
})

t.test('token: a dev-mode token from DATA_DIR\'s secret; refused when AUTH_* is set', async (t) => {
  const dir = await mkdtemp(path.join(tmpdir(), 'run-logs-cli-'))
  const secret = 'a-dev-secret-that-is-long-enough-0123456789'
  await writeFile(path.join(dir, 'auth-secret'), secret + '\n')
  const env = { DATA_DIR: dir, AUTH_JWT_SECRET: '', AUTH_JWKS_URL: '', AUTH_ISSUER: '', AUTH_AUDIENCE: '' }
  const res = await runCli(['token', '--group', 'team-a', '--scope', 'logs.read'], env)
  t.equal(res.code, 0, res.stderr)
  const { payload } = await jwtVerify(res.stdout.trim(), new TextEncoder().encode(secret))
  t.match(payload, { scope: 'logs.read', resource_groups: ['team-a'], sub: 'dev' })
  const refused = await runCli(['token'], { ...env, AUTH_JWT_SECRET: 'x'.repeat(40) })
  t.equal(refused.code, 1)
  t.match(refused.stderr, /AUTH_\* is set/)
})

/** Collects a process's stdout lines; `until(n)` resolves once n lines have come. */
function lineCollector (child: ChildProcess) {
  const lines: string[] = []
  let buffer = ''
  const waiters: Array<{ n: number, resolve: () => void }> = []
  child.stdout?.on('data', (c: Buffer) => {
    buffer += c.toString()
    const parts = buffer.split('\n')
    buffer = parts.pop() ?? ''
    lines.push(...parts)
    for (const w of waiters) if (lines.length >= w.n) w.resolve()
  })
  return {
    lines,
    until: async (n: number) => { if (lines.length < n) await new Promise<void>((resolve) => waiters.push({ n, resolve })) }
  }
}

t.test('logs --follow: live, line by line, and across a service restart with no line lost or repeated', async (t) => {
  const database = await createTestDatabase(t)
  const first = await service(t, { databaseUrl: database })
  await first.write('executions/e-follow01', [{ timestamp: iso(10_000), msg: 'line 1', pod: 'p', container: 'c' }])
  const child = spawn(process.execPath, [CLI, 'logs', 'execution', 'e-follow01', '--since', '1h', '-f'], { env: { ...process.env, ...first.env } })
  t.teardown(() => { child.kill() })
  let stderr = ''
  child.stderr.on('data', (c: Buffer) => { stderr += c.toString() })
  const out = lineCollector(child)
  await out.until(1)
  await first.write('executions/e-follow01', [{ timestamp: iso(9000), msg: 'line 2', pod: 'p', container: 'c' }])
  await out.until(2)

  await first.app.close()
  const second = await service(t, { databaseUrl: database, port: first.port })
  // Written while the CLI may still be reconnecting, and one with an earlier timestamp than the last seen.
  await second.write('executions/e-follow01', [{ timestamp: iso(8000), msg: 'line 3', pod: 'p', container: 'c' }])
  await second.write('executions/e-follow01', [{ timestamp: iso(20_000), msg: 'line 4 (late)', pod: 'p', container: 'c' }])
  await out.until(4)
  await new Promise((resolve) => setTimeout(resolve, 500))
  t.strictSame(out.lines, ['line 1', 'line 2', 'line 3', 'line 4 (late)'], stderr)
})

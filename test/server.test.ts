// The real process: embedded PostgreSQL in DATA_DIR, graceful SIGTERM (the write in flight completes,
// the database stops), and the data still there after a restart on the same DATA_DIR.
import { existsSync } from 'node:fs'
import { chmod, mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import t from 'tap'
import { startServiceProcess, type ServiceProcess } from '../scripts/service-process.js'
import { freePort } from '../scripts/temporary-postgres.js'
import { token } from './helpers/app.js'

async function start (dataDir: string, pgPort: number): Promise<ServiceProcess> {
  return await startServiceProcess({ DATA_DIR: dataDir, EMBEDDED_PG_PORT: String(pgPort), LOG_LEVEL: 'info' })
}

async function devToken (dataDir: string): Promise<string> {
  const secret = (await readFile(path.join(dataDir, 'auth-secret'), 'utf8')).trim()
  return await token({ secret, groups: ['default'] })
}

t.test('npm start path: embedded database, graceful stop under a write, data kept across a restart', async (t) => {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'run-logs-server-'))
  await chmod(dataDir, 0o755)
  t.teardown(async () => { await rm(dataDir, { recursive: true, force: true }) })
  const pgPort = await freePort()

  const first = await start(dataDir, pgPort)
  t.teardown(() => { first.child.kill('SIGKILL') })
  t.match(first.output(), /dev mode/, 'the start log says how to get a token')
  const headers = { authorization: `Bearer ${await devToken(dataDir)}`, 'content-type': 'application/json' }
  const at = Date.now() - 60_000
  const lines = Array.from({ length: 20_000 }, (_, i) => ({ timestamp: new Date(at + i).toISOString(), msg: `line ${i}` }))
  const write = fetch(`${first.baseUrl}/v2/lm/executions/e-graceful/logs`, { method: 'POST', headers, body: JSON.stringify(lines) })
  await new Promise((resolve) => setTimeout(resolve, 30))
  first.child.kill('SIGTERM')
  const res = await write.catch((err: unknown) => { t.fail(`the write failed: ${String(err)}\n${first.output()}`); throw err })
  t.equal(res.status, 200, 'the write in flight completes')
  t.same(await res.json(), { accepted: 20_000 })
  t.equal(await first.exited, 0, 'the process exits cleanly')
  t.notOk(existsSync(path.join(dataDir, 'pg', 'postmaster.pid')), 'the embedded database stopped cleanly')

  const second = await start(dataDir, pgPort)
  t.teardown(() => { second.child.kill('SIGKILL') })
  const read = await fetch(`${second.baseUrl}/v2/lm/executions/e-graceful/logs?$top=5000&$order=desc&start=${new Date(at - 1000).toISOString()}`, { headers })
  const body = await read.json() as { data: { result: Array<{ msg: string }> } }
  t.equal(body.data.result.length, 5000)
  t.equal(body.data.result[0]?.msg, 'line 19999', 'every line survived the restart')
  second.child.kill('SIGTERM')
  t.equal(await second.exited, 0)
})

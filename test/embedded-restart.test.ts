// The embedded PostgreSQL across crashes, with real processes: after kill -9 of the service its database
// stops by itself (a watchdog on a pipe from the service), an orphan that is still running is stopped by
// the next start, and two services with two DATA_DIRs start side by side on free ports with no settings.
import { execFile } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import t, { type Test } from 'tap'
import { startServiceProcess } from '../scripts/service-process.js'

const sleep = async (ms: number): Promise<void> => { await new Promise((resolve) => setTimeout(resolve, ms)) }
// A stopped orphan may stay a zombie until its new parent reaps it: running means not in state Z.
const alive = (pid: number): boolean => {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'))
  } catch {
    return false
  }
}
const postmasterPid = (dataDir: string): number => Number(readFileSync(path.join(dataDir, 'pg', 'postmaster.pid'), 'utf8').split('\n')[0])

async function tempDataDir (t: Test): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'run-logs-embedded-'))
  t.teardown(async () => { await rm(dir, { recursive: true, force: true }) })
  return dir
}

async function waitUntil (condition: () => boolean, ms: number): Promise<boolean> {
  for (const end = Date.now() + ms; Date.now() < end; await sleep(100)) if (condition()) return true
  return condition()
}

t.test('after kill -9 of the service its database stops by itself, and npm start on the same DATA_DIR starts', async (t) => {
  const dataDir = await tempDataDir(t)
  const first = await startServiceProcess({ DATA_DIR: dataDir })
  const pid = postmasterPid(dataDir)
  first.child.kill('SIGKILL')
  await first.exited
  t.ok(await waitUntil(() => !alive(pid), 20_000), 'the orphaned postmaster stopped when its service died')
  const second = await startServiceProcess({ DATA_DIR: dataDir })
  t.equal((await fetch(`${second.baseUrl}/readyz`)).status, 200, 'the next start is ready')
  t.equal(await second.stop(), 0)
})

t.test('an orphan still running (its watchdog killed too) is stopped cleanly by the next start', async (t) => {
  const dataDir = await tempDataDir(t)
  const first = await startServiceProcess({ DATA_DIR: dataDir })
  const pid = postmasterPid(dataDir)
  // The service's other children (the watchdog) by their pids, then the service: the orphan stays.
  const { stdout } = await promisify(execFile)('ps', ['-o', 'pid=', '--ppid', String(first.child.pid)])
  for (const child of stdout.split('\n').map(Number).filter((p) => p > 0 && p !== pid)) process.kill(child, 'SIGKILL')
  first.child.kill('SIGKILL')
  await first.exited
  await sleep(500)
  t.ok(alive(pid), 'the postmaster outlived its service')
  t.teardown(() => { if (alive(pid)) process.kill(pid, 'SIGKILL') })
  const second = await startServiceProcess({ DATA_DIR: dataDir })
  t.equal((await fetch(`${second.baseUrl}/readyz`)).status, 200, 'the next start is ready')
  t.notOk(alive(pid), 'the orphan was stopped')
  t.match(second.output(), /earlier start of the service left running/, 'and that is logged')
  t.equal(await second.stop(), 0)
})

t.test('two services with two DATA_DIRs start side by side with no settings', async (t) => {
  const [a, b] = await Promise.all([tempDataDir(t), tempDataDir(t)])
  const [one, two] = await Promise.all([startServiceProcess({ DATA_DIR: a }), startServiceProcess({ DATA_DIR: b })])
  t.equal((await fetch(`${one.baseUrl}/readyz`)).status, 200)
  t.equal((await fetch(`${two.baseUrl}/readyz`)).status, 200)
  t.same(await Promise.all([one.stop(), two.stop()]), [0, 0])
})

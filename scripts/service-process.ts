// The service as its own process, for the tests and the benchmarks: src/server.ts on a free port, with the
// caller's settings and none of the runner's AUTH_* or database URLs, ready once /readyz answers.
import { spawn, type ChildProcess } from 'node:child_process'
import path from 'node:path'
import { freePort } from './temporary-postgres.js'

export const ROOT = path.resolve(import.meta.dirname, '..')

/** The runner's environment without the settings that would point the child at another database or issuer. */
export function isolatedEnv (settings: Record<string, string>): NodeJS.ProcessEnv {
  const inherited = Object.fromEntries(Object.entries(process.env)
    .filter(([name]) => !/^(AUTH_|DATABASE_URL$|DATABASE_READ_URL$|TEST_DATABASE_URL$|TEST_ADMIN_DATABASE_URL$)/.test(name)))
  return { ...inherited, ...settings }
}

export interface ServiceProcess {
  child: ChildProcess
  baseUrl: string
  /** Everything it wrote to stdout and stderr so far. */
  output: () => string
  exited: Promise<number | null>
  /** SIGTERM, then its exit code. */
  stop: () => Promise<number | null>
}

/**
 * `entry`: node's arguments, src/server.ts through tsx unless given (the benchmarks run dist/server.js).
 * `prefix`: a command that runs node, such as ['prlimit', '--nofile=350', '--'].
 */
export async function startServiceProcess (settings: Record<string, string>, opts: { echo?: boolean, entry?: string[], prefix?: string[] } = {}): Promise<ServiceProcess> {
  const port = await freePort()
  const command = [...opts.prefix ?? [], process.execPath, ...opts.entry ?? ['--import', 'tsx', 'src/server.ts']]
  const child = spawn(command[0] as string, command.slice(1), {
    cwd: ROOT,
    env: isolatedEnv({ ...settings, PORT: String(port) }),
    stdio: ['ignore', 'pipe', 'pipe']
  })
  let output = ''
  const keep = (chunk: Buffer): void => {
    output += chunk.toString()
    if (opts.echo === true) process.stderr.write(chunk)
  }
  child.stdout.on('data', keep)
  child.stderr.on('data', keep)
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => { resolve(code) }))
  const baseUrl = `http://127.0.0.1:${port}`
  for (let i = 0; i < 300 && child.exitCode === null; i++) {
    if (await fetch(`${baseUrl}/readyz`).then((r) => r.ok, () => false)) {
      return { child, baseUrl, output: () => output, exited, stop: async () => { child.kill('SIGTERM'); return await exited } }
    }
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  child.kill('SIGKILL')
  throw new Error(`the service did not become ready:\n${output}`)
}

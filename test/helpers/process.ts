// Runs one of the project's entry points (src/server.ts, src/cli/*.ts) as its own process, the way npm
// scripts do, with the caller's settings and none of the runner's AUTH_* or database URLs.
import { spawn } from 'node:child_process'
import { isolatedEnv, ROOT } from '../../scripts/service-process.js'

export interface ProcessResult { code: number | null, stdout: string, stderr: string }

export async function runEntryPoint (script: string, args: string[], env: Record<string, string>, timeoutMs = 30_000): Promise<ProcessResult> {
  const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], {
    cwd: ROOT,
    env: isolatedEnv(env),
    stdio: ['ignore', 'pipe', 'pipe']
  })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (chunk: Buffer) => { stdout += chunk.toString() })
  child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString() })
  const timer = setTimeout(() => { child.kill('SIGKILL') }, timeoutMs)
  const code = await new Promise<number | null>((resolve) => { child.on('exit', resolve) })
  clearTimeout(timer)
  return { code, stdout, stderr }
}

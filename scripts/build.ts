// `npm run build`: the server (tsc, into dist/) and the console (Vite, web/ into dist/web). With --if-stale
// (npm start's prestart, .ci/run, the browser tests) each is built only when its sources changed since its
// last build: a hash of the inputs is kept beside the output.
import { spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync } from 'node:fs'
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { ROOT } from './service-process.js'

interface Target {
  name: string
  /** Files and folders (walked) whose contents decide whether the output is current. */
  inputs: string[]
  /** Must exist for the output to count as built. */
  output: string
  build: () => Promise<void>
}

async function filesUnder (entry: string): Promise<string[]> {
  const full = path.join(ROOT, entry)
  if (!existsSync(full)) return []
  const dirents = await readdir(full, { withFileTypes: true, recursive: true }).catch(() => undefined)
  if (dirents === undefined) return [entry]
  return dirents.filter((d) => d.isFile()).map((d) => path.relative(ROOT, path.join(d.parentPath, d.name))).sort()
}

async function inputsHash (inputs: string[]): Promise<string> {
  const hash = createHash('sha256')
  for (const entry of inputs) {
    for (const file of await filesUnder(entry)) hash.update(file).update('\0').update(await readFile(path.join(ROOT, file))).update('\0')
  }
  return hash.digest('hex')
}

async function run (command: string, args: string[]): Promise<void> {
  const child = spawn(command, args, { cwd: ROOT, stdio: 'inherit' })
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve))
  if (code !== 0) throw new Error(`${command} ${args.join(' ')} exited with ${code}`)
}

const bin = (name: string): string => path.join(ROOT, 'node_modules', '.bin', name)
const SHARED = ['package-lock.json']

export const TARGETS: Target[] = [
  {
    name: 'server',
    inputs: ['src', 'tsconfig.json', 'tsconfig.build.json', ...SHARED],
    output: 'dist/server.js',
    build: async () => { await run(bin('tsc'), ['-p', 'tsconfig.build.json']) }
  },
  {
    name: 'console',
    inputs: ['web', 'vite.config.ts', ...SHARED],
    output: 'dist/web/index.html',
    build: async () => { await run(bin('vite'), ['build', '--logLevel', 'warn']) }
  }
]

const stampOf = (target: Target): string => path.join(ROOT, 'dist', `.${target.name}-sources`)

/** Builds the targets (all, or those named); with ifStale, only those whose inputs changed. Returns what was built. */
export async function build (opts: { ifStale: boolean, only?: string[] }): Promise<string[]> {
  const built: string[] = []
  for (const target of TARGETS.filter((t) => opts.only === undefined || opts.only.includes(t.name))) {
    const hash = await inputsHash(target.inputs)
    const stamp = await readFile(stampOf(target), 'utf8').catch(() => '')
    if (opts.ifStale && stamp === hash && existsSync(path.join(ROOT, target.output))) continue
    await target.build()
    await mkdir(path.join(ROOT, 'dist'), { recursive: true })
    await writeFile(stampOf(target), hash)
    built.push(target.name)
  }
  return built
}

if (import.meta.filename === process.argv[1]) {
  const built = await build({ ifStale: process.argv.includes('--if-stale') })
  console.log(built.length === 0 ? 'build: server and console are current' : `build: built ${built.join(' and ')}`)
}

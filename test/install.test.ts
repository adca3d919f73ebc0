// A new user's first steps: npm install on Node 20 warns about no engine, and README's docker run keeps
// DATA_DIR (exports, generated secrets) on a volume the Dockerfile declares.
import { execFile } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import { promisify } from 'node:util'
import t from 'tap'

const run = promisify(execFile)

t.test('npm install prints no EBADENGINE warning', async (t) => {
  // --dry-run resolves the whole tree against the lockfile and checks every package's engines, installing nothing.
  const { stdout, stderr } = await run('npm', ['install', '--dry-run', '--offline', '--ignore-scripts', '--no-audit', '--no-fund'], { maxBuffer: 16 * 1024 * 1024 })
  const warnings = `${stdout}\n${stderr}`.split('\n').filter((l) => l.includes('EBADENGINE'))
  t.same(warnings, [], `running Node ${process.version}`)
})

t.test('README\'s docker run mounts a volume on DATA_DIR, and the Dockerfile declares it', async (t) => {
  const dockerfile = await readFile('Dockerfile', 'utf8')
  const dataDir = /DATA_DIR=(\S+)/.exec(dockerfile)?.[1]
  t.ok(dataDir, 'the Dockerfile sets DATA_DIR')
  t.match(dockerfile, new RegExp(`^VOLUME \\["${dataDir}"\\]`, 'm'), 'VOLUME on DATA_DIR')
  const readme = await readFile('README.md', 'utf8')
  const dockerRun = /^docker run (?:.*\\\n)*.*$/m.exec(readme)?.[0] ?? ''
  t.match(dockerRun, new RegExp(` -v \\S+:${dataDir}[ \\\\]`), `docker run mounts ${dataDir}: ${dockerRun}`)
})

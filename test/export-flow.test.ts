// An export from request to archive: READY, downloaded by its link without a token, unpacked with tar,
// checked with sha256sum -c, and every file's lines equal to what GET .../logs returns for the run.
import { readdir, readFile, rm } from 'node:fs/promises'
import path from 'node:path'
import t from 'tap'
import { escapeMsg } from '../src/export/run-files.js'
import { authHeaders, buildTestApp } from './helpers/app.js'
import { linkPath, requestExport, run, unpack, waitForStatus, writeLines } from './helpers/exports.js'

const BASE = Date.now() - 30 * 60_000
const at = (ms: number, fraction = ''): string => new Date(BASE + ms).toISOString().replace('Z', `${fraction}Z`)

t.test('create, wait for READY, download without a token, unpack, verify, and compare with GET', async (t) => {
  const { app } = await buildTestApp(t, { env: { EXPORT_POLL_INTERVAL_MS: '50', PUBLIC_BASE_URL: 'https://logs.example.test/' } })
  const headers = await authHeaders({}, 'team-a')
  await writeLines(app, headers, 'deployments', 'd-flow-1', [
    { timestamp: at(1000, '123456'), msg: 'model loaded', pod: 'pod-1', container: 'main', stream: 'stdout' },
    { timestamp: at(1000, '123456'), msg: 'same time, written second', pod: 'pod-1', container: 'main', stream: 'stdout' },
    { timestamp: at(2000, '000001'), msg: 'a\nmulti-line\\message', pod: 'pod-1', container: 'main', stream: 'stderr' },
    { timestamp: at(3000), msg: 'sidecar up', pod: 'pod-1', container: 'side/car', stream: 'stdout' },
    { timestamp: at(4000), msg: '', pod: 'pod-2', container: 'main' },
    { timestamp: at(-60_000), msg: 'before the range', pod: 'pod-1', container: 'main' }
  ])
  await writeLines(app, headers, 'executions', 'e-flow-1', [
    { timestamp: at(500), msg: 'step 1', pod: 'exec-pod', container: 'step' },
    { timestamp: at(5000), msg: 'step 2', pod: 'exec-pod', container: 'step' }
  ])
  await writeLines(app, headers, 'deployments', 'd-not-listed', [{ timestamp: at(1000), msg: 'not asked for' }])

  const start = at(0)
  const end = at(10_000)
  const created = await requestExport(app, headers, { deploymentIds: ['d-flow-1'], executionIds: ['e-flow-1'], start, end })
  t.equal(created.status, 'QUEUED', '202 with a QUEUED export')
  t.equal(created.totalExecutions, 2, 'the listed runs with lines in range')
  t.equal(created.downloadLink, null)

  const ready = await waitForStatus(app, headers, created.requestId, 'READY')
  t.same(ready.progress, { runsWritten: 2, totalExecutions: 2 })
  t.ok(ready.downloadLink?.startsWith(`https://logs.example.test/v2/lm/exports/${created.requestId}/download?`), 'an absolute link on PUBLIC_BASE_URL')
  t.ok(ready.expiresAt !== null)

  const download = await app.inject({ method: 'GET', url: linkPath(ready.downloadLink ?? '') })
  t.equal(download.statusCode, 200, 'the link works without a token')
  t.equal(download.headers['content-type'], 'application/gzip')
  t.equal(Number(download.headers['content-length']), download.rawPayload.length)
  t.match(download.headers['content-disposition'], `logs-export-${created.requestId}.tar.gz`)

  const root = await unpack(download.rawPayload)
  t.teardown(async () => { await rm(path.dirname(root), { recursive: true, force: true }) })
  t.equal(path.basename(root), `logs-export-${created.requestId}`, 'one root folder logs-export-<requestId>')
  const check = await run('sha256sum', ['-c', 'MANIFEST.sha256'], { cwd: root })
  t.notMatch(check.stdout, /FAILED/, 'sha256sum -c passes')
  const { stdout: sum } = await run('sha256sum', [path.join(path.dirname(root), 'archive.tar.gz')])
  t.equal(sum.split(' ')[0], download.headers['x-archive-sha256'], 'the archive\'s sha256 in a header')

  const folders = (await readdir(root, { withFileTypes: true })).filter((d) => d.isDirectory()).map((d) => d.name).sort()
  t.same(folders, [
    `${at(500).replaceAll(':', '-')}_execution_e-flow-1`,
    `${at(1000, '123456').replaceAll(':', '-')}_deployment_d-flow-1`
  ].sort(), 'a folder per run named <first line\'s timestamp>_<kind>_<id>')
  const readme = await readFile(path.join(root, 'README.md'), 'utf8')
  for (const folder of folders) t.match(readme, folder, `README lists ${folder}`)

  for (const folder of folders) {
    const info = JSON.parse(await readFile(path.join(root, folder, 'execution.json'), 'utf8')) as {
      kind: string, id: string, lineCount: number, files: Array<{ path: string, pod: string, container: string, lines: number, sha256: string }>
    }
    const res = await app.inject({
      method: 'GET',
      url: `/v2/lm/${info.kind}s/${info.id}/logs?start=${encodeURIComponent(start)}&end=${encodeURIComponent(end)}&$top=5000`,
      headers
    })
    const served = res.json<{ data: { result: Array<{ timestamp: string, stream: string, msg: string, pod: string, container: string }> } }>().data.result
    t.equal(info.lineCount, served.length, `${info.id}: execution.json counts every line GET returns`)
    const onDisk = (await readdir(path.join(root, folder))).filter((n) => n.endsWith('.log')).sort()
    t.same(onDisk, info.files.map((f) => f.path).sort(), `${info.id}: execution.json names every log file`)
    for (const file of info.files) {
      const text = await readFile(path.join(root, folder, file.path), 'utf8')
      const expected = served.filter((l) => l.pod === file.pod && l.container === file.container)
        .map((l) => `${l.timestamp} ${l.stream} ${escapeMsg(l.msg)}\n`).join('')
      t.equal(text, expected, `${info.id}/${file.path}: the lines GET returns for ${file.pod}/${file.container}, in order`)
      t.equal(file.lines, expected.split('\n').length - 1)
    }
  }
  t.ok(folders.some((f) => f.endsWith('d-flow-1')) && !folders.some((f) => f.includes('d-not-listed')), 'unlisted runs stay out')
  const files = (await readdir(path.join(root, folders.find((f) => f.endsWith('d-flow-1')) ?? ''))).sort()
  t.same(files, ['execution.json', 'pod-1_main.log', 'pod-1_side_car.log', 'pod-2_main.log'], 'one file per pod and container, names made safe')
})

t.test('folder and file names are valid on Windows too, unique without regard to case, and traceable in execution.json', async (t) => {
  const { app } = await buildTestApp(t, { env: { EXPORT_POLL_INTERVAL_MS: '50' } })
  const headers = await authHeaders({}, 'team-w')
  const same = at(1000)
  await writeLines(app, headers, 'deployments', 'd-dots..', [{ timestamp: same, msg: 'a trailing dot', pod: 'nul', container: 'x' }])
  await writeLines(app, headers, 'deployments', 'd-case', [
    { timestamp: same, msg: 'lower', pod: 'CON.sole', container: '' },
    { timestamp: same, msg: 'com1', pod: 'com1', container: 'c.' },
    { timestamp: same, msg: 'web', pod: 'web', container: 'main' },
    { timestamp: same, msg: 'Web', pod: 'Web', container: 'main' }
  ])
  await writeLines(app, headers, 'deployments', 'd-CASE', [{ timestamp: same, msg: 'upper' }])
  const created = await requestExport(app, headers, { deploymentIds: ['d-dots..', 'd-case', 'd-CASE'], start: at(0), end: at(10_000) })
  const ready = await waitForStatus(app, headers, created.requestId, 'READY')
  const root = await unpack((await app.inject({ method: 'GET', url: linkPath(ready.downloadLink ?? '') })).rawPayload)
  t.teardown(async () => { await rm(path.dirname(root), { recursive: true, force: true }) })
  const folders = (await readdir(root, { withFileTypes: true })).filter((d) => d.isDirectory()).map((d) => d.name)
  const names = [...folders]
  const owner = new Map<string, string>()
  for (const folder of folders) {
    const info = JSON.parse(await readFile(path.join(root, folder, 'execution.json'), 'utf8')) as { id: string, folder: string, files: Array<{ path: string }> }
    t.equal(info.folder, folder, `${info.id}: execution.json names its folder`)
    owner.set(info.id, folder)
    names.push(...info.files.map((f) => f.path))
  }
  t.same([...owner.keys()].sort(), ['d-CASE', 'd-case', 'd-dots..'], 'each run traceable to its folder')
  t.match(owner.get('d-dots..'), /_deployment_d-dots__$/, 'trailing dots become _')
  for (const name of names) {
    t.notMatch(name, /[. ]$/, `${name}: no trailing dot or space`)
    t.notMatch(name.split('.')[0], /^(con|prn|aux|nul|com\d|lpt\d)$/i, `${name}: no reserved device name`)
  }
  t.equal(new Set(folders.map((f) => f.toLowerCase())).size, folders.length, 'folders differ in more than case')
  const caseFiles = (await readdir(path.join(root, owner.get('d-case') ?? ''))).filter((n) => n.endsWith('.log'))
  t.equal(new Set(caseFiles.map((f) => f.toLowerCase())).size, caseFiles.length, 'files differ in more than case')
  t.ok(caseFiles.includes('_CON.sole_no-container.log') && caseFiles.includes('com1_c_.log'), `a device name gets a leading _, a trailing dot becomes _: ${caseFiles.join(', ')}`)
})

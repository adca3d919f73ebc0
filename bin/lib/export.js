// @ts-check
// run-logs export: request an archive (or name one by its requestId); with --wait, poll until it is READY,
// download it (a progress bar on a terminal) and check every file against MANIFEST.sha256.
import { createHash } from 'node:crypto'
import { createWriteStream } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { setTimeout as sleep } from 'node:timers/promises'
import { pipeline } from 'node:stream/promises'
import { Readable } from 'node:stream'
import { createGunzip } from 'node:zlib'
import tar from 'tar-stream'
import { CliError, request, requestJson, usage } from './client.js'
import { Progress, writeOut } from './output.js'
import { sinceStart } from './time.js'

export const EXPORT_OPTIONS = /** @type {const} */ ({
  deployment: { type: 'string', multiple: true },
  execution: { type: 'string', multiple: true },
  since: { type: 'string' },
  start: { type: 'string' },
  end: { type: 'string' },
  wait: { type: 'boolean' },
  file: { type: 'string', short: 'O' },
  output: { type: 'string', short: 'o' }
})

const POLL_MS = 1000

/**
 * @param {import('./client.js').Connection} conn
 * @param {string[]} args
 * @param {Record<string, string | boolean | string[] | undefined>} o
 */
export async function exportCommand (conn, args, o) {
  if (args.length > 1) throw usage('usage: run-logs export [REQUEST_ID] [--deployment ID]... [--execution ID]... [--since D | --start T] [--end T] [--wait] [-O FILE]')
  let job
  if (args[0] !== undefined) {
    job = await requestJson(conn, `/v2/lm/exports/${encodeURIComponent(args[0])}`)
  } else {
    /** @type {Record<string, unknown>} */
    const filters = {}
    if (Array.isArray(o.deployment)) filters.deploymentIds = o.deployment
    if (Array.isArray(o.execution)) filters.executionIds = o.execution
    const start = typeof o.since === 'string' ? sinceStart(o.since) : o.start
    if (typeof start === 'string') filters.start = start
    if (typeof o.end === 'string') filters.end = o.end
    if (Object.keys(filters).length === 0) throw usage('name what to export: --deployment, --execution, --since, --start or --end')
    job = await requestJson(conn, '/v2/lm/exports', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ filters }) })
  }
  if (o.wait !== true) {
    await writeOut(o.output === 'json' ? JSON.stringify(job, null, 2) + '\n' : `${job.requestId} ${job.status}${job.downloadLink === undefined ? '' : ` ${job.downloadLink}`}\n`)
    return
  }
  const progress = new Progress(`export ${job.requestId}`)
  const started = Date.now()
  while (job.status === 'QUEUED') {
    progress.update(Math.round((Date.now() - started) / 1000), undefined, 's queued')
    await sleep(POLL_MS)
    job = await requestJson(conn, `/v2/lm/exports/${job.requestId}`)
  }
  progress.end()
  if (job.status !== 'READY') throw new CliError(2, `export ${job.requestId} is ${job.status}${job.errorMessage === undefined ? '' : `: ${job.errorMessage}`}`)
  const file = typeof o.file === 'string' ? o.file : `logs-export-${job.requestId}.tar.gz`
  await download(conn, job.downloadLink, file)
  const files = await verify(file)
  await writeOut(`${file}: ${files} files, every checksum in MANIFEST.sha256 matches\n`)
}

/** @param {import('./client.js').Connection} conn @param {string} link @param {string} file */
async function download (conn, link, file) {
  // The link is signed and works without a token, like a presigned URL.
  const res = await request({ ...conn, token: undefined, group: undefined }, link)
  const total = Number(res.headers.get('content-length') ?? '') || undefined
  const progress = new Progress(`downloading ${file}`)
  let done = 0
  const body = Readable.fromWeb(/** @type {import('node:stream/web').ReadableStream<Uint8Array>} */ (res.body))
  body.on('data', (chunk) => { done += /** @type {Buffer} */ (chunk).length; progress.update(done, total, ' bytes') })
  await pipeline(body, createWriteStream(file))
  progress.end()
}

/**
 * Reads the archive once: the sha256 of every file, then each MANIFEST line (`<hex>  <path>` under the
 * root folder) must name a file with that sum. Returns the number of files checked.
 * @param {string} file
 */
export async function verify (file) {
  /** @type {Map<string, string>} */
  const sums = new Map()
  let manifest = ''
  const extract = tar.extract()
  extract.on('entry', (header, stream, next) => {
    const hash = createHash('sha256')
    /** @type {Buffer[]} */
    const kept = []
    const isManifest = header.name.endsWith('/MANIFEST.sha256')
    stream.on('data', (data) => {
      const chunk = /** @type {Buffer} */ (data)
      hash.update(chunk)
      if (isManifest) kept.push(chunk)
    })
    stream.on('end', () => {
      const relative = header.name.split('/').slice(1).join('/')
      sums.set(relative, hash.digest('hex'))
      if (isManifest) manifest = Buffer.concat(kept).toString('utf8')
      next()
    })
    stream.resume()
  })
  await pipeline(Readable.from([await readFile(file)]), createGunzip(), extract)
  const lines = manifest.split('\n').filter((l) => l !== '')
  if (lines.length === 0) throw new CliError(3, `${file} has no MANIFEST.sha256`)
  for (const line of lines) {
    const m = /^([0-9a-f]{64}) {2}(.+)$/.exec(line)
    if (m === null) throw new CliError(3, `${file}: MANIFEST.sha256 line is not "<sha256>  <path>": ${line}`)
    if (sums.get(/** @type {string} */ (m[2])) !== m[1]) throw new CliError(3, `${file}: ${m[2]} does not match its checksum in MANIFEST.sha256`)
  }
  return lines.length
}

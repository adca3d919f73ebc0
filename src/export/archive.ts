// Writes one export's archive as a stream: runs are read batch by batch from the store into temp files
// (RunFiles), each then appended to a tar, gzip'd straight to disk. Memory holds one batch of lines and
// the summaries, whatever the export's size. The archive is written under a temporary name and renamed
// only when complete, so nothing half-written is ever served.
import { createHash } from 'node:crypto'
import { once } from 'node:events'
import { createReadStream, createWriteStream } from 'node:fs'
import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises'
import path from 'node:path'
import { Transform } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { createGzip } from 'node:zlib'
import type pg from 'pg'
import tar from 'tar-stream'
import type { ClaimedJob } from '../store/export-jobs.js'
import { exportLines } from '../store/export-lines.js'
import { parseRfc3339 } from '../time.js'
import { UniqueNames } from './file-names.js'
import { RunFiles } from './run-files.js'
import { executionJson, readme, runFolder, type ArchiveHeader, type RunSummary } from './summary.js'

export interface BuiltArchive { path: string, bytes: number, sha256: string }

export interface BuildContext {
  pool: pg.Pool
  dir: string
  maxFileBytes: number
  builtAt: string
  mtime: Date
  /** Called after each batch of lines and each run; throwing stops the build (lease lost, service stopping). */
  checkpoint: (runsWritten: number) => void
}

const archiveName = (requestId: string): string => `${requestId}.tar.gz`

/** Removes what an earlier, interrupted attempt at this export left behind. */
async function clearLeftovers (dir: string, requestId: string): Promise<void> {
  const names = await readdir(dir)
  await Promise.all(names.filter((n) => n.startsWith(`.build-${requestId}`) || n.startsWith(`.${requestId}.`))
    .map(async (n) => { await rm(path.join(dir, n), { recursive: true, force: true }) }))
}

async function appendFile (pack: tar.Pack, name: string, size: number, file: string, mtime: Date): Promise<void> {
  const done = new Promise<void>((resolve, reject) => {
    const sink = pack.entry({ name, size, mode: 0o644, mtime }, (err) => { if (err != null) reject(err); else resolve() })
    ;(async () => {
      for await (const chunk of createReadStream(file)) {
        if (!sink.write(chunk as Buffer)) await once(sink, 'drain')
      }
      sink.end(() => undefined)
    })().catch(reject)
  })
  await done
}

async function appendText (pack: tar.Pack, name: string, text: string, mtime: Date): Promise<string> {
  await new Promise<void>((resolve, reject) => {
    pack.entry({ name, mode: 0o644, mtime }, text, (err) => { if (err != null) reject(err); else resolve() })
  })
  return createHash('sha256').update(text).digest('hex')
}

export async function buildArchive (job: ClaimedJob, ctx: BuildContext): Promise<BuiltArchive> {
  await mkdir(ctx.dir, { recursive: true })
  await clearLeftovers(ctx.dir, job.requestId)
  // Named by attempt: a worker that lost its lease must not delete the files of the one that took over.
  const workDir = path.join(ctx.dir, `.build-${job.requestId}-${job.attempts}`)
  const partial = path.join(ctx.dir, `.${job.requestId}.${job.attempts}.tar.gz.partial`)
  await mkdir(workDir)
  const pack = tar.pack()
  try {
    const root = `logs-export-${job.requestId}`
    const hash = createHash('sha256')
    let bytes = 0
    const measure = new Transform({
      transform (chunk: Buffer, _enc, cb) { hash.update(chunk); bytes += chunk.length; cb(null, chunk) }
    })
    const written = pipeline(pack, createGzip(), measure, createWriteStream(partial))
    // If the disk fails, the pipeline rejects while entries are still being added; the build awaits it below.
    written.catch(() => undefined)

    const header: ArchiveHeader = {
      requestId: job.requestId, group: job.group, createdBy: job.createdBy, triggeredAt: job.triggeredAt, builtAt: ctx.builtAt, filters: job.filters
    }
    const start = parseRfc3339(job.filters.start)
    const end = parseRfc3339(job.filters.end)
    const manifest: string[] = []
    const summaries: RunSummary[] = []
    pack.entry({ name: `${root}/`, type: 'directory', mode: 0o755, mtime: ctx.mtime })
    const folders = new UniqueNames()
    for (const run of job.runs) {
      const folder = folders.take(runFolder(run))
      const files = new RunFiles(workDir, ctx.maxFileBytes)
      for await (const rows of exportLines(ctx.pool, { group: job.group, kind: run.kind, id: run.id }, start, end)) {
        await files.add(rows)
        ctx.checkpoint(summaries.length)
      }
      const parts = await files.finish()
      pack.entry({ name: `${root}/${folder}/`, type: 'directory', mode: 0o755, mtime: ctx.mtime })
      for (const part of parts) {
        const size = (await stat(part.tempPath)).size
        await appendFile(pack, `${root}/${folder}/${part.name}`, size, part.tempPath, ctx.mtime)
        await rm(part.tempPath)
        manifest.push(`${part.sha256}  ${folder}/${part.name}`)
      }
      const summary = { run, folder, files: parts }
      const json = await appendText(pack, `${root}/${folder}/execution.json`, executionJson(header, summary), ctx.mtime)
      manifest.push(`${json}  ${folder}/execution.json`)
      summaries.push(summary)
      ctx.checkpoint(summaries.length)
    }
    manifest.push(`${await appendText(pack, `${root}/README.md`, readme(header, summaries), ctx.mtime)}  README.md`)
    await appendText(pack, `${root}/MANIFEST.sha256`, manifest.join('\n') + '\n', ctx.mtime)
    pack.finalize()
    await written
    const target = path.join(ctx.dir, archiveName(job.requestId))
    await rename(partial, target)
    return { path: target, bytes, sha256: hash.digest('hex') }
  } catch (err) {
    pack.destroy()
    throw err
  } finally {
    await rm(workDir, { recursive: true, force: true })
    await rm(partial, { force: true })
  }
}

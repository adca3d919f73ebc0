// Builds queued exports in this process. Jobs are claimed from Postgres (SKIP LOCKED, a lease extended by a
// heartbeat), so replicas share the queue, never build one export twice, and take over a build whose
// worker died once its lease lapses. A failed build is retried up to EXPORT_MAX_ATTEMPTS times.
import { randomUUID } from 'node:crypto'
import { hostname } from 'node:os'
import type { FastifyBaseLogger } from 'fastify'
import type pg from 'pg'
import type { Config } from '../config.js'
import { isDatabaseUnavailable } from '../errors.js'
import type { ClaimedJob, ExportRow } from '../store/export-jobs.js'
import type { ExportQueue } from '../store/export-queue.js'
import { NS_PER_SECOND, formatInstant, type Instant } from '../time.js'
import { buildArchive } from './archive.js'

class BuildStopped extends Error {}

const FILESYSTEM_CODES = new Set(['ENOSPC', 'EACCES', 'EPERM', 'EROFS', 'ENOTDIR', 'EEXIST', 'EISDIR', 'ENOENT', 'EDQUOT', 'EIO'])

/** What a person can act on; the full error goes to the log. */
function failureMessage (err: unknown, attempts: number): string {
  const code = (err as { code?: unknown }).code
  const tried = ` Tried ${attempts} time${attempts === 1 ? '' : 's'}.`
  if (typeof code === 'string' && FILESYSTEM_CODES.has(code)) {
    return `The archive could not be written to the service's export folder (${code}): the operator must check EXPORT_DIR (free space, permissions). Request the export again once that is fixed.${tried}`
  }
  if (isDatabaseUnavailable(err)) return `The log store was unavailable while the archive was built; request the export again later.${tried}`
  return `The archive could not be built because of an internal error, logged with this export's requestId; request the export again and report the requestId if it fails again.${tried}`
}

export interface WorkerDeps {
  queue: ExportQueue
  pool: pg.Pool
  config: Config
  now: () => Instant
  log: FastifyBaseLogger
  /** Called when a job ends READY or FAILED (the webhook). */
  finished: (row: ExportRow) => Promise<void>
}

export class ExportWorker {
  readonly owner = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`
  private readonly active = new Set<Promise<unknown>>()
  private timer: NodeJS.Timeout | undefined
  private stopping = false
  private draining = false

  constructor (private readonly deps: WorkerDeps) {}

  start (): void {
    this.timer = setInterval(() => { this.wake() }, this.deps.config.exports.pollIntervalMs)
    this.timer.unref()
    this.wake()
  }

  /** Looks for work now (after a POST, so a new export need not wait for the next poll). */
  wake (): void {
    if (this.timer === undefined || this.stopping || this.draining) return
    this.draining = true
    this.fill().catch((err: unknown) => { this.deps.log.warn({ err }, 'export worker could not claim a job; will retry') })
      .finally(() => { this.draining = false })
  }

  private async fill (): Promise<void> {
    while (!this.stopping && this.active.size < this.deps.config.exports.workers) {
      const job = await this.deps.queue.claim(this.owner, this.deps.config.exports.leaseSeconds)
      if (job === undefined) return
      // A build that cannot even record its failure (database gone) leaves its lease to lapse; it is retried.
      const build: Promise<unknown> = this.build(job)
        .catch((err: unknown) => { this.deps.log.warn({ err, exportId: job.requestId }, 'export build could not record its outcome') })
        .finally(() => { this.active.delete(build); this.wake() })
      this.active.add(build)
    }
  }

  /** Claims and builds one job, if any is waiting; resolves with its id when done. */
  async runOnce (): Promise<string | undefined> {
    const job = await this.deps.queue.claim(this.owner, this.deps.config.exports.leaseSeconds)
    if (job === undefined) return undefined
    await this.build(job)
    return job.requestId
  }

  async stop (): Promise<void> {
    this.stopping = true
    clearInterval(this.timer)
    await Promise.allSettled([...this.active])
  }

  private async build (job: ClaimedJob): Promise<void> {
    const { queue, config, log } = this.deps
    const { leaseSeconds, maxAttempts } = config.exports
    const jobLog = log.child({ exportId: job.requestId, group: job.group, attempt: job.attempts })
    if (job.attempts > maxAttempts) {
      // Every allowed attempt was cut short (its worker died without recording a failure).
      await this.fail(job, `The export was interrupted ${maxAttempts} times before it completed; request it again.`, jobLog)
      return
    }
    let runsWritten = 0
    let lost = false
    const heartbeat = setInterval(() => {
      queue.heartbeat(job.requestId, this.owner, leaseSeconds, runsWritten)
        .then((mine) => { if (!mine) lost = true }, (err: unknown) => { jobLog.warn({ err }, 'export heartbeat failed') })
    }, Math.min(1000, (leaseSeconds * 1000) / 3))
    jobLog.info({ runs: job.totalExecutions }, 'export build started')
    const started = performance.now()
    try {
      const now = this.deps.now()
      const archive = await buildArchive(job, {
        pool: this.deps.pool,
        dir: config.exports.dir,
        maxFileBytes: config.exports.maxFileBytes,
        builtAt: formatInstant(now),
        mtime: new Date(Number(now / 1_000_000n)),
        checkpoint: (n) => {
          runsWritten = n
          if (lost) throw new BuildStopped('lease lost')
          if (this.stopping) throw new BuildStopped('service stopping')
        }
      })
      clearInterval(heartbeat)
      const readyAt = this.deps.now()
      // Links carry whole seconds; the expiry is stored the same, so link and export agree on it.
      const expires = (readyAt / NS_PER_SECOND + BigInt(config.exports.ttlHours * 3600)) * NS_PER_SECOND
      const row = await queue.markReady(job.requestId, this.owner, readyAt, expires, archive)
      if (row === undefined) {
        jobLog.warn('export built after its lease passed to another worker; that build stands')
        return
      }
      jobLog.info({ bytes: archive.bytes, ms: Math.round(performance.now() - started) }, 'export ready')
      await this.deps.finished(row)
    } catch (err) {
      clearInterval(heartbeat)
      if (err instanceof BuildStopped) {
        if (this.stopping) await queue.release(job.requestId, this.owner)
        jobLog.info({ reason: err.message }, 'export build stopped; the job is queued again')
        return
      }
      jobLog.error({ err }, 'export build failed')
      await this.fail(job, failureMessage(err, job.attempts), jobLog)
    }
  }

  private async fail (job: ClaimedJob, message: string, jobLog: FastifyBaseLogger): Promise<void> {
    const row = await this.deps.queue.retryOrFail(job.requestId, this.owner, this.deps.config.exports.maxAttempts, message)
    if (row?.status === 'FAILED') {
      jobLog.warn({ errorMessage: message }, 'export failed')
      await this.deps.finished(row)
    }
  }
}

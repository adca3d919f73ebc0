// Exports: the job store, this process's worker, the link signer and the sweeper that deletes expired
// archives. Background work runs only when the app runs for real (not for the OpenAPI document).
import { rm } from 'node:fs/promises'
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { lazySecret } from '../auth/signing.js'
import type { Config } from '../config.js'
import { ExportJobs, type ExportRow } from '../store/export-jobs.js'
import { ExportNotifications } from '../store/export-notifications.js'
import { ExportQueue } from '../store/export-queue.js'
import { createPool } from '../store/pool.js'
import { LinkSigner } from './links.js'
import { exportView, type ExportView } from './view.js'
import { ExportNotifier } from './notifier.js'
import { notifyWebhook } from './webhook.js'
import { ExportWorker } from './worker.js'

const EXPORT_LINK_SECRET_FILE = 'export-link-secret'

export interface ExportService {
  jobs: ExportJobs
  worker: ExportWorker
  links: LinkSigner
  notifier: ExportNotifier
  /** The API's export object, with a signed link when READY and its notifications. */
  view: (row: ExportRow) => Promise<ExportView>
  /** view() of many exports, their notifications read at once. */
  views: (rows: ExportRow[]) => Promise<ExportView[]>
  /** Marks READY exports past their expiry EXPIRED and deletes their archives (all, or one). */
  sweep: (requestId?: string) => Promise<number>
}

declare module 'fastify' {
  interface FastifyInstance {
    exports: ExportService
  }
}

export interface ExportOptions {
  config: Config
  databaseUrl: string
  background: boolean
}

async function exportPlugin (app: FastifyInstance, opts: ExportOptions): Promise<void> {
  const { config } = opts
  const settings = config.exports
  // Its own small pool: a long build holds a connection per batch and must not starve the API's reads.
  const pool = createPool(opts.databaseUrl, settings.workers + 2)
  app.pools.set('exports', pool)
  const jobs = new ExportJobs(pool)
  const queue = new ExportQueue(pool)
  const links = new LinkSigner(config.publicBaseUrl, lazySecret(settings.linkSecret, config.dataDir, EXPORT_LINK_SECRET_FILE))
  const log = app.log.child({ component: 'exports' })

  const notifications = new ExportNotifications(pool)
  const views = async (rows: ExportRow[]): Promise<ExportView[]> => {
    const sent = await notifications.of(rows.map((r) => r.requestId))
    return await Promise.all(rows.map(async (row) => {
      const link = row.status === 'READY' && row.expiresEpoch !== null
        ? await links.url({ requestId: row.requestId, group: row.group, expires: row.expiresEpoch })
        : null
      return exportView(row, app.now(), link, sent.get(row.requestId) ?? [])
    }))
  }
  const view = async (row: ExportRow): Promise<ExportView> => (await views([row]))[0] as ExportView
  const notifier = new ExportNotifier({ notifications, jobs, config: config.notify, view, log: log.child({ component: 'notifications' }) })
  const worker = new ExportWorker({
    queue,
    pool,
    config,
    now: app.now,
    log,
    finished: async (row) => {
      notifier.wake()
      await notifyWebhook(settings.webhookUrl, await view(row), row.group, log)
    }
  })
  const sweep = async (requestId?: string): Promise<number> => {
    const expired = await queue.expire(app.now(), requestId)
    for (const e of expired) {
      if (e.archivePath !== null) await rm(e.archivePath, { force: true })
    }
    if (expired.length > 0) log.info({ expired: expired.map((e) => e.requestId) }, 'expired exports deleted')
    return expired.length
  }
  app.decorate('exports', { jobs, worker, links, notifier, view, views, sweep })

  let sweeper: NodeJS.Timeout | undefined
  app.addHook('onReady', async () => {
    if (!opts.background) return
    if (settings.workers > 0) worker.start()
    notifier.start()
    sweeper = setInterval(() => {
      sweep().catch((err: unknown) => { log.warn({ err }, 'export sweep failed; will retry') })
    }, settings.sweepIntervalSeconds * 1000)
    sweeper.unref()
  })
  app.addHook('onClose', async () => {
    clearInterval(sweeper)
    await worker.stop()
    await notifier.stop()
    await pool.end()
  })
}

export default fp(exportPlugin, { name: 'exports', dependencies: ['database'] })

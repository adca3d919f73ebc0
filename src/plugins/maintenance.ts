// Upkeep on timers, one place for all of them: day partitions made ahead and dropped after retention (also
// per resource group), and expired idempotency keys forgotten. Each task runs once when the app is ready,
// then every intervalSeconds; closing the app ends the timers (before the database plugin ends the pools).
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import type { Config } from '../config.js'
import { keysExpiredBefore } from '../store/idempotency.js'
import { NS_PER_MS } from '../time.js'

interface UpkeepTask {
  /** Logged when a run fails; the next run tries again. */
  failure: string
  intervalSeconds: number
  run: () => Promise<void>
}

function upkeepTasks (app: FastifyInstance, config: Config): UpkeepTask[] {
  const partitionsAndRetention = async (): Promise<void> => {
    const nowMs = Number(app.now() / NS_PER_MS)
    const { dropped, groupLines } = await app.partitions.maintain(nowMs, config.partitionsAheadDays, config.retentionDays, config.retentionDaysByGroup)
    if (dropped.length > 0) app.log.info({ dropped }, 'dropped partitions past retention')
    if (groupLines > 0) app.log.info({ lines: groupLines }, 'dropped blocks past their resource group\'s retention')
    const expiredKeys = await app.store.expireIdempotencyKeys(keysExpiredBefore(app.now(), config.idempotencyTtlHours))
    if (expiredKeys > 0) app.log.info({ expiredKeys }, 'forgot expired idempotency keys')
  }
  return [
    { failure: 'partition maintenance failed; will retry', intervalSeconds: config.maintenanceIntervalSeconds, run: partitionsAndRetention }
    // Further upkeep is one more task here, with its own interval. The block merger has its own plugin
    // (block-merger.ts): its rounds must never overlap, and a shutdown waits for the run it is merging.
  ]
}

async function maintenancePlugin (app: FastifyInstance, opts: { config: Config }): Promise<void> {
  const tasks = upkeepTasks(app, opts.config)
  const timers: NodeJS.Timeout[] = []
  app.addHook('onReady', async () => {
    for (const task of tasks) {
      await task.run()
      const timer = setInterval(() => {
        task.run().catch((err: unknown) => { app.log.warn({ err }, task.failure) })
      }, task.intervalSeconds * 1000)
      timer.unref()
      timers.push(timer)
    }
  })
  app.addHook('onClose', async () => {
    for (const timer of timers) clearInterval(timer)
  })
}

export default fp(maintenancePlugin, { name: 'maintenance', dependencies: ['database'] })

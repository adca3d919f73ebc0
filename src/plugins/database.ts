// The pool, the store over it, and upkeep (partitions made ahead at start and on a timer, dropped after
// retention; expired idempotency keys deleted). Closing the app ends the timer and the pool.
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import type pg from 'pg'
import type { Config } from '../config.js'
import { LogStore } from '../store/log-store.js'
import { Partitions } from '../store/partitions.js'
import { createPool } from '../store/pool.js'
import { NS_PER_MS, NS_PER_SECOND, toStoredParts, type Instant } from '../time.js'

declare module 'fastify' {
  interface FastifyInstance {
    store: LogStore
    partitions: Partitions
    /** The service's clock, in nanoseconds since the epoch; tests inject their own. */
    now: () => Instant
    /** The app's connection pools by name (watched by /metrics); plugins with a pool of their own add it. */
    pools: Map<string, pg.Pool>
  }
}

export interface DatabaseOptions {
  config: Config
  databaseUrl: string
  now: () => Instant
  maintenance: boolean
}

async function databasePlugin (app: FastifyInstance, opts: DatabaseOptions): Promise<void> {
  const { config } = opts
  const pool: pg.Pool = createPool(opts.databaseUrl, config.databasePoolSize)
  const partitions = new Partitions(pool, (err) => { app.log.warn({ err }, 'analyze of a partition failed') })
  app.decorate('now', opts.now)
  app.decorate('pools', new Map([['main', pool]]))
  app.decorate('partitions', partitions)
  const store = new LogStore(pool, partitions)
  app.decorate('store', store)

  const maintain = async (): Promise<void> => {
    const nowMs = Number(opts.now() / NS_PER_MS)
    const { dropped } = await partitions.maintain(nowMs, config.partitionsAheadDays, config.retentionDays)
    if (dropped.length > 0) app.log.info({ dropped }, 'dropped partitions past retention')
    const expiredBefore = toStoredParts(opts.now() - BigInt(config.idempotencyTtlHours) * 3600n * NS_PER_SECOND).ts
    const expiredKeys = await store.expireIdempotencyKeys(expiredBefore)
    if (expiredKeys > 0) app.log.info({ expiredKeys }, 'forgot expired idempotency keys')
  }
  let timer: NodeJS.Timeout | undefined
  app.addHook('onReady', async () => {
    if (!opts.maintenance) return
    await maintain()
    timer = setInterval(() => {
      maintain().catch((err: unknown) => { app.log.warn({ err }, 'partition maintenance failed; will retry') })
    }, config.maintenanceIntervalSeconds * 1000)
    timer.unref()
  })
  app.addHook('onClose', async () => {
    clearInterval(timer)
    await partitions.analyzed()
    await pool.end()
  })
}

export default fp(databasePlugin, { name: 'database' })

// The pools (the primary's, and a read replica's when DATABASE_READ_URL is set), the store over them, and
// upkeep (partitions made ahead at start and on a timer, dropped after retention; expired idempotency keys
// deleted). Closing the app ends the timer and the pools.
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import type pg from 'pg'
import type { Config } from '../config.js'
import { LogStore } from '../store/log-store.js'
import { Partitions } from '../store/partitions.js'
import { createPool } from '../store/pool.js'
import { RunCatalog } from '../store/runs.js'
import { NS_PER_MS, NS_PER_SECOND, toStoredParts, type Instant } from '../time.js'

declare module 'fastify' {
  interface FastifyInstance {
    store: LogStore
    /** The run listing (GET /v2/lm/runs). */
    runs: RunCatalog
    partitions: Partitions
    /** The service's clock, in nanoseconds since the epoch; tests inject their own. */
    now: () => Instant
    /**
     * The app's connection pools by name, watched by /metrics: `primary`, `read` (the replica at
     * DATABASE_READ_URL, only when set; GET traffic uses it, docs/scaling.md) and those plugins add (`exports`).
     */
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
  const readPool: pg.Pool = config.databaseReadUrl === undefined ? pool : createPool(config.databaseReadUrl, config.databasePoolSize)
  const partitions = new Partitions(pool, (err) => { app.log.warn({ err }, 'analyze of a partition failed') })
  app.decorate('now', opts.now)
  app.decorate('pools', new Map(readPool === pool ? [['primary', pool]] : [['primary', pool], ['read', readPool]]))
  app.decorate('partitions', partitions)
  const store = new LogStore(pool, partitions, readPool)
  app.decorate('store', store)
  app.decorate('runs', new RunCatalog(readPool, pool))

  const maintain = async (): Promise<void> => {
    const nowMs = Number(opts.now() / NS_PER_MS)
    const { dropped, groupLines } = await partitions.maintain(nowMs, config.partitionsAheadDays, config.retentionDays, config.retentionDaysByGroup)
    if (dropped.length > 0) app.log.info({ dropped }, 'dropped partitions past retention')
    if (groupLines > 0) app.log.info({ lines: groupLines }, 'dropped blocks past their resource group\'s retention')
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
    if (readPool !== pool) await readPool.end()
  })
}

export default fp(databasePlugin, { name: 'database' })

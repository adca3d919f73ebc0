// The pools (the primary's, and a read replica's when DATABASE_READ_URL is set) and the store over them;
// their upkeep is plugins/maintenance.ts. Closing the app ends the pools.
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import type pg from 'pg'
import type { Config } from '../config.js'
import { addDictionarySource } from '../store/block-dictionary.js'
import { LogStore } from '../store/log-store.js'
import { Partitions } from '../store/partitions.js'
import { createPool } from '../store/pool.js'
import { RunCatalog } from '../store/runs.js'
import type { Instant } from '../time.js'

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
  // Blocks of payload version 3 name a dictionary: decoders fetch it through these pools once.
  const dictionarySources = [addDictionarySource(readPool), ...(readPool === pool ? [] : [addDictionarySource(pool)])]

  app.addHook('onClose', async () => {
    for (const remove of dictionarySources) remove()
    await partitions.analyzed()
    // A read between two of its queries (pages, payloads, a snapshot) finishes before the pools end.
    await store.reads.idle()
    await pool.end()
    if (readPool !== pool) await readPool.end()
  })
}

export default fp(databasePlugin, { name: 'database' })

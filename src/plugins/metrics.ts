// GET /metrics in Prometheus' text format: the process (prom-client's defaults), request latency by route
// and status, lines ingested and served, export jobs by status, pool connections and open tails.
// Registered before every route, so routes added later are measured without a change here.
import { timingSafeEqual } from 'node:crypto'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import type pg from 'pg'
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry, type GaugeConfiguration } from 'prom-client'
import type { Config } from '../config.js'
import { errors } from '../errors.js'
import type { RunKind } from '../model.js'
import type { JobStatus } from '../store/export-jobs.js'
import type { LineCounts } from '../store/block-read.js'
import type { MergeTotals } from './block-merger.js'

export const METRICS_PATH = '/metrics'

const JOB_STATUSES: JobStatus[] = ['QUEUED', 'BUILDING', 'READY', 'FAILED', 'EXPIRED']

// Process metrics describe the process, not an app: one registry per process (tests build many apps).
let processRegistry: Registry | undefined
function processMetrics (): Registry {
  if (processRegistry === undefined) {
    processRegistry = new Registry()
    collectDefaultMetrics({ register: processRegistry })
  }
  return processRegistry
}

function authorized (request: FastifyRequest, token: string): boolean {
  const given = Buffer.from(request.headers.authorization ?? '')
  const expected = Buffer.from(`Bearer ${token}`)
  return given.length === expected.length && timingSafeEqual(given, expected)
}

async function metricsPlugin (app: FastifyInstance, opts: { config: Config }): Promise<void> {
  const { enabled, token } = opts.config.metrics
  if (!enabled) return
  const registry = new Registry()
  const requestDuration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'Time from a request\'s arrival to the end of its response (a stream or tail: until it ends), by route and status.',
    labelNames: ['method', 'route', 'status_code'],
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 120],
    registers: [registry]
  })
  // Lines are counted by the store, where every route's lines pass (src/store/log-store.ts lineCounts), and
  // copied into the counters at scrape time.
  const lineCounter = (name: string, help: string, read: (counts: LineCounts) => Record<RunKind, number>): Counter => new Counter({
    name,
    help,
    labelNames: ['kind'],
    registers: [registry],
    collect () {
      if (!app.hasDecorator('store')) return
      this.reset()
      for (const [kind, lines] of Object.entries(read(app.store.lineCounts))) this.inc({ kind }, lines)
    }
  })
  lineCounter('runlogs_lines_ingested_total', 'Log lines committed, by run kind (every write endpoint; idempotent replays not counted again).', (c) => c.ingested)
  lineCounter('runlogs_lines_served_total', 'Log lines read for answers (pages, streams, tails), by run kind.', (c) => c.served)
  // The background merger's work in this process (src/plugins/block-merger.ts), copied at scrape time.
  const mergeCounter = (name: string, help: string, read: (totals: MergeTotals) => number): Counter => new Counter({
    name,
    help,
    registers: [registry],
    collect () {
      if (!app.hasDecorator('blockMerges')) return
      this.reset()
      this.inc(read(app.blockMerges))
    }
  })
  mergeCounter('runlogs_block_merges_total', 'Merges committed (each replaced some blocks of one run and day by full, non-overlapping ones).', (m) => m.merges)
  mergeCounter('runlogs_blocks_merged_total', 'Blocks deleted by merges.', (m) => m.blocksIn)
  mergeCounter('runlogs_blocks_written_by_merges_total', 'Blocks inserted by merges.', (m) => m.blocksOut)
  mergeCounter('runlogs_merged_lines_total', 'Lines rewritten by merges.', (m) => m.lines)
  mergeCounter('runlogs_block_merge_failures_total', 'Runs whose merge failed and was rolled back (tried again next round).', (m) => m.failedRuns)
  // Gauges read their value at scrape time.
  const gauge = (settings: GaugeConfiguration<string>): Gauge => new Gauge({ ...settings, registers: [registry] })
  gauge({
    name: 'runlogs_export_jobs',
    help: 'Export jobs of every resource group by status (BUILDING: being built now), read from the database at scrape.',
    labelNames: ['status'],
    async collect () {
      if (!app.hasDecorator('exports')) return
      try {
        const counts = await app.exports.jobs.countByStatus()
        for (const status of JOB_STATUSES) this.set({ status }, counts.get(status) ?? 0)
      } catch (err) {
        // The database may be down: the scrape still answers, with the last counts.
        app.log.warn({ err }, 'export job counts not read for /metrics')
      }
    }
  })
  const poolGauge = (name: string, help: string, read: (pool: pg.Pool) => number): Gauge => gauge({
    name,
    help,
    labelNames: ['pool'],
    collect () {
      for (const [pool, p] of app.pools) this.set({ pool }, read(p))
    }
  })
  poolGauge('runlogs_db_pool_connections', 'Connections a pool holds (busy and idle).', (p) => p.totalCount)
  poolGauge('runlogs_db_pool_idle_connections', 'Connections of a pool that are idle.', (p) => p.idleCount)
  poolGauge('runlogs_db_pool_waiting_requests', 'Queries waiting for a connection of a pool.', (p) => p.waitingCount)
  gauge({
    name: 'runlogs_tails_open',
    help: 'Live tails (follow=true) open in this process.',
    collect () { this.set(app.hasDecorator('tails') ? app.tails.open : 0) }
  })

  app.addHook('onResponse', async (request, reply) => {
    requestDuration.observe({ method: request.method, route: request.routeOptions.url ?? 'unmatched', status_code: reply.statusCode }, reply.elapsedTime / 1000)
  })

  app.get(METRICS_PATH, { schema: { hide: true }, logLevel: 'warn' }, async (request, reply) => {
    if (token !== undefined && !authorized(request, token)) throw errors.unauthorized('GET /metrics wants Authorization: Bearer <METRICS_TOKEN>.')
    const text = `${await processMetrics().metrics()}\n${await registry.metrics()}`
    return await reply.type(registry.contentType).send(text)
  })
}

export default fp(metricsPlugin, { name: 'metrics', dependencies: ['error-handler'] })

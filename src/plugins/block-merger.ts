// The background merger: every BLOCK_MERGE_INTERVAL_SECONDS, one merge round (src/store/block-merge.ts) on
// the primary. Rounds never overlap in a process; replicas share the work through a lock per run. Closing
// the app stops the timer and waits for the run being merged (a merge cut short would roll back anyway).
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import type { Config } from '../config.js'
import { defaultPlanSettings } from '../store/block-merge-plan.js'
import { mergeRound, type MergeRound, type MergeSettings } from '../store/block-merge.js'

/** What this process's merger did since start (read by /metrics at scrape). */
export interface MergeTotals { rounds: number, merges: number, blocksIn: number, blocksOut: number, lines: number, failedRuns: number }

declare module 'fastify' {
  interface FastifyInstance {
    blockMerges: MergeTotals
  }
}

export const mergeSettings = (config: Config): MergeSettings => ({
  ...defaultPlanSettings(config.blockMerge.fillPercent),
  zstdLevel: config.blockMerge.zstdLevel,
  minNewBlocks: config.blockMerge.minNewBlocks,
  quietSeconds: config.blockMerge.quietSeconds,
  runsPerRound: config.blockMerge.runsPerRound
})

async function blockMergerPlugin (app: FastifyInstance, opts: { config: Config, background: boolean }): Promise<void> {
  const totals: MergeTotals = { rounds: 0, merges: 0, blocksIn: 0, blocksOut: 0, lines: 0, failedRuns: 0 }
  app.decorate('blockMerges', totals)
  const { enabled, intervalSeconds } = opts.config.blockMerge
  if (!enabled || !opts.background) return
  const pool = app.pools.get('primary')
  if (pool === undefined) throw new Error('the block merger needs the primary pool')
  const settings = mergeSettings(opts.config)
  let timer: NodeJS.Timeout | undefined
  let running: Promise<void> | undefined
  let closing = false

  const round = async (): Promise<void> => {
    const started = performance.now()
    const done: MergeRound = await mergeRound(pool, settings, (run, err) => { app.log.warn({ err, run }, 'merge of a run\'s blocks failed; will retry') }, () => closing)
    totals.rounds++
    totals.merges += done.merges
    totals.blocksIn += done.blocksIn
    totals.blocksOut += done.blocksOut
    totals.lines += done.lines
    totals.failedRuns += done.failed
    if (done.runs + done.busy + done.failed > 0) {
      app.log.info({ ...done, ms: Math.round(performance.now() - started) }, 'merge round')
    }
  }
  const schedule = (): void => {
    if (closing) return
    timer = setTimeout(() => {
      running = round().catch((err: unknown) => { app.log.warn({ err }, 'merge round failed; will retry') }).finally(() => { running = undefined; schedule() })
    }, intervalSeconds * 1000)
    timer.unref()
  }
  app.addHook('onReady', async () => { schedule() })
  app.addHook('preClose', async () => {
    closing = true
    clearTimeout(timer)
    await running
  })
}

export default fp(blockMergerPlugin, { name: 'block-merger', dependencies: ['database'] })

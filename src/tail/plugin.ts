// Live tails of the process: the LISTEN connection (opened on the first tail, not at start) and the
// registry. Closing the app ends every tail's stream first (preClose), then the connection.
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import type { Config } from '../config.js'
import { LinesListener } from '../store/line-notifications.js'
import { TailRegistry } from './registry.js'

declare module 'fastify' {
  interface FastifyInstance {
    tails: TailRegistry
  }
}

async function tailsPlugin (app: FastifyInstance, opts: { config: Config, databaseUrl: string }): Promise<void> {
  const listener = new LinesListener(opts.databaseUrl, (err) => { app.log.warn({ err }, 'the notification connection failed; reconnecting') })
  const tails = new TailRegistry(listener, opts.config.followMaxPerGroup, app.log)
  app.decorate('tails', tails)
  app.addHook('preClose', async () => { await tails.endAll() })
  app.addHook('onClose', async () => { await tails.close() })
}

export default fp(tailsPlugin, { name: 'tails', dependencies: ['database'] })

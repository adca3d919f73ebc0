// The ingest routes' worker threads (src/ingest/decode-pool.ts, INGEST_WORKERS): the process's pool of that
// size, which ends once the last app using it has closed. With INGEST_WORKERS=0 bodies are decoded on the event loop.
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import type { Config } from '../config.js'
import { sharedDecodePool, type DecodePool } from '../ingest/decode-pool.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** Decodes ingest bodies and builds their blocks in worker threads. */
    decodePool: DecodePool | undefined
  }
}

async function decodePoolPlugin (app: FastifyInstance, opts: { config: Config }): Promise<void> {
  if (opts.config.ingestWorkers === 0) {
    app.decorate('decodePool', undefined)
    return
  }
  const { pool, release } = sharedDecodePool(opts.config.ingestWorkers)
  app.decorate('decodePool', pool)
  app.addHook('onClose', async () => { release() })
}

export default fp(decodePoolPlugin, { name: 'decode-pool' })

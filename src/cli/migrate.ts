// `npm run migrate`: applies pending migrations to DATABASE_URL, or to the embedded database in DATA_DIR.
import pino from 'pino'
import { parseConfig } from '../config.js'
import { startEmbeddedPostgres } from '../db/embedded.js'
import { migrate } from '../store/migrate.js'

const config = parseConfig()
const log = pino({ level: config.logLevel })
const embedded = config.databaseUrl === undefined ? await startEmbeddedPostgres(config.dataDir, config.embeddedPgPort, log) : undefined
try {
  const applied = await migrate(embedded?.url ?? config.databaseUrl as string)
  log.info({ applied }, applied.length === 0 ? 'database is up to date' : 'migrations applied')
} finally {
  await embedded?.stop()
}

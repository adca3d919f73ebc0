// For the test runner and the benchmarks: a free loopback port, and an embedded PostgreSQL in a
// temporary folder that is removed when it stops.
import { chmod, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import pino from 'pino'
import { freePort, startEmbeddedPostgres, type EmbeddedDatabase } from '../src/db/embedded.js'

export { freePort }

export async function startTemporaryPostgres (label: string): Promise<EmbeddedDatabase> {
  const dataDir = await mkdtemp(path.join(tmpdir(), `run-logs-${label}-`))
  await chmod(dataDir, 0o755) // mkdtemp makes 0700; as root, the postgres user must enter it
  const embedded = await startEmbeddedPostgres(dataDir, await freePort(), pino({ level: 'warn' }))
  return {
    url: embedded.url,
    stop: async () => {
      await embedded.stop()
      await rm(dataDir, { recursive: true, force: true })
    }
  }
}

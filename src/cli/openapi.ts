// `npm run openapi` writes openapi/openapi.json from the route schemas; `-- --check` fails when it is stale.
import { readFile, writeFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { buildApp } from '../app.js'
import { parseConfig } from '../config.js'

const target = fileURLToPath(new URL('../../openapi/openapi.json', import.meta.url))
const check = process.argv.includes('--check')

// No database is touched: the pool connects lazily and upkeep is off.
const config = parseConfig({ AUTH_JWT_SECRET: 'x'.repeat(32), LOG_LEVEL: 'silent' })
const app = await buildApp(config, { databaseUrl: 'postgres://openapi@127.0.0.1:1/none', maintenance: false })
await app.ready()
const document = JSON.stringify(app.swagger(), null, 2) + '\n'
await app.close()

if (check) {
  const committed = await readFile(target, 'utf8').catch(() => '')
  if (committed !== document) {
    console.error('openapi/openapi.json is stale: run `npm run openapi` and commit the result.')
    process.exit(1)
  }
  console.log('openapi/openapi.json is up to date')
} else {
  await writeFile(target, document)
  console.log(`wrote ${target}`)
}

#!/usr/bin/env node
// @ts-check
// run-logs: the service from a terminal, like `kubectl logs`. Settings RUN_LOGS_URL, RUN_LOGS_TOKEN and
// AI_RESOURCE_GROUP, or --url, --token and --group. Exit codes: 0 ok, 1 usage, 2 a 4xx, 3 a 5xx or network.
import { parseArgs } from 'node:util'
import { CliError, usage } from './lib/client.js'
import { EXPORT_OPTIONS, exportCommand } from './lib/export.js'
import { LOGS_OPTIONS, logsCommand } from './lib/logs.js'
import { RUNS_OPTIONS, runsCommand } from './lib/runs.js'
import { TOKEN_OPTIONS, tokenCommand } from './lib/token.js'

const COMMON = /** @type {const} */ ({
  url: { type: 'string' },
  token: { type: 'string' },
  group: { type: 'string', short: 'g' },
  help: { type: 'boolean', short: 'h' }
})

const HELP = `Usage: run-logs <command> [options]

  logs deployment|execution ID   print a run's lines
      --since 1h | --start T  --end T   --tail N   --follow (-f)   --order asc|desc
      --container C  --pod P  --stream stdout|stderr  --grep TEXT
      -o text|json|ndjson   --prefix ([pod/container])   --timestamps
  runs                           list the group's runs: --kind  --id-prefix  --since|--start  --end  --top  -o
  export [REQUEST_ID]            request an archive: --deployment ID... --execution ID... --since|--start --end
      --wait (then download and check MANIFEST.sha256)  -O FILE  -o json
  token                          a dev-mode token (no AUTH_* set): --group G... --scope "..." --ttl S

Connection: --url (RUN_LOGS_URL, default http://127.0.0.1:8080), --token (RUN_LOGS_TOKEN),
--group/-g (AI_RESOURCE_GROUP). Exit codes: 0 ok, 1 usage, 2 the service answered 4xx, 3 5xx or network.
`

/** @type {Record<string, { options: import('node:util').ParseArgsConfig['options'], run: (conn: import('./lib/client.js').Connection, args: string[], values: any) => Promise<void> }>} */
const COMMANDS = {
  logs: { options: LOGS_OPTIONS, run: logsCommand },
  runs: { options: RUNS_OPTIONS, run: runsCommand },
  export: { options: EXPORT_OPTIONS, run: exportCommand },
  token: { options: TOKEN_OPTIONS, run: async (_conn, args, values) => { await tokenCommand(args, values) } }
}

async function main () {
  const [name, ...rest] = process.argv.slice(2)
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(HELP)
    return
  }
  const command = COMMANDS[name]
  if (command === undefined) throw usage(`unknown command ${name}; run-logs --help lists them`)
  let parsed
  try {
    parsed = parseArgs({ args: rest, options: { ...COMMON, ...command.options }, allowPositionals: true, strict: true })
  } catch (err) {
    throw usage(/** @type {Error} */ (err).message)
  }
  const { values, positionals } = parsed
  if (values.help === true) {
    process.stdout.write(HELP)
    return
  }
  const url = /** @type {string | undefined} */ (values.url) ?? process.env.RUN_LOGS_URL ?? 'http://127.0.0.1:8080'
  try {
    new URL(url) // eslint-disable-line no-new
  } catch {
    throw usage(`--url ${url} is not a URL`)
  }
  const group = /** @type {string | undefined} */ (values.group) ?? (process.env.AI_RESOURCE_GROUP || undefined)
  const token = /** @type {string | undefined} */ (values.token) ?? (process.env.RUN_LOGS_TOKEN || undefined)
  await command.run({ url, token, group }, positionals, values)
}

try {
  await main()
} catch (err) {
  if (err instanceof CliError) {
    process.stderr.write(`run-logs: ${err.message}\n`)
    process.exitCode = err.exitCode
  } else {
    process.stderr.write(`run-logs: ${err instanceof Error ? err.message : String(err)}\n`)
    process.exitCode = 3
  }
}

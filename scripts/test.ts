// `npm test`: runs the tap suite against a real PostgreSQL: TEST_DATABASE_URL or DATABASE_URL when set,
// otherwise an embedded server started for this run in a temporary folder. Each test file makes its own
// database on that server (test/helpers/database.ts) and drops it afterwards.
import { spawn } from 'node:child_process'
import path from 'node:path'
import { startTemporaryPostgres } from './temporary-postgres.js'

const given = process.env.TEST_DATABASE_URL ?? process.env.DATABASE_URL
const embedded = given === undefined || given === '' ? await startTemporaryPostgres('test') : undefined
const adminUrl = embedded?.url ?? given as string
console.log(`# tests run against ${embedded === undefined ? 'the server at ' + adminUrl.replace(/\/\/[^@]*@/, '//') : 'an embedded PostgreSQL'}`)

// tap's summary ("# { total: 9, pass: 8, fail: 1 }") is repeated as a plain "N passed, N failed" line.
let summary = ''
const code = await new Promise<number>((resolve) => {
  const tap = spawn(path.resolve('node_modules/.bin/tap'), process.argv.slice(2), {
    stdio: ['inherit', 'pipe', 'inherit'],
    env: { ...process.env, TEST_ADMIN_DATABASE_URL: adminUrl }
  })
  tap.stdout.on('data', (chunk: Buffer) => {
    process.stdout.write(chunk)
    const m = /# \{ total: \d+[^}]*\}/.exec(chunk.toString())
    if (m !== null) summary = m[0]
  })
  tap.on('exit', (exitCode, signal) => { resolve(exitCode ?? (signal === null ? 1 : 128)) })
})
const count = (word: string): number => Number(new RegExp(`${word}: (\\d+)`).exec(summary)?.[1] ?? 0)
console.log(`${count('pass')} passed, ${count('fail')} failed${count('skip') + count('todo') > 0 ? `, ${count('skip') + count('todo')} skipped` : ''}`)

await embedded?.stop()
process.exit(code)

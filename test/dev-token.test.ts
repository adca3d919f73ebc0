// Dev mode end to end: with no AUTH_* set, `npm run token` signs with a secret in DATA_DIR and the app
// accepts that token; with any AUTH_* set no secret is made and no token printed.
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import type { FastifyInstance } from 'fastify'
import { decodeJwt } from 'jose'
import t, { type Test } from 'tap'
import { buildApp } from '../src/app.js'
import { DEV_AUTH_SECRET_FILE } from '../src/auth/secret-file.js'
import { parseConfig } from '../src/config.js'
import { buildTestApp } from './helpers/app.js'
import { createTestDatabase } from './helpers/database.js'
import { runEntryPoint, type ProcessResult } from './helpers/process.js'

const JWT = /^[\w-]+\.[\w-]+\.[\w-]+$/

const databaseUrl = await createTestDatabase(t)

/** Runs src/cli/token.ts the way `npm run token` does, with only the given settings. */
async function tokenCli (args: string[], env: Record<string, string>): Promise<ProcessResult> {
  return await runEntryPoint('src/cli/token.ts', args, env)
}

async function tempDataDir (t: Test): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'run-logs-dev-'))
  t.teardown(async () => { await rm(dir, { recursive: true, force: true }) })
  return dir
}

async function buildDevApp (t: Test, dataDir: string): Promise<FastifyInstance> {
  const config = parseConfig({ DATA_DIR: dataDir, LOG_LEVEL: 'silent' })
  t.equal(config.auth.devMode, true, 'dev mode')
  const app = await buildApp(config, { databaseUrl })
  t.teardown(async () => { await app.close() })
  await app.ready()
  return app
}

const line = (msg: string) => ({ timestamp: new Date().toISOString(), msg })

t.test('npm run token prints a token the dev-mode app accepts in its group only', async (t) => {
  const dataDir = await tempDataDir(t)
  // 'g1' itself is no valid resource group (3 characters at least): see the test below
  const cli = await tokenCli(['--group', 'grp1', '--scope', 'logs.read logs.write'], { DATA_DIR: dataDir })
  t.equal(cli.code, 0, cli.stderr)
  const jwt = cli.stdout.trim()
  t.match(jwt, JWT, 'prints a JWT')
  const claims = decodeJwt(jwt)
  t.same(claims.resource_groups, ['grp1'])
  t.equal(claims.scope, 'logs.read logs.write')
  t.type(claims.exp, 'number', 'the token expires')

  const app = await buildDevApp(t, dataDir)
  const url = '/v2/lm/executions/dev-run-0001/logs'
  const headers = { authorization: `Bearer ${jwt}`, 'ai-resource-group': 'grp1' }
  const post = await app.inject({ method: 'POST', url, headers, payload: [line('from dev')] })
  t.equal(post.statusCode, 200, post.body)
  const get = await app.inject({ method: 'GET', url, headers })
  t.equal(get.statusCode, 200, get.body)
  t.same(get.json().data.result.map((l: { msg: string }) => l.msg), ['from dev'])

  for (const method of ['GET', 'POST'] as const) {
    const other = await app.inject({ method, url, headers: { ...headers, 'ai-resource-group': 'grp2' }, ...(method === 'POST' ? { payload: [line('x')] } : {}) })
    t.equal(other.statusCode, 403, `${method} in another group`)
    t.equal(other.json().error.code, 'Forbidden')
  }
  const defaultGroup = await app.inject({ method: 'GET', url, headers: { authorization: headers.authorization } })
  t.equal(defaultGroup.statusCode, 403, 'not the default group either')
})

t.test('npm run token follows AUTH_MAX_TOKEN_LIFETIME: 24 hours by default, a longer --ttl is refused', async (t) => {
  const dataDir = await tempDataDir(t)
  const cli = await tokenCli([], { DATA_DIR: dataDir })
  t.equal(cli.code, 0, cli.stderr)
  const claims = decodeJwt(cli.stdout.trim())
  t.equal((claims.exp as number) - (claims.iat as number), 86_400, 'valid for 24 hours')
  const shorter = await tokenCli([], { DATA_DIR: dataDir, AUTH_MAX_TOKEN_LIFETIME: '2h' })
  const short = decodeJwt(shorter.stdout.trim())
  t.equal((short.exp as number) - (short.iat as number), 7200, 'AUTH_MAX_TOKEN_LIFETIME=2h: two hours')
  const longer = await tokenCli(['--ttl', '90000'], { DATA_DIR: dataDir })
  t.not(longer.code, 0, 'a --ttl past the limit fails')
  t.equal(longer.stdout, '', 'and prints no token')
  t.match(longer.stderr, /AUTH_MAX_TOKEN_LIFETIME/)
})

t.test('npm run token refuses a group the service would refuse, and prints no token', async (t) => {
  const dataDir = await tempDataDir(t)
  for (const group of ['g1', '-abc', 'a_b_c']) {
    const cli = await tokenCli(['--group', 'grp1', `--group=${group}`], { DATA_DIR: dataDir })
    t.not(cli.code, 0, `--group ${group}: exits non-zero`)
    t.equal(cli.stdout, '', 'prints no token')
    t.match(cli.stderr, group, 'names the group')
  }
  const all = await tokenCli(['--group', '*'], { DATA_DIR: dataDir })
  t.equal(all.code, 0, all.stderr)
  t.same(decodeJwt(all.stdout.trim()).resource_groups, ['*'], '--group * is for all groups')
})

t.test('the dev secret file is created with mode 0600', async (t) => {
  const dataDir = await tempDataDir(t)
  const cli = await tokenCli([], { DATA_DIR: dataDir })
  t.equal(cli.code, 0, cli.stderr)
  const file = await stat(path.join(dataDir, DEV_AUTH_SECRET_FILE))
  t.equal(file.mode & 0o777, 0o600)
})

t.test('a token printed after the app made the secret works too; without flags it is for group default', async (t) => {
  const dataDir = await tempDataDir(t)
  const app = await buildDevApp(t, dataDir)
  t.ok((await readdir(dataDir)).includes(DEV_AUTH_SECRET_FILE), 'the app made the secret')
  const cli = await tokenCli([], { DATA_DIR: dataDir })
  t.equal(cli.code, 0, cli.stderr)
  const headers = { authorization: `Bearer ${cli.stdout.trim()}` }
  const url = '/v2/lm/deployments/dev-run-0002/logs'
  t.equal((await app.inject({ method: 'POST', url, headers, payload: [line('x')] })).statusCode, 200)
  t.equal((await app.inject({ method: 'GET', url, headers })).statusCode, 200)
})

t.test('with AUTH_* set the CLI prints no token, and nothing makes a secret', async (t) => {
  const settings: Array<Record<string, string>> = [
    { AUTH_JWT_SECRET: 'a-secret-of-at-least-thirty-two-characters' },
    { AUTH_JWKS_URL: 'https://idp.example.test/.well-known/jwks.json' }
  ]
  for (const env of settings) {
    const dataDir = await tempDataDir(t)
    const cli = await tokenCli(['--group', 'grp1'], { DATA_DIR: dataDir, ...env })
    t.not(cli.code, 0, `${Object.keys(env).join()}: exits non-zero`)
    t.equal(cli.stdout, '', 'prints no token')
    t.notMatch(cli.stderr, /[\w-]{10,}\.[\w-]{10,}\.[\w-]{10,}/, 'no token on stderr either')
    t.match(cli.stderr, /AUTH_/, 'says why')
    t.same(await readdir(dataDir), [], 'makes no secret')
  }
  const { config } = await buildTestApp(t, { databaseUrl })
  t.equal(config.auth.devMode, false)
  t.same(await readdir(config.dataDir), [], 'the app with AUTH_JWT_SECRET makes no secret')
})

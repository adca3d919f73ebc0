// Settings: every one an environment variable with a default, validated at start; a bad value names itself.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import t from 'tap'
import { ConfigError, parseConfig } from '../src/config.js'
import { runEntryPoint } from './helpers/process.js'

const SECRET = 'a-secret-of-at-least-thirty-two-characters'

function thrownBy (fn: () => unknown): unknown {
  try {
    fn()
  } catch (err) {
    return err
  }
  return undefined
}

t.test('defaults', async (t) => {
  const config = parseConfig({})
  t.equal(config.host, '127.0.0.1')
  t.equal(config.port, 8080)
  t.equal(config.dataDir, path.resolve('./.data'), 'DATA_DIR ./.data, resolved')
  t.ok(path.isAbsolute(config.dataDir))
  t.equal(config.databaseUrl, undefined, 'no DATABASE_URL: embedded PostgreSQL')
  t.equal(config.ingestMaxBytes, 10 * 1024 * 1024, 'INGEST_MAX_BYTES 10 MiB')
  t.equal(config.retentionDays, 30)
  t.equal(config.maxFutureSkewSeconds, 3600)
})

t.test('settings are read from the environment', async (t) => {
  const config = parseConfig({
    HOST: '0.0.0.0',
    PORT: '9000',
    DATA_DIR: '/var/lib/run-logs',
    DATABASE_URL: 'postgres://user:pw@db.example.test:5432/logs',
    INGEST_MAX_BYTES: '2048',
    LOG_RETENTION_DAYS: '0',
    MAX_FUTURE_SKEW_SECONDS: '60'
  })
  t.equal(config.host, '0.0.0.0')
  t.equal(config.port, 9000)
  t.equal(config.dataDir, '/var/lib/run-logs')
  t.equal(config.databaseUrl, 'postgres://user:pw@db.example.test:5432/logs')
  t.equal(config.ingestMaxBytes, 2048)
  t.equal(config.retentionDays, 0, 'LOG_RETENTION_DAYS=0 keeps lines forever')
  t.equal(config.maxFutureSkewSeconds, 60)
})

t.test('reading settings: defaults and values', async (t) => {
  const defaults = parseConfig({})
  t.equal(defaults.cursorSecret, undefined, 'no CURSOR_SECRET: one is made in DATA_DIR')
  t.equal(defaults.streamMaxLines, 1_000_000)
  t.equal(defaults.followMaxSeconds, 3600)
  t.equal(defaults.followMaxPerGroup, 100)
  t.equal(defaults.followHeartbeatSeconds, 15)
  const set = parseConfig({ CURSOR_SECRET: SECRET, STREAM_MAX_LINES: '20000', FOLLOW_MAX_SECONDS: '60', FOLLOW_MAX_PER_GROUP: '2', FOLLOW_HEARTBEAT_SECONDS: '5' })
  t.same([set.cursorSecret, set.streamMaxLines, set.followMaxSeconds, set.followMaxPerGroup, set.followHeartbeatSeconds], [SECRET, 20000, 60, 2, 5])
})

t.test('dev mode when no AUTH_* is set', async (t) => {
  t.equal(parseConfig({}).auth.devMode, true)
  t.equal(parseConfig({ AUTH_JWT_SECRET: '', AUTH_JWKS_URL: '' }).auth.devMode, true, 'an empty value is unset')
})

t.test('not dev mode when any AUTH_* is set', async (t) => {
  const cases: Array<Record<string, string>> = [
    { AUTH_JWT_SECRET: SECRET },
    { AUTH_JWKS_URL: 'https://idp.example.test/jwks.json' },
    { AUTH_JWT_SECRET: SECRET, AUTH_ISSUER: 'https://idp.example.test/' },
    { AUTH_JWKS_URL: 'https://idp.example.test/jwks.json', AUTH_AUDIENCE: 'run-logs' }
  ]
  for (const env of cases) {
    const { auth } = parseConfig(env)
    t.equal(auth.devMode, false, Object.keys(env).join(' + '))
  }
  const jwksOnly = parseConfig({ AUTH_JWT_SECRET: '', AUTH_JWKS_URL: 'https://idp.example.test/jwks.json' }).auth
  t.equal(jwksOnly.jwtSecret, undefined, 'an empty AUTH_JWT_SECRET with a JWKS: no HS256 secret')
  t.equal(jwksOnly.jwksUrl, 'https://idp.example.test/jwks.json')
})

t.test('a bad value throws a ConfigError naming the variable', async (t) => {
  const cases: Array<[string, Record<string, string>]> = [
    ['PORT', { PORT: 'abc' }],
    ['PORT', { PORT: '70000' }],
    ['PORT', { PORT: '-1' }],
    ['LOG_RETENTION_DAYS', { LOG_RETENTION_DAYS: '-1' }],
    ['LOG_RETENTION_DAYS', { LOG_RETENTION_DAYS: '1.5' }],
    ['INGEST_MAX_BYTES', { INGEST_MAX_BYTES: '10MB' }],
    ['MAX_FUTURE_SKEW_SECONDS', { MAX_FUTURE_SKEW_SECONDS: 'soon' }],
    ['DATABASE_URL', { DATABASE_URL: 'not a url' }],
    ['AUTH_JWT_SECRET', { AUTH_JWT_SECRET: 'too-short' }],
    ['AUTH_JWKS_URL', { AUTH_JWKS_URL: 'not a url' }],
    ['AUTH_JWKS_URL', { AUTH_JWKS_URL: 'ftp://idp.example.test/jwks.json' }],
    ['AUTH_ISSUER', { AUTH_ISSUER: 'https://idp.example.test/' }],
    ['AUTH_AUDIENCE', { AUTH_AUDIENCE: 'run-logs' }],
    ['LOG_LEVEL', { LOG_LEVEL: 'loud' }],
    ['CURSOR_SECRET', { CURSOR_SECRET: 'short' }],
    ['STREAM_MAX_LINES', { STREAM_MAX_LINES: '100' }],
    ['FOLLOW_MAX_SECONDS', { FOLLOW_MAX_SECONDS: '0' }],
    ['FOLLOW_MAX_PER_GROUP', { FOLLOW_MAX_PER_GROUP: 'many' }],
    ['FOLLOW_HEARTBEAT_SECONDS', { FOLLOW_HEARTBEAT_SECONDS: '0' }]
  ]
  for (const [variable, env] of cases) {
    t.test(JSON.stringify(env), async (t) => {
      const err = thrownBy(() => parseConfig(env))
      t.ok(err instanceof ConfigError, 'a ConfigError')
      t.match((err as Error | undefined)?.message, variable)
    })
  }
})

t.test('the server does not start with a bad setting, and says which', async (t) => {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'run-logs-config-'))
  t.teardown(async () => { await rm(dataDir, { recursive: true, force: true }) })
  const { code, stdout, stderr } = await runEntryPoint('src/server.ts', [], { PORT: 'abc', DATA_DIR: dataDir })
  const output = stdout + stderr
  t.not(code, 0, 'exits non-zero')
  t.not(code, null, 'exits by itself')
  t.match(output, /PORT/, 'the message names PORT')
})

// Settings: every one an environment variable with a default, validated at start; a bad value names itself.
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { getHeapStatistics } from 'node:v8'
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
  t.equal(config.databaseReadUrl, undefined, 'no DATABASE_READ_URL: reads go to the primary')
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
    DATABASE_READ_URL: 'postgres://user:pw@replica.example.test:5432/logs',
    INGEST_MAX_BYTES: '2048',
    LOG_RETENTION_DAYS: '0',
    LOG_RETENTION_DAYS_BY_GROUP: ' teamA=7, teamB = 365,archive=0 ',
    MAX_FUTURE_SKEW_SECONDS: '60'
  })
  t.equal(config.host, '0.0.0.0')
  t.equal(config.port, 9000)
  t.equal(config.dataDir, '/var/lib/run-logs')
  t.equal(config.databaseUrl, 'postgres://user:pw@db.example.test:5432/logs')
  t.equal(config.databaseReadUrl, 'postgres://user:pw@replica.example.test:5432/logs')
  t.equal(config.ingestMaxBytes, 2048)
  t.equal(config.retentionDays, 0, 'LOG_RETENTION_DAYS=0 keeps lines forever')
  t.same([...config.retentionDaysByGroup], [['teamA', 7], ['teamB', 365], ['archive', 0]], 'LOG_RETENTION_DAYS_BY_GROUP: group=days pairs')
  t.equal(config.maxFutureSkewSeconds, 60)
})

t.test('shipper and idempotency settings: defaults, and comma-separated field lists', async (t) => {
  const defaults = parseConfig({})
  t.equal(defaults.idempotencyTtlHours, 24, 'IDEMPOTENCY_TTL_HOURS 24')
  t.equal(defaults.ingestMaxLines, 100_000, 'INGEST_MAX_LINES 100,000')
  t.strictSame(defaults.collector.deploymentIdLabels, ['ai.sap.com/deploymentId', 'ai_sap_com_deploymentId', 'deploymentId'])
  t.strictSame(defaults.collector.executionIdLabels, ['ai.sap.com/executionId', 'ai_sap_com_executionId', 'executionId'])
  t.strictSame(defaults.collector.resourceGroupLabels, ['ai.sap.com/resourceGroup', 'ai_sap_com_resourceGroup', 'resourceGroup'])
  t.strictSame(defaults.collector.labelFields, ['kubernetes.labels', 'kubernetes.pod_labels'])
  t.strictSame(defaults.collector.messageFields, ['log', 'message', 'msg'])
  t.strictSame(defaults.collector.timestampFields, ['date', 'timestamp', 'time'])
  const set = parseConfig({ IDEMPOTENCY_TTL_HOURS: '2', INGEST_MAX_LINES: '50', COLLECTOR_DEPLOYMENT_ID_LABELS: ' app.run , ,other ', COLLECTOR_STREAM_FIELDS: 'level' })
  t.equal(set.idempotencyTtlHours, 2)
  t.equal(set.ingestMaxLines, 50)
  t.strictSame(set.collector.deploymentIdLabels, ['app.run', 'other'], 'trimmed, blanks dropped')
  t.strictSame(set.collector.streamFields, ['level'])
})

t.test('reading settings: defaults and values', async (t) => {
  const defaults = parseConfig({})
  t.equal(defaults.cursorSecret, undefined, 'no CURSOR_SECRET: one is made in DATA_DIR')
  t.equal(defaults.streamMaxLines, 1_000_000)
  t.equal(defaults.followMaxSeconds, 3600)
  t.equal(defaults.followMaxPerGroup, 100)
  t.equal(defaults.followHeartbeatSeconds, 15)
  t.equal(defaults.readLinesInFlight, 5001)
  const set = parseConfig({ CURSOR_SECRET: SECRET, STREAM_MAX_LINES: '20000', FOLLOW_MAX_SECONDS: '60', FOLLOW_MAX_PER_GROUP: '2', FOLLOW_HEARTBEAT_SECONDS: '5', READ_LINES_IN_FLIGHT: '10002' })
  t.same([set.cursorSecret, set.streamMaxLines, set.followMaxSeconds, set.followMaxPerGroup, set.followHeartbeatSeconds, set.readLinesInFlight], [SECRET, 20000, 60, 2, 5, 10002])
})

t.test('load and operations settings: defaults and values', async (t) => {
  const defaults = parseConfig({})
  t.same(defaults.rateLimit, { readsPerMinute: 6000, writesPerMinute: 30_000, exportsPerMinute: 300 }, 'RATE_LIMIT_* per subject and group')
  t.equal(defaults.pressure.maxEventLoopDelayMs, 1000)
  t.equal(defaults.pressure.maxHeapUsedBytes, Math.floor(getHeapStatistics().heap_size_limit * 0.9 / 2 ** 20) * 2 ** 20, '90% of the V8 heap limit')
  t.match(defaults.pressure, { maxRssBytes: 0, maxEventLoopUtilization: 0, sampleIntervalMs: 1000, retryAfterSeconds: 10 })
  t.same(defaults.metrics, { enabled: true, token: undefined })
  t.equal(defaults.shutdownGraceSeconds, 10)
  const set = parseConfig({
    RATE_LIMIT_READS_PER_MINUTE: '0',
    RATE_LIMIT_WRITES_PER_MINUTE: '10',
    RATE_LIMIT_EXPORTS_PER_MINUTE: '2',
    PRESSURE_MAX_EVENT_LOOP_DELAY_MS: '0',
    PRESSURE_MAX_HEAP_USED_MIB: '512',
    PRESSURE_MAX_RSS_MIB: '1024',
    PRESSURE_MAX_EVENT_LOOP_UTILIZATION_PERCENT: '98',
    PRESSURE_SAMPLE_INTERVAL_MS: '250',
    PRESSURE_RETRY_AFTER_SECONDS: '3',
    METRICS_ENABLED: 'false',
    METRICS_TOKEN: 'a-token-for-prometheus',
    SHUTDOWN_GRACE_SECONDS: '30'
  })
  t.same(set.rateLimit, { readsPerMinute: 0, writesPerMinute: 10, exportsPerMinute: 2 })
  t.same(set.pressure, { maxEventLoopDelayMs: 0, maxHeapUsedBytes: 512 * 2 ** 20, maxRssBytes: 1024 * 2 ** 20, maxEventLoopUtilization: 0.98, sampleIntervalMs: 250, retryAfterSeconds: 3 })
  t.same(set.metrics, { enabled: false, token: 'a-token-for-prometheus' })
  t.equal(set.shutdownGraceSeconds, 30)
})

t.test('AUTH_MAX_TOKEN_LIFETIME: 24 hours by default; seconds, or a number with s, m, h or d; dev mode stays on', async (t) => {
  t.equal(parseConfig({}).auth.maxTokenLifetimeSeconds, 86_400)
  for (const [value, seconds] of [['3600', 3600], ['90m', 5400], ['12H', 43_200], ['7d', 604_800]] as const) {
    t.equal(parseConfig({ AUTH_MAX_TOKEN_LIFETIME: value }).auth.maxTokenLifetimeSeconds, seconds, value)
  }
  t.equal(parseConfig({ AUTH_MAX_TOKEN_LIFETIME: '1h' }).auth.devMode, true, 'a lifetime alone names no issuer')
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

t.test('export settings: defaults, and read from the environment', async (t) => {
  const defaults = parseConfig({ DATA_DIR: '/srv/run-logs', HOST: '0.0.0.0', PORT: '9000' })
  t.same(defaults.exports, {
    dir: '/srv/run-logs/exports',
    linkSecret: undefined,
    dailyLimit: 25,
    maxRuns: 1000,
    ttlHours: 72,
    maxFileBytes: 25 * 1024 * 1024,
    webhookUrl: undefined,
    maxAttempts: 3,
    workers: 1,
    pollIntervalMs: 2000,
    leaseSeconds: 60,
    sweepIntervalSeconds: 600
  }, 'EXPORT_DIR inside DATA_DIR; the contract\'s limits')
  t.equal(defaults.publicBaseUrl, 'http://localhost:9000', 'PUBLIC_BASE_URL from HOST and PORT, a wildcard HOST as localhost')
  t.equal(parseConfig({}).publicBaseUrl, 'http://127.0.0.1:8080')
  const set = parseConfig({
    PUBLIC_BASE_URL: 'https://logs.example.test/base/',
    EXPORT_DIR: '/var/exports',
    EXPORT_LINK_SECRET: SECRET,
    EXPORT_DAILY_LIMIT: '5',
    EXPORT_TTL_HOURS: '1',
    EXPORT_WEBHOOK_URL: 'https://hooks.example.test/x',
    EXPORT_WORKERS: '0'
  })
  t.equal(set.publicBaseUrl, 'https://logs.example.test/base', 'no trailing slash')
  t.match(set.exports, { dir: '/var/exports', linkSecret: SECRET, dailyLimit: 5, ttlHours: 1, webhookUrl: 'https://hooks.example.test/x', workers: 0 })
})

t.test('notification settings: user groups from a file, SMTP, retries; a bad file names itself', async (t) => {
  const dir = await mkdtemp(path.join(tmpdir(), 'run-logs-config-'))
  t.teardown(async () => { await rm(dir, { recursive: true, force: true }) })
  const file = path.join(dir, 'groups.json')
  await writeFile(file, JSON.stringify({ userGroups: [{ id: 'g-1', name: 'Auditors', emails: ['a@example.com'], slackWebhookUrl: 'https://hooks.slack.test/x' }] }))
  const set = parseConfig({ USER_GROUPS_FILE: file, SMTP_URL: 'smtps://user:pw@mail.example.test', SMTP_FROM: 'Logs <logs@example.test>', NOTIFY_RETRY_SECONDS: '5' })
  t.match(set.notify, { smtpUrl: 'smtps://user:pw@mail.example.test', smtpFrom: 'Logs <logs@example.test>', retrySeconds: 5, maxAttempts: 8 })
  t.same(set.notify.userGroups, [{ id: 'g-1', name: 'Auditors', emails: ['a@example.com'], slackWebhookUrl: 'https://hooks.slack.test/x' }])
  t.same(parseConfig({}).notify.userGroups, [], 'no file, no groups')
  t.same(parseConfig({ COLLECTOR_RUN_LABELS: 'application=app.kubernetes.io/name, tier' }).collector.runLabels,
    [{ label: 'application', recordLabel: 'app.kubernetes.io/name' }, { label: 'tier', recordLabel: 'tier' }])
  t.same(parseConfig({ COLLECTOR_RUN_LABELS: '' }).collector.runLabels, [], 'empty takes none')
  for (const bad of [[{ id: 'g', name: 'x', emails: ['not an address'] }], [{ id: 'g', name: 'x', slackWebhookUrl: 'file:///etc/passwd' }],
    [{ id: 'g', name: 'x' }, { id: 'g', name: 'y' }], { groups: [] }]) {
    await writeFile(file, JSON.stringify(bad))
    const err = thrownBy(() => parseConfig({ USER_GROUPS_FILE: file }))
    t.ok(err instanceof ConfigError, JSON.stringify(bad))
    t.match((err as Error).message, 'USER_GROUPS_FILE')
  }
})

t.test('a bad value throws a ConfigError naming the variable', async (t) => {
  const cases: Array<[string, Record<string, string>]> = [
    ['PORT', { PORT: 'abc' }],
    ['PORT', { PORT: '70000' }],
    ['PORT', { PORT: '-1' }],
    ['LOG_RETENTION_DAYS', { LOG_RETENTION_DAYS: '-1' }],
    ['LOG_RETENTION_DAYS', { LOG_RETENTION_DAYS: '1.5' }],
    ['LOG_RETENTION_DAYS_BY_GROUP', { LOG_RETENTION_DAYS_BY_GROUP: 'teamA' }],
    ['LOG_RETENTION_DAYS_BY_GROUP', { LOG_RETENTION_DAYS_BY_GROUP: 'teamA=-1' }],
    ['LOG_RETENTION_DAYS_BY_GROUP', { LOG_RETENTION_DAYS_BY_GROUP: 'teamA=7,teamA=8' }],
    ['INGEST_MAX_BYTES', { INGEST_MAX_BYTES: '10MB' }],
    ['MAX_FUTURE_SKEW_SECONDS', { MAX_FUTURE_SKEW_SECONDS: 'soon' }],
    ['DATABASE_URL', { DATABASE_URL: 'not a url' }],
    ['DATABASE_READ_URL', { DATABASE_URL: 'postgres://u@db.example.test/logs', DATABASE_READ_URL: 'not a url' }],
    ['DATABASE_READ_URL', { DATABASE_READ_URL: 'postgres://u@replica.example.test/logs' }],
    ['AUTH_JWT_SECRET', { AUTH_JWT_SECRET: 'too-short' }],
    ['AUTH_JWKS_URL', { AUTH_JWKS_URL: 'not a url' }],
    ['AUTH_JWKS_URL', { AUTH_JWKS_URL: 'ftp://idp.example.test/jwks.json' }],
    ['AUTH_ISSUER', { AUTH_ISSUER: 'https://idp.example.test/' }],
    ['AUTH_AUDIENCE', { AUTH_AUDIENCE: 'run-logs' }],
    ['AUTH_MAX_TOKEN_LIFETIME', { AUTH_MAX_TOKEN_LIFETIME: 'forever' }],
    ['AUTH_MAX_TOKEN_LIFETIME', { AUTH_MAX_TOKEN_LIFETIME: '0' }],
    ['AUTH_MAX_TOKEN_LIFETIME', { AUTH_MAX_TOKEN_LIFETIME: '400d' }],
    ['LOG_LEVEL', { LOG_LEVEL: 'loud' }],
    ['PUBLIC_BASE_URL', { PUBLIC_BASE_URL: 'logs.example.test' }],
    ['EXPORT_LINK_SECRET', { EXPORT_LINK_SECRET: 'short' }],
    ['EXPORT_DAILY_LIMIT', { EXPORT_DAILY_LIMIT: '0' }],
    ['EXPORT_MAX_RUNS', { EXPORT_MAX_RUNS: 'many' }],
    ['EXPORT_MAX_FILE_BYTES', { EXPORT_MAX_FILE_BYTES: '100' }],
    ['EXPORT_WEBHOOK_URL', { EXPORT_WEBHOOK_URL: 'file:///tmp/hook' }],
    ['EXPORT_WORKERS', { EXPORT_WORKERS: '-1' }],
    ['IDEMPOTENCY_TTL_HOURS', { IDEMPOTENCY_TTL_HOURS: '0' }],
    ['INGEST_MAX_LINES', { INGEST_MAX_LINES: 'many' }],
    ['COLLECTOR_DEPLOYMENT_ID_LABELS', { COLLECTOR_DEPLOYMENT_ID_LABELS: ' , ' }],
    ['COLLECTOR_RUN_LABELS', { COLLECTOR_RUN_LABELS: 'bad label=app' }],
    ['COLLECTOR_RUN_LABELS', { COLLECTOR_RUN_LABELS: 'application=' }],
    ['USER_GROUPS_FILE', { USER_GROUPS_FILE: '/nonexistent/groups.json' }],
    ['SMTP_URL', { SMTP_URL: 'http://mail.example.test' }],
    ['NOTIFY_MAX_ATTEMPTS', { NOTIFY_MAX_ATTEMPTS: '0' }],
    ['CURSOR_SECRET', { CURSOR_SECRET: 'short' }],
    ['STREAM_MAX_LINES', { STREAM_MAX_LINES: '100' }],
    ['READ_LINES_IN_FLIGHT', { READ_LINES_IN_FLIGHT: '5000' }],
    ['FOLLOW_MAX_SECONDS', { FOLLOW_MAX_SECONDS: '0' }],
    ['FOLLOW_MAX_PER_GROUP', { FOLLOW_MAX_PER_GROUP: 'many' }],
    ['FOLLOW_HEARTBEAT_SECONDS', { FOLLOW_HEARTBEAT_SECONDS: '0' }],
    ['RATE_LIMIT_READS_PER_MINUTE', { RATE_LIMIT_READS_PER_MINUTE: 'lots' }],
    ['PRESSURE_MAX_HEAP_USED_MIB', { PRESSURE_MAX_HEAP_USED_MIB: '-1' }],
    ['PRESSURE_MAX_EVENT_LOOP_UTILIZATION_PERCENT', { PRESSURE_MAX_EVENT_LOOP_UTILIZATION_PERCENT: '101' }],
    ['PRESSURE_SAMPLE_INTERVAL_MS', { PRESSURE_SAMPLE_INTERVAL_MS: '10' }],
    ['METRICS_ENABLED', { METRICS_ENABLED: 'yes' }],
    ['METRICS_TOKEN', { METRICS_TOKEN: 'short' }],
    ['SHUTDOWN_GRACE_SECONDS', { SHUTDOWN_GRACE_SECONDS: '0' }],
    ['REQUEST_BODY_IDLE_SECONDS', { REQUEST_BODY_IDLE_SECONDS: '0' }],
    ['REQUEST_DEADLINE_SECONDS', { REQUEST_DEADLINE_SECONDS: 'long' }],
    ['MAX_CONNECTIONS', { MAX_CONNECTIONS: '0' }]
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

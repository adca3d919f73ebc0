// Every setting is an environment variable, parsed once here; a bad value stops the start naming it.
import path from 'node:path'
import { getHeapStatistics } from 'node:v8'
import { z } from 'zod'
import { isLabelKey, LABEL_KEY_RULE } from './labels.js'
import { readUserGroups, type UserGroup } from './export/user-groups.js'

const intSetting = (fallback: number, min: number, max: number) =>
  z.string().trim().regex(/^\d+$/, 'must be a whole number').optional()
    .transform((v) => (v === undefined ? fallback : Number(v)))
    .pipe(z.number().int().min(min).max(max))

// A duration: seconds, or a number with s, m, h or d (24h).
const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 }
const durationSetting = (fallback: string, minSeconds: number, maxSeconds: number) =>
  z.string().trim().toLowerCase().optional().transform((v) => v ?? fallback)
    .pipe(z.string().regex(/^\d{1,9}[smhd]?$/, 'must be a duration: seconds, or a number with s, m, h or d such as 24h'))
    .transform((v) => Number(v.replace(/[smhd]$/, '')) * (UNIT_SECONDS[v.at(-1) as string] ?? 1))
    .pipe(z.number().min(minSeconds, `must be at least ${minSeconds} seconds`).max(maxSeconds, `must be at most ${maxSeconds} seconds`))

const optionalString = z.string().trim().optional().transform((v) => (v === '' ? undefined : v))
const optionalUrl = optionalString.pipe(z.url().optional())
const optionalSecret = optionalString.pipe(z.string().min(32, 'must be at least 32 characters').optional())
// Fetched over HTTP(S) only (jose's key sets, fetch's webhooks): any other scheme would fail at use, not at start.
const optionalHttpUrl = optionalString.pipe(z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).optional())

// A comma-separated list of names (field paths or label names); blanks are dropped, at least one is left.
const listSetting = (fallback: string) => z.string().optional()
  .transform((v) => (v ?? fallback).split(',').map((name) => name.trim()).filter((name) => name !== ''))
  .pipe(z.array(z.string()).min(1, 'must name at least one field'))

// COLLECTOR_RUN_LABELS: `label=recordLabel` or `recordLabel` (kept under its own name), comma-separated; '' takes none.
const runLabelsSetting = (fallback: string) => z.string().optional()
  .transform((v, ctx) => (v ?? fallback).split(',').map((item) => item.trim()).filter((item) => item !== '').map((item) => {
    const eq = item.indexOf('=')
    const mapping = eq === -1 ? { label: item, recordLabel: item } : { label: item.slice(0, eq).trim(), recordLabel: item.slice(eq + 1).trim() }
    if (!isLabelKey(mapping.label) || mapping.recordLabel === '') ctx.addIssue({ code: 'custom', message: `"${item}" must be label=recordLabel or recordLabel, a label being ${LABEL_KEY_RULE}` })
    return mapping
  }))
  .pipe(z.array(z.object({ label: z.string(), recordLabel: z.string() })).max(32, 'must name at most 32 labels'))

// group=days pairs, comma-separated: `teamA=7,teamB=365` (0 keeps that group's lines forever).
const retentionByGroup = z.string().optional().transform((v, ctx) => {
  const byGroup = new Map<string, number>()
  for (const pair of (v ?? '').split(',').map((p) => p.trim()).filter((p) => p !== '')) {
    const m = /^([^=\s]+)\s*=\s*(\d{1,5})$/.exec(pair)
    const days = Number(m?.[2])
    if (m === null || days > 36500) {
      ctx.addIssue({ code: 'custom', message: `"${pair}" is not group=days (days a whole number from 0 to 36500)` })
      return z.NEVER
    }
    if (byGroup.has(m[1] as string)) {
      ctx.addIssue({ code: 'custom', message: `group ${m[1] as string} is named twice` })
      return z.NEVER
    }
    byGroup.set(m[1] as string, days)
  }
  return byGroup
})

const envSchema = z.object({
  HOST: z.string().trim().min(1).default('127.0.0.1'),
  PORT: intSetting(8080, 0, 65535),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  DATA_DIR: z.string().trim().min(1).default('./.data'),
  DATABASE_URL: optionalUrl,
  DATABASE_READ_URL: optionalUrl,
  DATABASE_POOL_SIZE: intSetting(10, 1, 200),
  EMBEDDED_PG_PORT: z.string().trim().regex(/^\d+$/, 'must be a port number').optional().transform((v) => (v === undefined ? undefined : Number(v)))
    .pipe(z.number().int().min(1).max(65535).optional()),
  AUTH_JWT_SECRET: optionalSecret,
  AUTH_JWKS_URL: optionalHttpUrl,
  AUTH_ISSUER: optionalString,
  AUTH_AUDIENCE: optionalString,
  AUTH_MAX_TOKEN_LIFETIME: durationSetting('24h', 60, 366 * 86400),
  INGEST_MAX_BYTES: intSetting(10 * 1024 * 1024, 1024, 1024 * 1024 * 1024),
  LINE_MAX_BYTES: intSetting(256 * 1024, 1, 64 * 1024 * 1024),
  LOG_RETENTION_DAYS: intSetting(30, 0, 36500),
  LOG_RETENTION_DAYS_BY_GROUP: retentionByGroup,
  MAX_FUTURE_SKEW_SECONDS: intSetting(3600, 0, 31 * 24 * 3600),
  PARTITIONS_AHEAD_DAYS: intSetting(3, 1, 365),
  MAINTENANCE_INTERVAL_SECONDS: intSetting(600, 1, 86400),
  // Background merging of blocks (src/store/block-merge.ts)
  BLOCK_MERGE_ENABLED: z.enum(['true', 'false']).default('true').transform((v) => v === 'true'),
  BLOCK_MERGE_INTERVAL_SECONDS: intSetting(10, 1, 86400),
  BLOCK_MERGE_MIN_NEW_BLOCKS: intSetting(4, 1, 100000),
  BLOCK_MERGE_QUIET_SECONDS: intSetting(60, 0, 86400),
  BLOCK_MERGE_FILL_PERCENT: intSetting(75, 1, 100),
  BLOCK_MERGE_ZSTD_LEVEL: intSetting(6, 1, 19),
  BLOCK_MERGE_RUNS_PER_ROUND: intSetting(100, 1, 100000),
  // Exports (docs/exports.md)
  PUBLIC_BASE_URL: optionalUrl,
  EXPORT_DIR: optionalString,
  EXPORT_LINK_SECRET: optionalSecret,
  EXPORT_DAILY_LIMIT: intSetting(25, 1, 100000),
  EXPORT_MAX_RUNS: intSetting(1000, 1, 100000),
  EXPORT_TTL_HOURS: intSetting(72, 1, 24 * 365),
  EXPORT_MAX_FILE_BYTES: intSetting(25 * 1024 * 1024, 1024, 1024 * 1024 * 1024 * 1024),
  EXPORT_WEBHOOK_URL: optionalHttpUrl,
  EXPORT_MAX_ATTEMPTS: intSetting(3, 1, 100),
  EXPORT_WORKERS: intSetting(1, 0, 16),
  EXPORT_POLL_INTERVAL_MS: intSetting(2000, 10, 3600 * 1000),
  EXPORT_LEASE_SECONDS: intSetting(60, 1, 3600),
  EXPORT_SWEEP_INTERVAL_SECONDS: intSetting(600, 1, 86400),
  // Notifying user groups of finished exports (docs/exports.md)
  USER_GROUPS_FILE: optionalString,
  SMTP_URL: optionalString.pipe(z.url({ protocol: /^smtps?$/, error: 'must be an smtp:// or smtps:// URL' }).optional()),
  SMTP_FROM: z.string().trim().default('run-logs <run-logs@localhost>'),
  NOTIFY_MAX_ATTEMPTS: intSetting(8, 1, 100),
  NOTIFY_RETRY_SECONDS: intSetting(30, 1, 86400),
  NOTIFY_POLL_INTERVAL_MS: intSetting(5000, 10, 3600 * 1000),
  // Shippers and idempotent ingest (docs/shippers.md)
  INGEST_MAX_LINES: intSetting(100_000, 1, 10_000_000),
  INGEST_WORKERS: intSetting(2, 0, 16),
  IDEMPOTENCY_TTL_HOURS: intSetting(24, 1, 24 * 366),
  COLLECTOR_LABEL_FIELDS: listSetting('kubernetes.labels,kubernetes.pod_labels'),
  COLLECTOR_DEPLOYMENT_ID_LABELS: listSetting('ai.sap.com/deploymentId,ai_sap_com_deploymentId,deploymentId'),
  COLLECTOR_EXECUTION_ID_LABELS: listSetting('ai.sap.com/executionId,ai_sap_com_executionId,executionId'),
  COLLECTOR_RESOURCE_GROUP_LABELS: listSetting('ai.sap.com/resourceGroup,ai_sap_com_resourceGroup,resourceGroup'),
  COLLECTOR_MESSAGE_FIELDS: listSetting('log,message,msg'),
  COLLECTOR_TIMESTAMP_FIELDS: listSetting('date,timestamp,time'),
  COLLECTOR_POD_FIELDS: listSetting('kubernetes.pod_name,pod'),
  COLLECTOR_CONTAINER_FIELDS: listSetting('kubernetes.container_name,container'),
  COLLECTOR_STREAM_FIELDS: listSetting('stream'),
  COLLECTOR_RUN_LABELS: runLabelsSetting('app.kubernetes.io/name,app.kubernetes.io/instance'),
  // Reading further: cursors, streaming output, live tails.
  CURSOR_SECRET: optionalSecret,
  STREAM_MAX_LINES: intSetting(1_000_000, 5000, 100_000_000),
  READ_LINES_IN_FLIGHT: intSetting(5001, 5001, 10_000_000),
  FOLLOW_MAX_SECONDS: intSetting(3600, 1, 7 * 86400),
  FOLLOW_MAX_PER_GROUP: intSetting(100, 1, 100_000),
  FOLLOW_HEARTBEAT_SECONDS: intSetting(15, 1, 3600),
  // Loki's read API (Grafana, logcli): what one query may read.
  LOKI_MAX_RUNS: intSetting(100, 1, 100_000),
  LOKI_MAX_SCAN_LINES: intSetting(1_000_000, 1000, 1_000_000_000),
  LOKI_MAX_ENTRIES: intSetting(5000, 1, 1_000_000),
  LOKI_MAX_QUERY_HOURS: intSetting(721, 1, 24 * 3660),
  // Load and operations (docs/operations.md): per-process limits, load shedding, metrics, shutdown.
  RATE_LIMIT_READS_PER_MINUTE: intSetting(6000, 0, 10_000_000),
  RATE_LIMIT_WRITES_PER_MINUTE: intSetting(30_000, 0, 10_000_000),
  RATE_LIMIT_EXPORTS_PER_MINUTE: intSetting(300, 0, 10_000_000),
  PRESSURE_MAX_EVENT_LOOP_DELAY_MS: intSetting(1000, 0, 600_000),
  PRESSURE_MAX_HEAP_USED_MIB: z.string().trim().regex(/^\d+$/, 'must be a whole number').optional()
    .transform((v) => (v === undefined ? defaultHeapLimitMiB() : Number(v))).pipe(z.number().int().min(0).max(1024 * 1024)),
  PRESSURE_MAX_RSS_MIB: intSetting(0, 0, 1024 * 1024),
  PRESSURE_MAX_EVENT_LOOP_UTILIZATION_PERCENT: intSetting(0, 0, 100),
  PRESSURE_SAMPLE_INTERVAL_MS: intSetting(1000, 100, 60_000),
  PRESSURE_RETRY_AFTER_SECONDS: intSetting(10, 1, 3600),
  METRICS_ENABLED: z.enum(['true', 'false']).default('true').transform((v) => v === 'true'),
  METRICS_TOKEN: optionalString.pipe(z.string().min(16, 'must be at least 16 characters').optional()),
  SHUTDOWN_GRACE_SECONDS: intSetting(10, 1, 3600),
  REQUEST_BODY_IDLE_SECONDS: intSetting(15, 1, 3600),
  REQUEST_DEADLINE_SECONDS: intSetting(120, 1, 86400),
  MAX_CONNECTIONS: intSetting(4096, 1, 1_000_000)
})

/** Past 90% of V8's heap limit (--max-old-space-size) a process is close to dying of it: shed load first. */
function defaultHeapLimitMiB (): number {
  return Math.floor(getHeapStatistics().heap_size_limit * 0.9 / (1024 * 1024))
}

// A wildcard listen address is not a place to send a browser; the loopback name is.
function defaultBaseUrl (host: string, port: number): string {
  const name = host === '0.0.0.0' || host === '::' ? 'localhost' : host.includes(':') ? `[${host}]` : host
  return `http://${name}:${port}`
}

const MIB = 1024 * 1024

/** The settings as the service uses them: built from the variables once they parse, checked across variables. */
const configSchema = envSchema.transform((e, ctx) => {
  const anyAuth = [e.AUTH_JWT_SECRET, e.AUTH_JWKS_URL, e.AUTH_ISSUER, e.AUTH_AUDIENCE].some((v) => v !== undefined)
  if (anyAuth && e.AUTH_JWT_SECRET === undefined && e.AUTH_JWKS_URL === undefined) {
    ctx.addIssue({ code: 'custom', message: 'AUTH_JWT_SECRET or AUTH_JWKS_URL is required when AUTH_ISSUER or AUTH_AUDIENCE is set' })
    return z.NEVER
  }
  if (e.DATABASE_READ_URL !== undefined && e.DATABASE_URL === undefined) {
    ctx.addIssue({ code: 'custom', message: 'DATABASE_READ_URL is a replica of DATABASE_URL, which must be set too' })
    return z.NEVER
  }
  let userGroups: UserGroup[] = []
  try {
    if (e.USER_GROUPS_FILE !== undefined) userGroups = readUserGroups(e.USER_GROUPS_FILE)
  } catch (err) {
    ctx.addIssue({ code: 'custom', path: ['USER_GROUPS_FILE'], message: (err as Error).message })
    return z.NEVER
  }
  return {
    host: e.HOST,
    port: e.PORT,
    logLevel: e.LOG_LEVEL,
    dataDir: path.resolve(e.DATA_DIR),
    /** Unset: the service runs an embedded PostgreSQL under dataDir. */
    databaseUrl: e.DATABASE_URL,
    /** A streaming replica of databaseUrl for GET traffic (docs/scaling.md); unset: reads go to databaseUrl. */
    databaseReadUrl: e.DATABASE_READ_URL,
    databasePoolSize: e.DATABASE_POOL_SIZE,
    /** Unset: a free loopback port is chosen at each start. */
    embeddedPgPort: e.EMBEDDED_PG_PORT,
    auth: {
      jwtSecret: e.AUTH_JWT_SECRET,
      jwksUrl: e.AUTH_JWKS_URL,
      issuer: e.AUTH_ISSUER,
      audience: e.AUTH_AUDIENCE,
      /** A token's exp may lie at most this far after its iat (or after now, without iat or with a later one). */
      maxTokenLifetimeSeconds: e.AUTH_MAX_TOKEN_LIFETIME,
      /** No AUTH_* set: a secret is generated in dataDir and `npm run token` signs with it. */
      devMode: !anyAuth
    },
    ingestMaxBytes: e.INGEST_MAX_BYTES,
    lineMaxBytes: e.LINE_MAX_BYTES,
    retentionDays: e.LOG_RETENTION_DAYS,
    /** LOG_RETENTION_DAYS_BY_GROUP: groups kept for other than retentionDays (0: forever). */
    retentionDaysByGroup: e.LOG_RETENTION_DAYS_BY_GROUP as ReadonlyMap<string, number>,
    maxFutureSkewSeconds: e.MAX_FUTURE_SKEW_SECONDS,
    partitionsAheadDays: e.PARTITIONS_AHEAD_DAYS,
    maintenanceIntervalSeconds: e.MAINTENANCE_INTERVAL_SECONDS,
    /** Background merging of small or overlapping blocks (docs/performance.md "Merging"). */
    blockMerge: {
      enabled: e.BLOCK_MERGE_ENABLED,
      intervalSeconds: e.BLOCK_MERGE_INTERVAL_SECONDS,
      /** A run is due once ingest wrote this many part-filled or overlapping blocks since it was last examined... */
      minNewBlocks: e.BLOCK_MERGE_MIN_NEW_BLOCKS,
      /** ...or, with fewer, once it had no write for this long. */
      quietSeconds: e.BLOCK_MERGE_QUIET_SECONDS,
      /** A lone block under this share of BLOCK_LINES (percent) is merged with its small neighbours. */
      fillPercent: e.BLOCK_MERGE_FILL_PERCENT,
      zstdLevel: e.BLOCK_MERGE_ZSTD_LEVEL,
      runsPerRound: e.BLOCK_MERGE_RUNS_PER_ROUND
    },
    /** Base of absolute links the service hands out (export downloads). */
    publicBaseUrl: (e.PUBLIC_BASE_URL ?? defaultBaseUrl(e.HOST, e.PORT)).replace(/\/+$/, ''),
    exports: {
      dir: path.resolve(e.EXPORT_DIR ?? path.join(e.DATA_DIR, 'exports')),
      /** Unset: a secret is made in dataDir (file export-link-secret). */
      linkSecret: e.EXPORT_LINK_SECRET,
      dailyLimit: e.EXPORT_DAILY_LIMIT,
      maxRuns: e.EXPORT_MAX_RUNS,
      ttlHours: e.EXPORT_TTL_HOURS,
      maxFileBytes: e.EXPORT_MAX_FILE_BYTES,
      webhookUrl: e.EXPORT_WEBHOOK_URL,
      maxAttempts: e.EXPORT_MAX_ATTEMPTS,
      /** Concurrent builds in this process; 0 serves the API only. */
      workers: e.EXPORT_WORKERS,
      pollIntervalMs: e.EXPORT_POLL_INTERVAL_MS,
      leaseSeconds: e.EXPORT_LEASE_SECONDS,
      sweepIntervalSeconds: e.EXPORT_SWEEP_INTERVAL_SECONDS
    },
    notify: {
      /** Operator-configured user groups (USER_GROUPS_FILE); none when unset. */
      userGroups,
      smtpUrl: e.SMTP_URL,
      smtpFrom: e.SMTP_FROM,
      maxAttempts: e.NOTIFY_MAX_ATTEMPTS,
      /** First retry after this long; each further one waits twice as long (at most an hour). */
      retrySeconds: e.NOTIFY_RETRY_SECONDS,
      pollIntervalMs: e.NOTIFY_POLL_INTERVAL_MS
    },
    ingestMaxLines: e.INGEST_MAX_LINES,
    /** Threads that decode and check ingest bodies and build their blocks (src/ingest/decode-pool.ts); 0: the event loop does. */
    ingestWorkers: e.INGEST_WORKERS,
    idempotencyTtlHours: e.IDEMPOTENCY_TTL_HOURS,
    /** Where the collector endpoints find a record's run and line fields (docs/shippers.md). */
    collector: {
      /** Dotted paths to maps of labels, e.g. kubernetes.labels; labels are also looked up at the record's top. */
      labelFields: e.COLLECTOR_LABEL_FIELDS,
      deploymentIdLabels: e.COLLECTOR_DEPLOYMENT_ID_LABELS,
      executionIdLabels: e.COLLECTOR_EXECUTION_ID_LABELS,
      resourceGroupLabels: e.COLLECTOR_RESOURCE_GROUP_LABELS,
      /** Dotted paths, the first present wins. */
      messageFields: e.COLLECTOR_MESSAGE_FIELDS,
      timestampFields: e.COLLECTOR_TIMESTAMP_FIELDS,
      podFields: e.COLLECTOR_POD_FIELDS,
      containerFields: e.COLLECTOR_CONTAINER_FIELDS,
      streamFields: e.COLLECTOR_STREAM_FIELDS,
      /** Run labels taken from records' labels: the run's label `label` gets the value of the record's `recordLabel`. */
      runLabels: e.COLLECTOR_RUN_LABELS
    },
    /** Unset: a secret is made in dataDir (replicas must then share dataDir's cursor-secret file). */
    cursorSecret: e.CURSOR_SECRET,
    streamMaxLines: e.STREAM_MAX_LINES,
    /** Lines of JSON pages being read or sent at once; further pages wait (src/read/line-budget.ts). */
    readLinesInFlight: e.READ_LINES_IN_FLIGHT,
    followMaxSeconds: e.FOLLOW_MAX_SECONDS,
    followMaxPerGroup: e.FOLLOW_MAX_PER_GROUP,
    followHeartbeatSeconds: e.FOLLOW_HEARTBEAT_SECONDS,
    /** Loki's read API: runs and lines one query may read, lines it may return, hours it may span. */
    loki: { maxRuns: e.LOKI_MAX_RUNS, maxScanLines: e.LOKI_MAX_SCAN_LINES, maxEntries: e.LOKI_MAX_ENTRIES, maxQueryHours: e.LOKI_MAX_QUERY_HOURS },
    /** Requests per minute per token subject and resource group, in this process; 0 turns a limit off. */
    rateLimit: {
      readsPerMinute: e.RATE_LIMIT_READS_PER_MINUTE,
      writesPerMinute: e.RATE_LIMIT_WRITES_PER_MINUTE,
      exportsPerMinute: e.RATE_LIMIT_EXPORTS_PER_MINUTE
    },
    /** Load shedding (503) past any threshold; 0 turns a check off. */
    pressure: {
      maxEventLoopDelayMs: e.PRESSURE_MAX_EVENT_LOOP_DELAY_MS,
      maxHeapUsedBytes: e.PRESSURE_MAX_HEAP_USED_MIB * MIB,
      maxRssBytes: e.PRESSURE_MAX_RSS_MIB * MIB,
      /** 0..1 */
      maxEventLoopUtilization: e.PRESSURE_MAX_EVENT_LOOP_UTILIZATION_PERCENT / 100,
      sampleIntervalMs: e.PRESSURE_SAMPLE_INTERVAL_MS,
      retryAfterSeconds: e.PRESSURE_RETRY_AFTER_SECONDS
    },
    /** token set: GET /metrics wants `Authorization: Bearer <token>`. */
    metrics: { enabled: e.METRICS_ENABLED, token: e.METRICS_TOKEN },
    shutdownGraceSeconds: e.SHUTDOWN_GRACE_SECONDS,
    /** Stalled requests and connections (src/http/stalled-requests.ts). */
    connections: {
      /** A body that stops arriving this long is answered 408. */
      bodyIdleSeconds: e.REQUEST_BODY_IDLE_SECONDS,
      /** A request (headers and body) still arriving this long after it began is answered 408. */
      deadlineSeconds: e.REQUEST_DEADLINE_SECONDS,
      maxConnections: e.MAX_CONNECTIONS
    }
  }
})

export type Config = z.output<typeof configSchema>

/** Where the collector endpoints find a record's run and line fields (docs/shippers.md). */
export type CollectorMapping = Config['collector']

export class ConfigError extends Error {}

export function parseConfig (env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = configSchema.safeParse(env)
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => i.path.length === 0 ? i.message : `${i.path.join('.')}: ${i.message}`)
    throw new ConfigError(`invalid settings: ${problems.join('; ')}`)
  }
  return parsed.data
}

/** The days a group's lines are kept (0: forever): its own setting, else LOG_RETENTION_DAYS. */
export const retentionDaysOf = (config: Pick<Config, 'retentionDays' | 'retentionDaysByGroup'>, group: string): number =>
  config.retentionDaysByGroup.get(group) ?? config.retentionDays

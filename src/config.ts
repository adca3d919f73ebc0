// Every setting is an environment variable, parsed once here; a bad value stops the start naming it.
import path from 'node:path'
import { z } from 'zod'

const intSetting = (fallback: number, min: number, max: number) =>
  z.string().trim().regex(/^\d+$/, 'must be a whole number').optional()
    .transform((v) => (v === undefined ? fallback : Number(v)))
    .pipe(z.number().int().min(min).max(max))

const optionalString = z.string().trim().optional().transform((v) => (v === '' ? undefined : v))
const optionalUrl = optionalString.pipe(z.url().optional())

const envSchema = z.object({
  HOST: z.string().trim().min(1).default('127.0.0.1'),
  PORT: intSetting(8080, 0, 65535),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  DATA_DIR: z.string().trim().min(1).default('./.data'),
  DATABASE_URL: optionalUrl,
  DATABASE_POOL_SIZE: intSetting(10, 1, 200),
  EMBEDDED_PG_PORT: intSetting(54329, 1, 65535),
  AUTH_JWT_SECRET: optionalString.pipe(z.string().min(32, 'must be at least 32 characters').optional()),
  // jose fetches the key set over HTTP(S) only; any other scheme would fail every token at request time.
  AUTH_JWKS_URL: optionalString.pipe(z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).optional()),
  AUTH_ISSUER: optionalString,
  AUTH_AUDIENCE: optionalString,
  INGEST_MAX_BYTES: intSetting(10 * 1024 * 1024, 1024, 1024 * 1024 * 1024),
  LINE_MAX_BYTES: intSetting(256 * 1024, 1, 64 * 1024 * 1024),
  LOG_RETENTION_DAYS: intSetting(30, 0, 36500),
  MAX_FUTURE_SKEW_SECONDS: intSetting(3600, 0, 31 * 24 * 3600),
  PARTITIONS_AHEAD_DAYS: intSetting(3, 1, 365),
  MAINTENANCE_INTERVAL_SECONDS: intSetting(600, 1, 86400),
  // Reading further: cursors, streaming output, live tails.
  CURSOR_SECRET: optionalString.pipe(z.string().min(32, 'must be at least 32 characters').optional()),
  STREAM_MAX_LINES: intSetting(1_000_000, 5000, 100_000_000),
  FOLLOW_MAX_SECONDS: intSetting(3600, 1, 7 * 86400),
  FOLLOW_MAX_PER_GROUP: intSetting(100, 1, 100_000),
  FOLLOW_HEARTBEAT_SECONDS: intSetting(15, 1, 3600)
})

export type Env = z.input<typeof envSchema>

export interface Config {
  host: string
  port: number
  logLevel: string
  dataDir: string
  /** Unset: the service runs an embedded PostgreSQL under dataDir. */
  databaseUrl?: string
  databasePoolSize: number
  embeddedPgPort: number
  auth: {
    jwtSecret?: string
    jwksUrl?: string
    issuer?: string
    audience?: string
    /** No AUTH_* set: a secret is generated in dataDir and `npm run token` signs with it. */
    devMode: boolean
  }
  ingestMaxBytes: number
  lineMaxBytes: number
  retentionDays: number
  maxFutureSkewSeconds: number
  partitionsAheadDays: number
  maintenanceIntervalSeconds: number
  // Reading further
  /** Unset: a secret is made in dataDir (replicas must then share dataDir's cursor-secret file). */
  cursorSecret?: string
  streamMaxLines: number
  followMaxSeconds: number
  followMaxPerGroup: number
  followHeartbeatSeconds: number
}

export class ConfigError extends Error {}

export function parseConfig (env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = envSchema.safeParse(env)
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`)
    throw new ConfigError(`invalid settings: ${problems.join('; ')}`)
  }
  const e = parsed.data
  const anyAuth = [e.AUTH_JWT_SECRET, e.AUTH_JWKS_URL, e.AUTH_ISSUER, e.AUTH_AUDIENCE].some((v) => v !== undefined)
  if (anyAuth && e.AUTH_JWT_SECRET === undefined && e.AUTH_JWKS_URL === undefined) {
    throw new ConfigError('invalid settings: AUTH_JWT_SECRET or AUTH_JWKS_URL is required when AUTH_ISSUER or AUTH_AUDIENCE is set')
  }
  return {
    host: e.HOST,
    port: e.PORT,
    logLevel: e.LOG_LEVEL,
    dataDir: path.resolve(e.DATA_DIR),
    databaseUrl: e.DATABASE_URL,
    databasePoolSize: e.DATABASE_POOL_SIZE,
    embeddedPgPort: e.EMBEDDED_PG_PORT,
    auth: {
      jwtSecret: e.AUTH_JWT_SECRET,
      jwksUrl: e.AUTH_JWKS_URL,
      issuer: e.AUTH_ISSUER,
      audience: e.AUTH_AUDIENCE,
      devMode: !anyAuth
    },
    ingestMaxBytes: e.INGEST_MAX_BYTES,
    lineMaxBytes: e.LINE_MAX_BYTES,
    retentionDays: e.LOG_RETENTION_DAYS,
    maxFutureSkewSeconds: e.MAX_FUTURE_SKEW_SECONDS,
    partitionsAheadDays: e.PARTITIONS_AHEAD_DAYS,
    maintenanceIntervalSeconds: e.MAINTENANCE_INTERVAL_SECONDS,
    cursorSecret: e.CURSOR_SECRET,
    streamMaxLines: e.STREAM_MAX_LINES,
    followMaxSeconds: e.FOLLOW_MAX_SECONDS,
    followMaxPerGroup: e.FOLLOW_MAX_PER_GROUP,
    followHeartbeatSeconds: e.FOLLOW_HEARTBEAT_SECONDS
  }
}

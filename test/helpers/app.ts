// Builds the real app on a fresh database for a test file, and signs tokens the way an issuer would.
import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import type { FastifyBaseLogger, FastifyInstance } from 'fastify'
import { SignJWT } from 'jose'
import { buildApp } from '../../src/app.js'
import { parseConfig, type Config } from '../../src/config.js'
import type { Instant } from '../../src/time.js'
import { createTestDatabase } from './database.js'

export const TEST_SECRET = 'test-secret-that-is-at-least-32-characters-long'

interface TestContext { teardown: (fn: () => unknown) => void }

export interface TestApp {
  app: FastifyInstance
  config: Config
  databaseUrl: string
}

export async function buildTestApp (t: TestContext, opts: { env?: Record<string, string>, now?: () => Instant, databaseUrl?: string, loggerInstance?: FastifyBaseLogger, maintenance?: boolean } = {}): Promise<TestApp> {
  const databaseUrl = opts.databaseUrl ?? await createTestDatabase(t)
  const dataDir = await mkdtemp(path.join(tmpdir(), 'run-logs-app-'))
  const config = parseConfig({ AUTH_JWT_SECRET: TEST_SECRET, LOG_LEVEL: 'silent', DATA_DIR: dataDir, ...opts.env })
  const app = await buildApp(config, { databaseUrl, now: opts.now, loggerInstance: opts.loggerInstance, maintenance: opts.maintenance })
  t.teardown(async () => { await app.close() })
  await app.ready()
  return { app, config, databaseUrl }
}

export interface TokenClaims {
  scope?: string
  groups?: string[]
  expiresIn?: string
  secret?: string
  subject?: string
}

export async function token (claims: TokenClaims = {}): Promise<string> {
  return await new SignJWT({ scope: claims.scope ?? 'logs.read logs.write logs.export', resource_groups: claims.groups ?? ['*'] })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(claims.subject ?? 'tester')
    .setIssuedAt()
    .setExpirationTime(claims.expiresIn ?? '1h')
    .sign(new TextEncoder().encode(claims.secret ?? TEST_SECRET))
}

export async function authHeaders (claims: TokenClaims = {}, group?: string): Promise<Record<string, string>> {
  return { authorization: `Bearer ${await token(claims)}`, ...(group === undefined ? {} : { 'ai-resource-group': group }) }
}

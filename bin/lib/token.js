// @ts-check
// run-logs token: in dev mode (no AUTH_* set), a token signed with the secret the service keeps in
// DATA_DIR, as `npm run token` prints it; HS256 with node:crypto.
import { createHmac } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { CliError, usage } from './client.js'

export const TOKEN_OPTIONS = /** @type {const} */ ({
  group: { type: 'string', multiple: true },
  scope: { type: 'string' },
  ttl: { type: 'string' },
  subject: { type: 'string' }
})

const AUTH_SETTINGS = ['AUTH_JWT_SECRET', 'AUTH_JWKS_URL', 'AUTH_ISSUER', 'AUTH_AUDIENCE']
const base64url = (/** @type {string | Buffer} */ data) => Buffer.from(data).toString('base64url')

/** @param {string[]} args @param {Record<string, string | boolean | string[] | undefined>} o */
export async function tokenCommand (args, o) {
  if (args.length > 0) throw usage('usage: run-logs token [--group G]... [--scope "logs.read logs.write logs.export"] [--ttl SECONDS] [--subject S]')
  if (AUTH_SETTINGS.some((name) => (process.env[name] ?? '') !== '')) {
    throw new CliError(1, 'AUTH_* is set: the service verifies tokens from your identity provider, and no dev token is printed')
  }
  const ttl = o.ttl === undefined ? 86400 : Number(o.ttl)
  if (!Number.isInteger(ttl) || ttl <= 0) throw usage('--ttl must be a positive number of seconds')
  const dataDir = path.resolve(process.env.DATA_DIR ?? '.data')
  let secret
  try {
    secret = (await readFile(path.join(dataDir, 'auth-secret'), 'utf8')).trim()
  } catch {
    throw new CliError(1, `no dev secret in ${dataDir}: start the service (npm start) in dev mode first, with the same DATA_DIR`)
  }
  const now = Math.floor(Date.now() / 1000)
  const header = base64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }))
  const payload = base64url(JSON.stringify({
    scope: typeof o.scope === 'string' ? o.scope : 'logs.read logs.write logs.export',
    resource_groups: Array.isArray(o.group) ? o.group : ['default'],
    sub: typeof o.subject === 'string' ? o.subject : 'dev',
    iat: now,
    exp: now + ttl
  }))
  const signature = createHmac('sha256', secret).update(`${header}.${payload}`).digest('base64url')
  process.stdout.write(`${header}.${payload}.${signature}\n`)
}

// Auth and tenancy as the contract states them: bearer tokens (HS256 secret or RS256/ES256 from a JWKS),
// scopes, resource groups and the AI-Resource-Group header. The JWKS is served by a local HTTP server.
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { LightMyRequestResponse } from 'fastify'
import { exportJWK, exportSPKI, generateKeyPair, SignJWT, type JWTPayload } from 'jose'
import t, { type Test } from 'tap'
import { authHeaders, buildTestApp, TEST_SECRET, token } from './helpers/app.js'
import { createTestDatabase } from './helpers/database.js'

// A JWKS with an RS256 and an ES256 key, served on 127.0.0.1 like an identity provider would.
type KeyPair = Awaited<ReturnType<typeof generateKeyPair>>
const rsa = await generateKeyPair('RS256')
const ec = await generateKeyPair('ES256')
const stranger = await generateKeyPair('RS256')
const jwks = {
  keys: [
    { ...(await exportJWK(rsa.publicKey)), kid: 'rsa-1', alg: 'RS256', use: 'sig' },
    { ...(await exportJWK(ec.publicKey)), kid: 'ec-1', alg: 'ES256', use: 'sig' }
  ]
}
const jwksServer = createServer((_req, res) => {
  res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(jwks))
})
await new Promise<void>((resolve) => { jwksServer.listen(0, '127.0.0.1', resolve) })
t.teardown(() => {
  jwksServer.closeAllConnections()
  jwksServer.close()
})
const JWKS_URL = `http://127.0.0.1:${(jwksServer.address() as AddressInfo).port}/.well-known/jwks.json`

const databaseUrl = await createTestDatabase(t)
const { app } = await buildTestApp(t, { databaseUrl })

const LOGS = '/v2/lm/executions/exec-0001/logs'
const ISSUER = 'https://idp.example.test/'
const AUDIENCE = 'run-logs'

const line = (msg: string) => ({ timestamp: new Date().toISOString(), msg })
const bytes = (secret: string) => new TextEncoder().encode(secret)
const base64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url')
const nowSeconds = () => Math.floor(Date.now() / 1000)

function assertErrorBody (t: Test, res: LightMyRequestResponse, status: number, code: string, target: string): void {
  t.equal(res.statusCode, status, res.body)
  const { error } = res.json()
  t.equal(error.code, code)
  t.ok(typeof error.message === 'string' && error.message.length > 0, 'message says what to fix')
  t.equal(error.requestId, res.headers['x-request-id'], 'requestId equals X-Request-Id')
  t.equal(error.target, target)
}

function assertUnauthorized (t: Test, res: LightMyRequestResponse, target = LOGS): void {
  assertErrorBody(t, res, 401, 'Unauthorized', target)
  t.match(String(res.headers['www-authenticate']), /^Bearer(\s|$)/, 'WWW-Authenticate: Bearer')
}

async function getLogs (authorization: string | undefined, url = LOGS): Promise<LightMyRequestResponse> {
  return await app.inject({ method: 'GET', url, headers: authorization === undefined ? {} : { authorization } })
}

/** A token signed HS256 with TEST_SECRET carrying exactly the given claims (no defaults). */
async function signedWith (claims: JWTPayload, secret = TEST_SECRET): Promise<string> {
  return await new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setIssuedAt().setExpirationTime('1h').sign(bytes(secret))
}

t.test('no Authorization header: 401 with WWW-Authenticate: Bearer', async (t) => {
  assertUnauthorized(t, await getLogs(undefined))
  assertUnauthorized(t, await app.inject({ method: 'POST', url: LOGS, payload: [line('x')] }))
})

t.test('malformed Authorization header: 401', async (t) => {
  const good = await token()
  for (const authorization of ['Basic x', 'Bearer', 'Bearer ', `Basic ${good}`, `${good}`, 'Bearer not-a-jwt', 'Bearer a.b.c', `Bearer ${good} extra`]) {
    t.test(JSON.stringify(authorization), async (t) => { assertUnauthorized(t, await getLogs(authorization)) })
  }
})

t.test('a token signed with another secret: 401', async (t) => {
  const other = await token({ secret: 'another-secret-that-is-also-32-characters-long' })
  assertUnauthorized(t, await getLogs(`Bearer ${other}`))
})

t.test('an expired token: 401', async (t) => {
  const expired = await new SignJWT({ scope: 'logs.read', resource_groups: ['*'] })
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuedAt(nowSeconds() - 7200)
    .setExpirationTime(nowSeconds() - 60)
    .sign(bytes(TEST_SECRET))
  const res = await getLogs(`Bearer ${expired}`)
  assertUnauthorized(t, res)
  t.match(res.json().error.message, /expired/)
})

t.test('a token must expire, within AUTH_MAX_TOKEN_LIFETIME (24 hours) of its iat or of now', async (t) => {
  const claims = { scope: 'logs.read', resource_groups: ['*'] }
  const signed = async (times: { iat?: number, exp?: number }): Promise<string> =>
    await new SignJWT({ ...claims, ...times }).setProtectedHeader({ alg: 'HS256' }).sign(bytes(TEST_SECRET))
  const now = nowSeconds()
  const refused: Record<string, { iat?: number, exp?: number }> = {
    'no exp': { iat: now },
    'no exp, no iat': {},
    'exp 1e20': { iat: now, exp: 1e20 },
    'exp 24 hours and a minute after iat': { iat: now, exp: now + 86_460 },
    'exp 25 hours from now, without iat': { exp: now + 25 * 3600 },
    'exp 25 hours from now, with an iat in the future': { iat: now + 3600, exp: now + 25 * 3600 }
  }
  for (const [what, times] of Object.entries(refused)) {
    const res = await getLogs(`Bearer ${await signed(times)}`)
    assertUnauthorized(t, res)
    t.match(res.json().error.message, /exp/, `${what}: the message names exp`)
  }
  for (const [what, times] of Object.entries({ 'exp 24 hours after iat': { iat: now - 60, exp: now - 60 + 86_400 }, 'exp in 23 hours, without iat': { exp: now + 23 * 3600 } })) {
    t.equal((await getLogs(`Bearer ${await signed(times)}`)).statusCode, 404, `${what}: accepted (404: no such run)`)
  }
  const { app: strict } = await buildTestApp(t, { databaseUrl, env: { AUTH_MAX_TOKEN_LIFETIME: '1h' } })
  const twoHours = await strict.inject({ url: LOGS, headers: { authorization: `Bearer ${await signed({ iat: now, exp: now + 7200 })}` } })
  assertUnauthorized(t, twoHours)
  t.match(twoHours.json().error.message, /AUTH_MAX_TOKEN_LIFETIME/)
  t.equal((await strict.inject({ url: LOGS, headers: { authorization: `Bearer ${await signed({ iat: now, exp: now + 3000 })}` } })).statusCode, 404, 'within the hour: accepted')
})

t.test('an unsigned token (alg none): 401', async (t) => {
  const payload = { scope: 'logs.read logs.write', resource_groups: ['*'], sub: 'mallory', exp: nowSeconds() + 3600 }
  const unsigned = `${base64url({ alg: 'none', typ: 'JWT' })}.${base64url(payload)}.`
  assertUnauthorized(t, await getLogs(`Bearer ${unsigned}`))
  // the same with a signature appended that nobody checks
  assertUnauthorized(t, await getLogs(`Bearer ${unsigned}${Buffer.from('sig').toString('base64url')}`))
})

t.test('AUTH_ISSUER and AUTH_AUDIENCE: another issuer or audience is 401, the configured ones are accepted', async (t) => {
  const { app } = await buildTestApp(t, { databaseUrl, env: { AUTH_ISSUER: ISSUER, AUTH_AUDIENCE: AUDIENCE } })
  const claims = { scope: 'logs.read logs.write', resource_groups: ['*'] }
  const post = async (jwt: string) => await app.inject({ method: 'POST', url: LOGS, headers: { authorization: `Bearer ${jwt}` }, payload: [line('iss')] })

  const rejected: Array<[string, JWTPayload]> = [
    ['another issuer', { iss: 'https://other.example.test/', aud: AUDIENCE }],
    ['another audience', { iss: ISSUER, aud: 'someone-else' }],
    ['no issuer', { aud: AUDIENCE }],
    ['no audience', { iss: ISSUER }]
  ]
  for (const [name, claimed] of rejected) {
    t.test(name, async (t) => { assertUnauthorized(t, await post(await signedWith({ ...claims, ...claimed }))) })
  }

  const ok = await post(await signedWith({ ...claims, iss: ISSUER, aud: AUDIENCE }))
  t.equal(ok.statusCode, 200, ok.body)
  const listed = await post(await signedWith({ ...claims, iss: ISSUER, aud: ['another-api', AUDIENCE] }))
  t.equal(listed.statusCode, 200, 'an audience list that includes ours is accepted')
})

async function signedByKey (key: KeyPair['privateKey'], alg: string, kid: string, claims: JWTPayload = {}): Promise<string> {
  return await new SignJWT({ scope: 'logs.read logs.write', resource_groups: ['*'], ...claims })
    .setProtectedHeader({ alg, kid, typ: 'JWT' })
    .setSubject('service')
    .setIssuedAt()
    .setExpirationTime('1h')
    .sign(key)
}

/** JWKS only: AUTH_JWT_SECRET is set empty, which config treats as unset. */
async function buildJwksApp (t: Test, env: Record<string, string> = {}) {
  const built = await buildTestApp(t, { databaseUrl, env: { AUTH_JWT_SECRET: '', AUTH_JWKS_URL: JWKS_URL, ...env } })
  t.equal(built.config.auth.jwtSecret, undefined, 'no HS256 secret')
  t.equal(built.config.auth.devMode, false, 'not dev mode')
  return built.app
}

t.test('AUTH_JWKS_URL: RS256 and ES256 tokens signed by the JWKS keys are accepted', async (t) => {
  const app = await buildJwksApp(t)
  for (const jwt of [await signedByKey(rsa.privateKey, 'RS256', 'rsa-1'), await signedByKey(ec.privateKey, 'ES256', 'ec-1')]) {
    const headers = { authorization: `Bearer ${jwt}` }
    const post = await app.inject({ method: 'POST', url: LOGS, headers, payload: [line('jwks')] })
    t.equal(post.statusCode, 200, post.body)
    const get = await app.inject({ method: 'GET', url: LOGS, headers })
    t.equal(get.statusCode, 200, get.body)
  }
})

t.test('AUTH_JWKS_URL: an unknown kid, or a known kid signed by another key, is 401', async (t) => {
  const app = await buildJwksApp(t)
  const unknownKid = await signedByKey(stranger.privateKey, 'RS256', 'rsa-unknown')
  const forgedKid = await signedByKey(stranger.privateKey, 'RS256', 'rsa-1')
  for (const jwt of [unknownKid, forgedKid]) {
    assertUnauthorized(t, await app.inject({ method: 'GET', url: LOGS, headers: { authorization: `Bearer ${jwt}` } }))
  }
})

t.test('AUTH_JWKS_URL without AUTH_JWT_SECRET: HS256 tokens are rejected, also one keyed with the public key', async (t) => {
  const app = await buildJwksApp(t)
  const pem = await exportSPKI(rsa.publicKey)
  const jwk = JSON.stringify(jwks.keys[0])
  const hs256 = async (secret: string, kid?: string) => await new SignJWT({ scope: 'logs.read logs.write', resource_groups: ['*'] })
    .setProtectedHeader({ alg: 'HS256', ...(kid === undefined ? {} : { kid }) })
    .setIssuedAt().setExpirationTime('1h').sign(bytes(secret))
  for (const jwt of [await hs256(TEST_SECRET), await hs256(pem, 'rsa-1'), await hs256(jwk, 'rsa-1')]) {
    assertUnauthorized(t, await app.inject({ method: 'GET', url: LOGS, headers: { authorization: `Bearer ${jwt}` } }))
  }
})

t.test('AUTH_JWKS_URL with AUTH_JWT_SECRET: HS256 keyed with the public key is rejected, both kinds of token accepted', async (t) => {
  const { app } = await buildTestApp(t, { databaseUrl, env: { AUTH_JWKS_URL: JWKS_URL } })
  const pem = await exportSPKI(rsa.publicKey)
  const confused = await new SignJWT({ scope: 'logs.read', resource_groups: ['*'] })
    .setProtectedHeader({ alg: 'HS256', kid: 'rsa-1' }).setIssuedAt().setExpirationTime('1h').sign(bytes(pem))
  assertUnauthorized(t, await app.inject({ method: 'GET', url: LOGS, headers: { authorization: `Bearer ${confused}` } }))
  // and the RSA-signed and secret-signed tokens still work
  for (const jwt of [await signedByKey(rsa.privateKey, 'RS256', 'rsa-1'), await token()]) {
    const post = await app.inject({ method: 'POST', url: LOGS, headers: { authorization: `Bearer ${jwt}` }, payload: [line('both')] })
    t.equal(post.statusCode, 200, post.body)
  }
})

t.test('a valid token without the scope: 403', async (t) => {
  const readOnly = await authHeaders({ scope: 'logs.read' })
  const writeOnly = await authHeaders({ scope: 'logs.write' })
  assertErrorBody(t, await app.inject({ method: 'POST', url: LOGS, headers: readOnly, payload: [line('x')] }), 403, 'Forbidden', LOGS)
  assertErrorBody(t, await app.inject({ method: 'GET', url: LOGS, headers: writeOnly }), 403, 'Forbidden', LOGS)
  const exportOnly = await authHeaders({ scope: 'logs.export' })
  assertErrorBody(t, await app.inject({ method: 'GET', url: LOGS, headers: exportOnly }), 403, 'Forbidden', LOGS)
  // a scope is a whole word of the space-separated claim
  const lookalike = await authHeaders({ scope: 'logs.reader logs.writer' })
  assertErrorBody(t, await app.inject({ method: 'GET', url: LOGS, headers: lookalike }), 403, 'Forbidden', LOGS)
  // and the scopes granted do work
  t.equal((await app.inject({ method: 'POST', url: LOGS, headers: writeOnly, payload: [line('x')] })).statusCode, 200)
  t.equal((await app.inject({ method: 'GET', url: LOGS, headers: readOnly })).statusCode, 200)
})

t.test('a valid token whose resource_groups lacks the AI-Resource-Group: 403', async (t) => {
  const headers = await authHeaders({ groups: ['team-a', 'team-b'] }, 'team-c')
  assertErrorBody(t, await app.inject({ method: 'GET', url: LOGS, headers }), 403, 'Forbidden', LOGS)
  assertErrorBody(t, await app.inject({ method: 'POST', url: LOGS, headers, payload: [line('x')] }), 403, 'Forbidden', LOGS)
  const noDefault = await authHeaders({ groups: ['team-a'] })
  assertErrorBody(t, await app.inject({ method: 'GET', url: LOGS, headers: noDefault }), 403, 'Forbidden', LOGS)
  const listed = await authHeaders({ groups: ['team-a', 'team-b'] }, 'team-b')
  t.equal((await app.inject({ method: 'POST', url: LOGS, headers: listed, payload: [line('x')] })).statusCode, 200)
})

t.test('resource_groups ["*"] may act in any group', async (t) => {
  for (const group of ['default', 'team-a', 'x.y-z', 'Z'.repeat(253)]) {
    const headers = await authHeaders({ groups: ['*'] }, group)
    const post = await app.inject({ method: 'POST', url: LOGS, headers, payload: [line(group)] })
    t.equal(post.statusCode, 200, `${group.slice(0, 20)}: ${post.body}`)
  }
})

t.test('a token without a resource_groups claim (or a malformed one): 403', async (t) => {
  for (const claims of [{ scope: 'logs.read logs.write' }, { scope: 'logs.read logs.write', resource_groups: 'default' }, { scope: 'logs.read logs.write', resource_groups: [] }]) {
    const authorization = `Bearer ${await signedWith(claims)}`
    assertErrorBody(t, await app.inject({ method: 'GET', url: LOGS, headers: { authorization } }), 403, 'Forbidden', LOGS)
    assertErrorBody(t, await app.inject({ method: 'GET', url: LOGS, headers: { authorization, 'ai-resource-group': 'default' } }), 403, 'Forbidden', LOGS)
  }
})

t.test('without AI-Resource-Group the group is "default"', async (t) => {
  const url = '/v2/lm/executions/default-0001/logs'
  const post = await app.inject({ method: 'POST', url, headers: await authHeaders({ groups: ['default'] }), payload: [line('in default')] })
  t.equal(post.statusCode, 200, post.body)
  const explicit = await app.inject({ method: 'GET', url, headers: await authHeaders({ groups: ['*'] }, 'default') })
  t.same(explicit.json().data.result.map((l: { msg: string }) => l.msg), ['in default'], 'the line is in group default')
})

t.test('an invalid AI-Resource-Group: 400', async (t) => {
  const authorization = `Bearer ${await token({ groups: ['*'] })}`
  const invalid: Array<[string, string | string[]]> = [
    ['2 characters', 'ab'],
    ['254 characters', 'a'.repeat(254)],
    ['starting with -', '-abc'],
    ['ending with -', 'abc-'],
    ['starting with .', '.abc'],
    ['containing _', 'ab_cd'],
    ['containing /', 'ab/cd'],
    ['containing a space', 'ab cd'],
    ['containing a comma', 'ab,cd'],
    ['sent twice', ['team-a', 'team-b']],
    ['sent twice, same value', ['team-a', 'team-a']]
  ]
  for (const [name, group] of invalid) {
    t.test(name, async (t) => {
      const get = await app.inject({ method: 'GET', url: LOGS, headers: { authorization, 'ai-resource-group': group } })
      assertErrorBody(t, get, 400, 'InvalidRequest', LOGS)
      const post = await app.inject({ method: 'POST', url: LOGS, headers: { authorization, 'ai-resource-group': group }, payload: [line('x')] })
      assertErrorBody(t, post, 400, 'InvalidRequest', LOGS)
    })
  }
})

t.test('an AI-Resource-Group of 3 and of 253 characters is valid', async (t) => {
  for (const group of ['abc', 'a-1', 'x'.repeat(253), `A${'.-b'.repeat(83)}.-9`]) {
    t.ok(group.length === 3 || group.length === 253, `${group.length} characters`)
    const headers = await authHeaders({ groups: [group] }, group)
    const post = await app.inject({ method: 'POST', url: LOGS, headers, payload: [line(group)] })
    t.equal(post.statusCode, 200, post.body)
    const get = await app.inject({ method: 'GET', url: LOGS, headers })
    t.same(get.json().data.result.map((l: { msg: string }) => l.msg), [group], 'the group holds its own line')
  }
})

t.test('a line written in one group is invisible from another, even with a "*" token', async (t) => {
  const url = '/v2/lm/executions/tenant-0001/logs'
  const post = await app.inject({ method: 'POST', url, headers: await authHeaders({ groups: ['group-a'] }, 'group-a'), payload: [line('secret of a')] })
  t.equal(post.statusCode, 200, post.body)
  for (const claims of [{ groups: ['group-b'] }, { groups: ['*'] }]) {
    const get = await app.inject({ method: 'GET', url, headers: await authHeaders(claims, 'group-b') })
    assertErrorBody(t, get, 404, 'NotFound', url)
    t.notMatch(get.body, /secret of a/)
  }
  const own = await app.inject({ method: 'GET', url, headers: await authHeaders({ groups: ['*'] }, 'group-a') })
  t.same(own.json().data.result.map((l: { msg: string }) => l.msg), ['secret of a'])
})

t.test('the same run id in two groups holds separate lines', async (t) => {
  const url = '/v2/lm/deployments/shared-0001/logs'
  const headersA = await authHeaders({ groups: ['*'] }, 'group-a')
  const headersB = await authHeaders({ groups: ['*'] }, 'group-b')
  t.equal((await app.inject({ method: 'POST', url, headers: headersA, payload: [line('a1'), line('a2')] })).statusCode, 200)
  t.equal((await app.inject({ method: 'POST', url, headers: headersB, payload: [line('b1')] })).statusCode, 200)
  const msgs = async (headers: Record<string, string>) =>
    (await app.inject({ method: 'GET', url, headers })).json().data.result.map((l: { msg: string }) => l.msg)
  t.same(await msgs(headersA), ['a1', 'a2'])
  t.same(await msgs(headersB), ['b1'])
})

t.test('a deployment and an execution with the same id are separate runs', async (t) => {
  const headers = await authHeaders()
  const deployment = '/v2/lm/deployments/same-id-0001/logs'
  const execution = '/v2/lm/executions/same-id-0001/logs'
  t.equal((await app.inject({ method: 'POST', url: deployment, headers, payload: [line('deployment line')] })).statusCode, 200)
  assertErrorBody(t, await app.inject({ method: 'GET', url: execution, headers }), 404, 'NotFound', execution)
  t.equal((await app.inject({ method: 'POST', url: execution, headers, payload: [line('execution line')] })).statusCode, 200)
  const msgs = async (url: string) => (await app.inject({ method: 'GET', url, headers })).json().data.result.map((l: { msg: string }) => l.msg)
  t.same(await msgs(deployment), ['deployment line'])
  t.same(await msgs(execution), ['execution line'])
})

t.test('/healthz and /readyz need no token', async (t) => {
  for (const url of ['/healthz', '/readyz']) {
    const res = await app.inject({ method: 'GET', url })
    t.equal(res.statusCode, 200, `${url}: ${res.body}`)
    t.same(res.json(), { status: 'ok' })
  }
})

t.test('AUTH_JWKS_URL unreachable or broken: 503 Unavailable with Retry-After, not a 401 that would make clients drop good tokens', async (t) => {
  const broken = createServer((_req, res) => { res.writeHead(500).end('down') })
  await new Promise<void>((resolve) => { broken.listen(0, '127.0.0.1', resolve) })
  t.teardown(() => { broken.closeAllConnections(); broken.close() })
  const closed = createServer()
  await new Promise<void>((resolve) => { closed.listen(0, '127.0.0.1', resolve) })
  const closedUrl = `http://127.0.0.1:${(closed.address() as AddressInfo).port}/jwks.json`
  await new Promise<void>((resolve) => { closed.close(() => { resolve() }) })
  const jwt = await signedByKey(rsa.privateKey, 'RS256', 'rsa-1')
  for (const url of [closedUrl, `http://127.0.0.1:${(broken.address() as AddressInfo).port}/jwks.json`]) {
    const app = await buildJwksApp(t, { AUTH_JWKS_URL: url })
    const res = await app.inject({ method: 'GET', url: LOGS, headers: { authorization: `Bearer ${jwt}` } })
    assertErrorBody(t, res, 503, 'Unavailable', LOGS)
    t.ok(Number(res.headers['retry-after']) > 0, 'Retry-After')
  }
})

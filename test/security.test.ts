// Attacks on tenancy, each of which must get no line it should not: forged tokens (alg none, HS/RS
// confusion with the public key as HMAC secret, another issuer or audience) on every secured route of the
// OpenAPI document; a group smuggled by header case, repetition, whitespace or a comma list; run and export
// ids with '..', %2F, %00 and NUL over a raw socket. Then the security headers: helmet's on the documentation
// UI (which must still load), nosniff on every API answer.
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { exportJWK, exportSPKI, generateKeyPair, SignJWT, type JWTPayload } from 'jose'
import t from 'tap'
import { buildTestApp, TEST_SECRET } from './helpers/app.js'
import { contractProblem, rawRequest } from './helpers/fuzz.js'

const ISSUER = 'https://idp.example.test/'
const AUDIENCE = 'run-logs'
const rsa = await generateKeyPair('RS256', { extractable: true })
const stranger = await generateKeyPair('RS256')
const jwks = JSON.stringify({ keys: [{ ...(await exportJWK(rsa.publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' }] })
const jwksServer = createServer((_req, res) => { res.writeHead(200, { 'content-type': 'application/json' }).end(jwks) })
await new Promise<void>((resolve) => { jwksServer.listen(0, '127.0.0.1', resolve) })
t.teardown(() => { jwksServer.closeAllConnections(); jwksServer.close() })

const { app } = await buildTestApp(t, {
  env: { AUTH_JWKS_URL: `http://127.0.0.1:${(jwksServer.address() as AddressInfo).port}/jwks.json`, AUTH_ISSUER: ISSUER, AUTH_AUDIENCE: AUDIENCE }
})
await app.listen({ port: 0, host: '127.0.0.1' })
const port = (app.server.address() as AddressInfo).port

const ALL = { scope: 'logs.read logs.write logs.export', resource_groups: ['*'] }
const b64 = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url')
const exp = () => Math.floor(Date.now() / 1000) + 600
async function hs (claims: JWTPayload, secret: string | Uint8Array = TEST_SECRET, alg = 'HS256', iss = ISSUER, aud = AUDIENCE): Promise<string> {
  const key = typeof secret === 'string' ? new TextEncoder().encode(secret) : secret
  return await new SignJWT(claims).setProtectedHeader({ alg }).setIssuer(iss).setAudience(aud).setSubject('attacker').setExpirationTime('10m').sign(key)
}
const rs = async (claims: JWTPayload, key = rsa.privateKey): Promise<string> =>
  await new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid: 'k1' }).setIssuer(ISSUER).setAudience(AUDIENCE).setSubject('idp-user').setExpirationTime('10m').sign(key)

// Each group holds the same run ids; team-b's lines carry a marker that must never reach team-a.
const SECRET = 'TEAM-B-ONLY-LINE'
const RUNS = ['deployments/shared-0001', 'executions/shared-0001']
const admin = { authorization: `Bearer ${await hs(ALL)}` }
const teamA = { authorization: `Bearer ${await hs({ scope: ALL.scope, resource_groups: ['team-a'] })}` }
const at = new Date(Date.now() - 60_000).toISOString()
for (const run of RUNS) {
  for (const group of ['team-a', 'team-b']) {
    const res = await app.inject({ method: 'POST', url: `/v2/lm/${run}/logs`, headers: { ...admin, 'ai-resource-group': group }, payload: [{ timestamp: at, msg: group === 'team-b' ? SECRET : 'a line of team-a' }] })
    if (res.statusCode !== 200) throw new Error(res.body)
  }
}
const teamBLines = async (): Promise<number> => {
  let n = 0
  for (const run of RUNS) n += (await app.inject({ method: 'GET', url: `/v2/lm/${run}/logs`, headers: { ...admin, 'ai-resource-group': 'team-b' } })).json().data.result.length
  return n
}

const document = app.swagger() as { paths: Record<string, Record<string, { security?: unknown[] }>> }
const operations = Object.entries(document.paths).flatMap(([path, methods]) => Object.entries(methods)
  .filter(([method]) => ['get', 'post', 'put', 'patch', 'delete'].includes(method))
  .map(([method, op]) => ({ method: method.toUpperCase() as 'GET', path, url: path.replace(/\{[^}]+\}/g, path.includes('exports') ? '00000000-0000-4000-8000-000000000000' : 'shared-0001'), secured: (op.security ?? []).length > 0 })))
const BODY = JSON.stringify([{ timestamp: at, msg: 'planted' }])

t.test('valid tokens of both kinds are accepted (so the refusals below are the forgeries\' doing)', async (t) => {
  for (const authorization of [`Bearer ${await hs(ALL)}`, `Bearer ${await rs(ALL)}`]) {
    const res = await app.inject({ method: 'GET', url: `/v2/lm/${RUNS[0] as string}/logs`, headers: { authorization, 'ai-resource-group': 'team-b' } })
    t.equal(res.statusCode, 200, res.body)
    t.match(res.body, SECRET)
  }
})

t.test('forged tokens get 401 on every secured route, and nothing is read or written', async (t) => {
  const pem = await exportSPKI(rsa.publicKey)
  const jwk = JSON.stringify(await exportJWK(rsa.publicKey))
  const forged: Record<string, string> = {
    'alg none': `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ ...ALL, iss: ISSUER, aud: AUDIENCE, exp: exp() })}.`,
    'alg None, with a signature': `${b64({ alg: 'None' })}.${b64({ ...ALL, iss: ISSUER, aud: AUDIENCE, exp: exp() })}.AAAA`,
    'alg NONE, kid of the real key': `${b64({ alg: 'NONE', kid: 'k1' })}.${b64({ ...ALL, iss: ISSUER, aud: AUDIENCE, exp: exp() })}.`,
    'HS256 keyed with the public key PEM': await hs(ALL, pem),
    'HS256 keyed with the public key PEM, kid k1': await new SignJWT(ALL).setProtectedHeader({ alg: 'HS256', kid: 'k1' }).setIssuer(ISSUER).setAudience(AUDIENCE).setExpirationTime('10m').sign(new TextEncoder().encode(pem)),
    'HS512 keyed with the public key PEM': await hs(ALL, pem, 'HS512'),
    'HS256 keyed with the public JWK': await hs(ALL, jwk),
    'RS256 by another key with the real kid': await rs(ALL, stranger.privateKey),
    'another issuer': await hs(ALL, TEST_SECRET, 'HS256', 'https://evil.example/'),
    'another audience': await hs(ALL, TEST_SECRET, 'HS256', ISSUER, 'another-service'),
    expired: await new SignJWT(ALL).setProtectedHeader({ alg: 'HS256' }).setIssuer(ISSUER).setAudience(AUDIENCE).setExpirationTime(Math.floor(Date.now() / 1000) - 60).sign(new TextEncoder().encode(TEST_SECRET)),
    'the payload of a valid token swapped in': (await hs({ scope: 'logs.read', resource_groups: ['team-a'] })).replace(/\.[^.]+\./, `.${b64({ ...ALL, iss: ISSUER, aud: AUDIENCE, exp: exp() })}.`)
  }
  const secured = operations.filter((op) => op.secured)
  t.ok(secured.length >= 8, `${secured.length} secured operations`)
  for (const [name, jwt] of Object.entries(forged)) {
    for (const op of secured) {
      const res = await app.inject({ method: op.method, url: op.url, headers: { authorization: `Bearer ${jwt}`, 'ai-resource-group': 'team-b', 'content-type': 'application/json' }, ...(op.method === 'GET' ? {} : { payload: BODY }) })
      const problem = contractProblem({ ...res, headers: res.headers as Record<string, string>, path: op.url }) ?? (res.statusCode !== 401 ? `status ${res.statusCode}` : undefined) ??
        (/^Bearer/.test(String(res.headers['www-authenticate'])) ? undefined : 'no WWW-Authenticate: Bearer')
      if (problem !== undefined || res.body.includes(SECRET)) t.fail(`${name} on ${op.method} ${op.path}: ${problem ?? 'a team-b line'} ${res.body.slice(0, 200)}`)
    }
    t.pass(`${name}: 401 on all ${secured.length} secured operations`)
  }
  t.equal(await teamBLines(), 2, 'team-b still holds its two lines only')
})

t.test('a group smuggled through AI-Resource-Group is refused or confined to the token\'s groups', async (t) => {
  const variants: Array<string | string[]> = ['team-b', 'TEAM-B', 'Team-B', ' team-b', 'team-b ', 'team-a,team-b', 'team-a, team-b', 'team-b,team-a', 'team-a;team-b',
    'team-a team-b', 'team-a\tteam-b', ['team-a', 'team-b'], ['team-b', 'team-a'], 'team-a%2Cteam-b', '*', 'team-a/../team-b', 'team-b.', '']
  for (const group of variants) {
    for (const run of RUNS) {
      for (const method of ['GET', 'POST'] as const) {
        const res = await app.inject({ method, url: `/v2/lm/${run}/logs`, headers: { ...teamA, 'ai-resource-group': group }, ...(method === 'POST' ? { payload: BODY } : {}) })
        const problem = contractProblem({ ...res, headers: res.headers as Record<string, string>, path: `/v2/lm/${run}/logs` })
        const refused = res.statusCode === 400 || res.statusCode === 403
        if (problem !== undefined || !refused || res.body.includes(SECRET)) t.fail(`${method} ${run} with ${JSON.stringify(group)}: ${res.statusCode} ${res.body.slice(0, 200)}`)
      }
    }
  }
  t.pass(`${variants.length} header values, each refused with 400 or 403`)

  // Over a socket, so Node's parser joins, trims and folds the lines itself.
  const lineSets = [
    ['AI-Resource-Group: team-a', 'ai-resource-group: team-b'],
    ['ai-resource-group: team-b', 'AI-RESOURCE-GROUP: team-a'],
    ['AI-Resource-Group: team-a', 'AI-Resource-Group: team-a'],
    ['AI-Resource-Group:    team-b   '],
    ['AI-Resource-Group: team-a', ' team-b'],
    ['AI-Resource-Group : team-b'],
    ['AI_Resource_Group: team-a', 'AI-Resource-Group: team-b'],
    ['Ai-Resource-Group: team-a,team-b']
  ]
  for (const lines of lineSets) {
    const path = `/v2/lm/${RUNS[0] as string}/logs`
    const res = await rawRequest(port, [`GET ${path} HTTP/1.1`, 'Host: 127.0.0.1', `Authorization: ${teamA.authorization}`, ...lines].join('\r\n'))
    const problem = contractProblem({ ...res, body: res.body.toString(), path })
    t.ok(problem === undefined && (res.statusCode === 400 || res.statusCode === 403) && !res.body.includes(SECRET), `${JSON.stringify(lines)}: ${res.statusCode} ${problem ?? ''}`)
  }

  // The groups a shipper's records name, Loki's tenant header, and a cursor of another group.
  const records = [{ log: 'planted', date: Date.now() / 1000, kubernetes: { labels: { deploymentId: 'shared-0001', resourceGroup: 'team-b' } } }]
  const shipped = await app.inject({ method: 'POST', url: '/v2/lm/logs', headers: { ...teamA, 'ai-resource-group': 'team-a' }, payload: records })
  t.match(shipped.json(), { accepted: 0, unmatched: 1, unmatchedSamples: [{ reason: /may not act in resource group team-b/ }] })
  const loki = await app.inject({ method: 'POST', url: '/loki/api/v1/push', headers: { ...teamA, 'x-scope-orgid': 'team-b' }, payload: { streams: [{ stream: { deploymentId: 'shared-0001' }, values: [[`${Date.now()}000000`, 'planted']] }] } })
  t.equal(loki.statusCode, 403, 'X-Scope-OrgID names a group the token may not act in')
  const page = await app.inject({ method: 'GET', url: `/v2/lm/${RUNS[0] as string}/logs?$top=1`, headers: { ...admin, 'ai-resource-group': 'team-a' } })
  await app.inject({ method: 'POST', url: `/v2/lm/${RUNS[0] as string}/logs`, headers: { ...admin, 'ai-resource-group': 'team-a' }, payload: [{ timestamp: at, msg: 'second line of team-a' }] })
  const again = await app.inject({ method: 'GET', url: `/v2/lm/${RUNS[0] as string}/logs?$top=1`, headers: { ...admin, 'ai-resource-group': 'team-a' } })
  const cursor = (again.json().data.nextCursor ?? page.json().data.nextCursor) as string
  const crossed = await app.inject({ method: 'GET', url: `/v2/lm/${RUNS[0] as string}/logs?cursor=${cursor}`, headers: { ...admin, 'ai-resource-group': 'team-b' } })
  t.equal(crossed.statusCode, 400, 'a cursor of team-a is refused in team-b')
  t.notMatch(crossed.body, SECRET)
  t.equal(await teamBLines(), 2, 'nothing was written into team-b')
})

t.test('ids with .., %2F, %00, NUL or odd encodings are 400 or 404 over a socket, never another run\'s lines', async (t) => {
  const paths = [
    '/v2/lm/deployments/..%2Fexecutions%2Fshared-0001/logs', '/v2/lm/deployments/shared-0001%2F..%2F..%2Fexecutions%2Fshared-0001/logs',
    '/v2/lm/deployments/%2e%2e/logs', '/v2/lm/deployments/%2e%2e%2e%2e%2Fx/logs', '/v2/lm/deployments/shared-0001/../../executions/shared-0001/logs',
    '/v2/lm/deployments/shared-0001%00/logs', '/v2/lm/deployments/shared-0001%2500/logs', '/v2/lm/deployments/shared-0001\u0000/logs',
    '/v2/lm/deployments/%252e%252e%252fshared-0001/logs', '/v2/lm/deployments/shared-0001%5C..%5Cx/logs', '/v2/lm/deployments/shared-0001;x/logs',
    '/v2/lm/deployments/shared-0001%C0%AE%C0%AE/logs', '/v2/lm/deployments/shared-0001%/logs', '/v2/lm/deployments/%E2%80%AEshared-0001/logs',
    '/v2/lm/exports/..%2F..%2Fv2%2Flm%2Fdeployments/download?group=team-b&expires=9999999999&signature=AAAA',
    '/v2/lm/exports/%2e%2e/download?group=team-b&expires=9999999999&signature=AAAA', '/v2/lm/exports/..%2Fshared-0001'
  ]
  for (const path of paths) {
    for (const method of ['GET', 'POST']) {
      const body = Buffer.from(BODY)
      const res = await rawRequest(port, [`${method} ${path} HTTP/1.1`, 'Host: 127.0.0.1', teamA.authorization.replace(/^/, 'Authorization: '), 'AI-Resource-Group: team-a',
        'Content-Type: application/json', `Content-Length: ${method === 'POST' ? body.length : 0}`].join('\r\n'), method === 'POST' ? body : undefined)
      const problem = contractProblem({ ...res, body: res.body.toString(), path: path.split('?')[0] as string })
      const ok = problem === undefined && [400, 404, 405].includes(res.statusCode) && !res.body.includes(SECRET) && !res.body.includes('a line of team-a')
      if (!ok) t.fail(`${method} ${JSON.stringify(path)}: ${res.statusCode} ${problem ?? ''} ${res.body.toString().slice(0, 200)}`)
    }
  }
  t.pass(`${paths.length} paths, read and written: 400, 404 or 405 each`)
  const planted = await app.inject({ method: 'GET', url: `/v2/lm/${RUNS[0] as string}/logs`, headers: { ...teamA, 'ai-resource-group': 'team-a' } })
  t.notMatch(planted.body, 'planted', 'nothing was written through an odd id')
})

t.test('the documentation UI carries helmet\'s headers and still loads: its scripts and styles are same-origin files', async (t) => {
  const page = await app.inject({ method: 'GET', url: '/documentation/' })
  t.equal(page.statusCode, 200)
  const csp = String(page.headers['content-security-policy'])
  for (const directive of ["default-src 'self'", "script-src 'self'", "object-src 'none'", "frame-ancestors 'none'", "connect-src 'self'", "img-src 'self' data:"]) t.match(csp, directive)
  t.notMatch(csp, /unsafe-eval|upgrade-insecure-requests/)
  t.match(page.headers, { 'x-frame-options': 'DENY', 'x-content-type-options': 'nosniff', 'referrer-policy': 'no-referrer', 'cross-origin-opener-policy': 'same-origin' })
  t.notOk(page.headers['strict-transport-security'], 'HSTS is left to the TLS proxy')

  // What the browser loads under that policy: script and link URLs relative to the page, no inline script.
  const html = page.body
  const scripts = [...html.matchAll(/<script([^>]*)>([\s\S]*?)<\/script>/g)]
  t.ok(scripts.length >= 3, 'the page loads swagger-ui\'s scripts')
  for (const [, attributes = '', inline = ''] of scripts) t.equal(inline.trim(), '', `no inline script (${attributes.trim()})`)
  const assets = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1] as string)
  for (const asset of assets) {
    t.notMatch(asset, /^[a-z]+:|^\/\//i, `${asset} is same-origin`)
    const res = await app.inject({ method: 'GET', url: new URL(asset, 'http://x/documentation/').pathname })
    t.equal(res.statusCode, 200, `${asset} loads`)
    t.match(res.headers['content-security-policy'], "script-src 'self'", `${asset} carries the policy`)
  }
  const spec = await app.inject({ method: 'GET', url: '/documentation/json' })
  t.equal(spec.statusCode, 200, 'the document swagger-ui fetches (connect-src \'self\')')
  t.equal(spec.json().info.title, 'Run logs')
})

t.test('every API answer carries nosniff, and helmet\'s policy stays on the documentation', async (t) => {
  const seen: Array<{ what: string, headers: Record<string, unknown> }> = []
  for (const op of operations) {
    const res = await app.inject({ method: op.method, url: op.url, headers: { ...admin, 'ai-resource-group': 'team-a' }, ...(op.method === 'GET' ? {} : { payload: BODY }) })
    seen.push({ what: `${op.method} ${op.path} (${res.statusCode})`, headers: res.headers })
  }
  seen.push({ what: 'no route (404)', headers: (await app.inject({ method: 'GET', url: '/nowhere' })).headers })
  seen.push({ what: 'an over-long id (router)', headers: (await app.inject({ method: 'GET', url: `/v2/lm/deployments/${'x'.repeat(300)}/logs`, headers: admin })).headers })
  seen.push({ what: 'a raw NUL (Node\'s parser)', headers: (await rawRequest(port, 'GET /v2/lm/deployments/\u0000/logs HTTP/1.1\r\nHost: x')).headers })
  for (const { what, headers } of seen) {
    t.equal(headers['x-content-type-options'], 'nosniff', `${what}: nosniff`)
    t.notOk(headers['content-security-policy'], `${what}: no documentation policy`)
  }
})

// Signed download links: any alteration answers 403; past expiresAt the link answers 410, the export reads
// EXPIRED and its archive is deleted; the sweeper does the same for exports nobody downloads.
import { readdir } from 'node:fs/promises'
import t from 'tap'
import { fromMillis, type Instant } from '../src/time.js'
import { authHeaders, buildTestApp } from './helpers/app.js'
import { otherEncodings, signatureWithUrlAlphabet } from './helpers/encodings.js'
import { expectError } from './helpers/errors.js'
import { linkPath, requestExport, waitForStatus, writeLines } from './helpers/exports.js'

const HOUR_MS = 3600_000

async function readyExport (t: { teardown: (fn: () => unknown) => void }, env: Record<string, string> = {}) {
  let clock: Instant = fromMillis(Date.now())
  const built = await buildTestApp(t, { now: () => clock, env: { EXPORT_POLL_INTERVAL_MS: '50', ...env } })
  const headers = await authHeaders({}, 'links')
  await writeLines(built.app, headers, 'deployments', 'd-links', [{ timestamp: new Date(Date.now() - 60_000).toISOString(), msg: 'hello' }])
  const created = await requestExport(built.app, headers, { deploymentIds: ['d-links'] })
  const ready = await waitForStatus(built.app, headers, created.requestId, 'READY')
  return { ...built, headers, ready, advance: (ms: number) => { clock += fromMillis(ms) } }
}

t.test('an altered link answers 403', async (t) => {
  const { app, ready } = await readyExport(t)
  const link = new URL(ready.downloadLink ?? '')
  const altered = (change: (u: URL) => void): string => { const u = new URL(link); change(u); return u.pathname + u.search }
  const signature = link.searchParams.get('signature') ?? ''
  const flipped = (signature[0] === 'A' ? 'B' : 'A') + signature.slice(1)
  const cases: Record<string, string> = {
    signature: altered((u) => { u.searchParams.set('signature', flipped) }),
    'a later expiry': altered((u) => { u.searchParams.set('expires', String(Number(link.searchParams.get('expires')) + 3600)) }),
    group: altered((u) => { u.searchParams.set('group', 'other-group') }),
    'another export': altered((u) => { u.pathname = u.pathname.replace(ready.requestId, '00000000-0000-4000-8000-000000000000') }),
    'a shortened signature': altered((u) => { u.searchParams.set('signature', signature.slice(0, 20)) })
  }
  for (const [what, url] of Object.entries(cases)) {
    const res = await app.inject({ method: 'GET', url })
    expectError(t, res, 403, 'Forbidden', `${what} altered: 403`)
  }
  t.equal((await app.inject({ method: 'GET', url: linkPath(link.toString()) })).statusCode, 200, 'the link as given still works')
})

t.test('a link has one form: other encodings of its signature or expiry answer 403', async (t) => {
  const { app, ready } = await readyExport(t)
  const given = new URL(ready.downloadLink ?? '')
  const parts = { requestId: ready.requestId, group: 'links', expires: Number(given.searchParams.get('expires')) }
  // The service's own signer, for an earlier expiry whose signature has a - or _ (so its +/ form differs).
  const link = new URL(await signatureWithUrlAlphabet(async () => await app.exports.links.url({ ...parts, expires: --parts.expires }),
    (url) => new URL(url).searchParams.get('signature') ?? ''))
  const signature = link.searchParams.get('signature') ?? ''
  const expires = link.searchParams.get('expires') ?? ''
  const path = (sig: string, exp = expires): string => `${link.pathname}?group=links&expires=${exp}&signature=${sig}`
  t.equal((await app.inject({ method: 'GET', url: path(signature) })).statusCode, 200, 'the canonical link works')
  const variants: Record<string, string> = {
    ...Object.fromEntries(Object.entries(otherEncodings(signature)).map(([what, sig]) => [what, path(sig)])),
    'expires=0<digits>': path(signature, `0${expires}`),
    'expires with a fraction': path(signature, `${expires}.0`),
    'expires with a sign': path(signature, `%2B${expires}`),
    'a group with a trailing %20': `${link.pathname}?group=links%20&expires=${expires}&signature=${signature}`
  }
  for (const [what, url] of Object.entries(variants)) {
    expectError(t, await app.inject({ method: 'GET', url }), 403, 'Forbidden', `${what}: 403`)
  }
})

t.test('past expiresAt the link answers 410 and the export reads EXPIRED, before any sweep', async (t) => {
  const { app, config, headers, ready, advance } = await readyExport(t, { EXPORT_TTL_HOURS: '72' })
  t.equal(Date.parse(ready.expiresAt ?? '') / 1000, Number(new URL(ready.downloadLink ?? '').searchParams.get('expires')), 'the link signs expiresAt')
  advance(72 * HOUR_MS - 5000)
  t.equal((await app.inject({ method: 'GET', url: linkPath(ready.downloadLink ?? '') })).statusCode, 200, 'valid until the 72 hours are up')
  advance(10_000)
  const gone = await app.inject({ method: 'GET', url: linkPath(ready.downloadLink ?? '') })
  expectError(t, gone, 410, 'Gone')
  const after = await app.inject({ method: 'GET', url: `/v2/lm/exports/${ready.requestId}`, headers })
  t.match(after.json(), { status: 'EXPIRED', downloadLink: null })
  t.same((await readdir(config.exports.dir)).filter((n) => n.includes(ready.requestId)), [], 'the archive is deleted')
})

t.test('the sweeper marks expired exports EXPIRED and deletes their archives', async (t) => {
  const { app, config, headers, ready, advance } = await readyExport(t, { EXPORT_TTL_HOURS: '1' })
  t.equal(await app.exports.sweep(), 0, 'nothing to sweep while the link is valid')
  t.ok((await readdir(config.exports.dir)).includes(`${ready.requestId}.tar.gz`))
  advance(HOUR_MS + 1000)
  t.equal(await app.exports.sweep(), 1)
  t.same((await readdir(config.exports.dir)).filter((n) => n.includes(ready.requestId)), [], 'the archive is deleted')
  const list = await app.inject({ method: 'GET', url: '/v2/lm/exports', headers })
  t.match(list.json().resources[0], { requestId: ready.requestId, status: 'EXPIRED' })
})

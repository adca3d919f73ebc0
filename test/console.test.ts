// The console's routes without a browser: its files under /console/ with the Content-Security-Policy and
// cache headers, a redirect from /console, and, while it is not built, a 503 that says how to build it.
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import Fastify, { type FastifyInstance } from 'fastify'
import t from 'tap'
import errorHandlerPlugin from '../src/plugins/error-handler.js'
import consolePlugin, { CONSOLE_CSP } from '../src/plugins/console.js'
import { expectError } from './helpers/errors.js'

async function consoleApp (root: string): Promise<FastifyInstance> {
  const app = Fastify()
  // As buildApp does: every answer names its request.
  app.addHook('onRequest', async (request, reply) => { reply.header('x-request-id', request.id) })
  await app.register(errorHandlerPlugin)
  await app.register(consolePlugin, { root })
  app.get('/elsewhere', async () => ({ ok: true }))
  t.teardown(async () => { await app.close() })
  return app
}

t.test('a built console: files with the policy, hashed assets cached for good, index.html revalidated', async (t) => {
  const root = await mkdtemp(path.join(tmpdir(), 'run-logs-console-'))
  await mkdir(path.join(root, 'assets'))
  await writeFile(path.join(root, 'index.html'), '<!doctype html><script type="module" src="/console/assets/app-1.js"></script>')
  await writeFile(path.join(root, 'assets', 'app-1.js'), 'console.log(1)')
  const app = await consoleApp(root)

  const redirect = await app.inject('/console')
  t.equal(redirect.statusCode, 302)
  t.equal(redirect.headers.location, '/console/')
  const index = await app.inject('/console/')
  t.equal(index.statusCode, 200)
  t.match(index.headers['content-type'], /^text\/html/)
  t.equal(index.headers['content-security-policy'], CONSOLE_CSP)
  t.equal(index.headers['x-content-type-options'], 'nosniff')
  t.equal(index.headers['cache-control'], 'no-cache')
  const asset = await app.inject('/console/assets/app-1.js')
  t.equal(asset.statusCode, 200)
  t.equal(asset.headers['content-security-policy'], CONSOLE_CSP)
  t.equal(asset.headers['cache-control'], 'public, max-age=31536000, immutable')
  const missing = await app.inject('/console/assets/nope.js')
  expectError(t, missing, 404, 'NotFound')
  t.equal(missing.headers['content-security-policy'], CONSOLE_CSP)
  t.equal((await app.inject('/elsewhere')).headers['content-security-policy'], undefined, 'other routes keep their own headers')
  t.match(CONSOLE_CSP, /default-src 'self'/)
  t.notMatch(CONSOLE_CSP, /unsafe-inline|unsafe-eval|\*|https?:/, 'only the service\'s own origin')
})

t.test('a console not built yet: a 503 that says to run npm run build', async (t) => {
  const app = await consoleApp(await mkdtemp(path.join(tmpdir(), 'run-logs-console-empty-')))
  for (const url of ['/console', '/console/', '/console/assets/app.js']) {
    const res = await app.inject(url)
    const error = expectError(t, res, 503, 'Unavailable', url)
    t.match(error.message, /npm run build/)
    t.equal(res.headers['content-security-policy'], CONSOLE_CSP)
  }
})

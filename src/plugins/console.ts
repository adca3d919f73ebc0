// The web console at /console: the files Vite built from web/ (dist/web), served by the service itself with
// a Content-Security-Policy that lets the page load and call only this origin. Not built: a 503 that says so.
import { existsSync } from 'node:fs'
import path from 'node:path'
import fastifyStatic from '@fastify/static'
import type { FastifyInstance, FastifyReply } from 'fastify'
import { errors } from '../errors.js'

/** dist/web of the checkout, from src/plugins (tsx) and from dist/plugins (the build) alike. */
const CONSOLE_ROOT = path.resolve(import.meta.dirname, '../../dist/web')

export const CONSOLE_CSP = [
  "default-src 'self'", "script-src 'self'", "style-src 'self'", "img-src 'self'", "font-src 'self'", "connect-src 'self'",
  "object-src 'none'", "base-uri 'none'", "form-action 'self'", "frame-ancestors 'none'"
].join('; ')

function secure (reply: FastifyReply): void {
  reply.header('content-security-policy', CONSOLE_CSP)
  reply.header('x-content-type-options', 'nosniff')
  reply.header('referrer-policy', 'no-referrer')
  reply.header('x-frame-options', 'DENY')
}

// Registered without fastify-plugin: the headers and the static routes stay inside /console.
export default async function consolePlugin (app: FastifyInstance, opts: { root?: string } = {}): Promise<void> {
  const root = opts.root ?? CONSOLE_ROOT
  app.addHook('onSend', async (_request, reply, payload) => {
    secure(reply)
    return payload
  })
  if (!existsSync(path.join(root, 'index.html'))) {
    const notBuilt = async (): Promise<never> => { throw errors.unavailable('The console is not built: run npm run build (npm start builds it when its sources changed).', 60) }
    app.get('/console', { schema: { hide: true } }, notBuilt)
    app.get('/console/*', { schema: { hide: true } }, notBuilt)
    return
  }
  app.get('/console', { schema: { hide: true } }, async (_request, reply) => await reply.redirect('/console/'))
  await app.register(fastifyStatic, {
    root,
    prefix: '/console/',
    decorateReply: false,
    schemaHide: true,
    index: 'index.html',
    cacheControl: false,
    // File names under assets/ carry a hash of their content; index.html names the current ones.
    setHeaders: (reply, file) => {
      reply.header('cache-control', file.includes(`${path.sep}assets${path.sep}`) ? 'public, max-age=31536000, immutable' : 'no-cache')
    }
  })
}

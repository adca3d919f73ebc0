// Bearer-token auth and resource-group tenancy. Routes ask for a scope with `onRequest: app.requireScope(...)`.
import type { FastifyInstance, FastifyRequest, onRequestAsyncHookHandler } from 'fastify'
import fp from 'fastify-plugin'
import { DEFAULT_RESOURCE_GROUP, RESOURCE_GROUP_PATTERN } from '../schemas/ids.js'
import { DEV_AUTH_SECRET_FILE, readOrCreateSecret } from '../auth/secret-file.js'
import { createVerifier, KeySetUnavailable, mayActIn, TokenError, type Principal, type Scope, type TokenVerifier } from '../auth/tokens.js'
import type { Config } from '../config.js'
import { errors } from '../errors.js'

declare module 'fastify' {
  interface FastifyInstance {
    requireScope: (scope: Scope) => onRequestAsyncHookHandler
  }
  interface FastifyRequest {
    principal: Principal | null
    /** The AI-Resource-Group the request acts in, once authorized. */
    resourceGroup: string
  }
  interface FastifyContextConfig {
    /** Loki's X-Scope-OrgID (Promtail's and Alloy's tenant_id) names the group when AI-Resource-Group is absent. */
    tenantHeaderNamesGroup?: boolean
  }
}

function bearerToken (request: FastifyRequest): string {
  const header = request.headers.authorization
  if (header === undefined || header === '') throw errors.unauthorized('Missing bearer token: send Authorization: Bearer <token>.')
  const m = /^Bearer +([A-Za-z0-9\-_.~+/]+=*) *$/i.exec(header)
  if (m === null) throw errors.unauthorized('Malformed Authorization header: expected Bearer <token>.', 'malformed Authorization header')
  return m[1] as string
}

function resourceGroupOf (request: FastifyRequest): string {
  const fromTenant = request.headers['ai-resource-group'] === undefined && request.routeOptions.config.tenantHeaderNamesGroup === true
  const [header, value] = fromTenant ? ['X-Scope-OrgID', request.headers['x-scope-orgid']] : ['AI-Resource-Group', request.headers['ai-resource-group']]
  if (value === undefined) return DEFAULT_RESOURCE_GROUP
  if (typeof value !== 'string' || !RESOURCE_GROUP_PATTERN.test(value)) {
    throw errors.invalidRequest(`Header ${header} must be 3 to 253 letters, digits, dots or dashes, starting and ending with a letter or digit.`,
      { header })
  }
  return value
}

async function authPlugin (app: FastifyInstance, opts: { config: Config }): Promise<void> {
  const { auth, dataDir } = opts.config
  const secret = auth.devMode ? await readOrCreateSecret(dataDir, DEV_AUTH_SECRET_FILE) : auth.jwtSecret
  const verify: TokenVerifier = createVerifier({ secret, jwksUrl: auth.jwksUrl, issuer: auth.issuer, audience: auth.audience, maxLifetimeSeconds: auth.maxTokenLifetimeSeconds })

  app.decorateRequest('principal', null)
  app.decorateRequest('resourceGroup', DEFAULT_RESOURCE_GROUP)

  app.decorate('requireScope', (scope: Scope): onRequestAsyncHookHandler => async function authorize (request, reply) {
    const token = bearerToken(request)
    let principal: Principal
    try {
      principal = await verify(token)
    } catch (err) {
      if (err instanceof TokenError) throw errors.unauthorized(`Invalid bearer token: ${err.message}.`, err.message)
      if (err instanceof KeySetUnavailable) {
        request.log.warn({ err: err.cause }, 'the key set at AUTH_JWKS_URL could not be fetched')
        throw errors.unavailable('The token issuer\'s keys cannot be fetched right now; retry shortly.')
      }
      throw err
    }
    const group = resourceGroupOf(request)
    if (!principal.scopes.has(scope)) throw errors.forbidden(`The token lacks the scope ${scope}.`, { scope })
    if (!mayActIn(principal, group)) throw errors.forbidden(`The token may not act in resource group ${group}.`, { resourceGroup: group })
    request.principal = principal
    request.resourceGroup = group
    request.log = request.log.child({ group, sub: principal.subject })
    reply.log = request.log
  })
}

export default fp(authPlugin, { name: 'auth' })

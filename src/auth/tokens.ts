// Bearer tokens: verification (HS256 secret and/or RS256/ES256 from a JWKS URL) and the claims we read.
import { createRemoteJWKSet, errors as joseErrors, jwtVerify, SignJWT, type JWTPayload, type JWTVerifyGetKey } from 'jose'

export type Scope = 'logs.read' | 'logs.write' | 'logs.export'
export const ALL_SCOPES: Scope[] = ['logs.read', 'logs.write', 'logs.export']

export interface Principal {
  subject: string
  scopes: Set<string>
  /** Groups the token may act in; '*' in the list means all. */
  groups: string[]
  /** The `email` claim, when the token has one (notifyOnlyTriggeringUser mails it). */
  email?: string
}

export interface VerifierOptions {
  secret?: string
  jwksUrl?: string
  issuer?: string
  audience?: string
  /** Tokens without exp, or whose exp lies further than this after iat (or now), are refused. */
  maxLifetimeSeconds: number
}

export class TokenError extends Error {}

/** The issuer's key set could not be fetched: the token may be fine, the service cannot tell now. */
export class KeySetUnavailable extends Error {}

export type TokenVerifier = (token: string) => Promise<Principal>

export function createVerifier (opts: VerifierOptions): TokenVerifier {
  const secret = opts.secret === undefined ? undefined : new TextEncoder().encode(opts.secret)
  const jwks = opts.jwksUrl === undefined ? undefined : createRemoteJWKSet(new URL(opts.jwksUrl))
  const algorithms = [...(secret === undefined ? [] : ['HS256']), ...(jwks === undefined ? [] : ['RS256', 'ES256'])]
  // The key is chosen by the header's algorithm, so a public key can never be used as an HMAC secret.
  const getKey: JWTVerifyGetKey = async (header, token) => {
    if (header.alg === 'HS256' && secret !== undefined) return secret
    if (jwks !== undefined && header.alg !== 'HS256') {
      try {
        return await jwks(header, token)
      } catch (err) {
        // No matching key is the token's fault; a failed fetch (refused, timeout, not 200, not a JWKS) is not.
        if (err instanceof joseErrors.JWKSNoMatchingKey || err instanceof joseErrors.JWKSMultipleMatchingKeys) throw err
        throw new KeySetUnavailable('the key set could not be fetched', { cause: err })
      }
    }
    throw new TokenError(`tokens signed with ${String(header.alg)} are not accepted`)
  }
  // A client sends the same token on every request: a verified token is kept until it expires, a minute at
  // most (so a key withdrawn from the JWKS stops working soon). Verification through WebCrypto costs about
  // as much CPU as rendering a 100-line page (docs/performance.md).
  const verified = new Map<string, { principal: Principal, until: number }>()
  return async (token) => {
    const now = Date.now()
    const known = verified.get(token)
    if (known !== undefined && now < known.until) return known.principal
    let payload: JWTPayload
    try {
      ({ payload } = await jwtVerify(token, getKey, { algorithms, issuer: opts.issuer, audience: opts.audience, requiredClaims: ['exp'] }))
    } catch (err) {
      if (err instanceof KeySetUnavailable) throw err
      throw new TokenError(describe(err))
    }
    checkLifetime(payload as JWTPayload & { exp: number }, now, opts.maxLifetimeSeconds)
    const principal = principalOf(payload)
    if (verified.size >= VERIFIED_TOKENS_KEPT) verified.clear()
    verified.set(token, { principal, until: Math.min(now + VERIFIED_TOKEN_MS, (payload.exp as number) * 1000) })
    return principal
  }
}

/** A token that never expires, or lives for years (exp: 1e20), is as good as a password that never changes. */
function checkLifetime (payload: JWTPayload & { exp: number }, nowMs: number, maxSeconds: number): void {
  const now = Math.floor(nowMs / 1000)
  const from = typeof payload.iat === 'number' ? Math.min(payload.iat, now) : now
  if (payload.exp - from > maxSeconds) {
    throw new TokenError(`the token's exp lies more than ${maxSeconds} seconds after its iat (AUTH_MAX_TOKEN_LIFETIME); ask for a shorter-lived token`)
  }
}

const VERIFIED_TOKENS_KEPT = 10_000
const VERIFIED_TOKEN_MS = 60_000

function describe (err: unknown): string {
  if (err instanceof TokenError) return err.message
  if (err instanceof joseErrors.JWTExpired) return 'the token has expired'
  if (err instanceof joseErrors.JWTClaimValidationFailed && err.claim === 'exp' && err.reason === 'missing') return 'the token has no exp claim; tokens must expire'
  if (err instanceof joseErrors.JWTClaimValidationFailed) return `the token's ${err.claim} claim is not accepted`
  if (err instanceof joseErrors.JOSEAlgNotAllowed) return 'the token\'s signing algorithm is not accepted'
  if (err instanceof joseErrors.JWSSignatureVerificationFailed) return 'the token\'s signature does not verify'
  if (err instanceof joseErrors.JWKSNoMatchingKey) return 'no key of the issuer matches the token'
  return 'the token is malformed'
}

function principalOf (payload: JWTPayload): Principal {
  const scope = payload.scope
  const scopes = typeof scope === 'string' ? scope.split(' ').filter(Boolean) : Array.isArray(scope) ? scope.map(String) : []
  const groups = Array.isArray(payload.resource_groups) ? payload.resource_groups.filter((g): g is string => typeof g === 'string') : []
  const email = typeof payload.email === 'string' && payload.email !== '' ? payload.email : undefined
  return { subject: payload.sub ?? '', scopes: new Set(scopes), groups, ...(email === undefined ? {} : { email }) }
}

export function mayActIn (principal: Principal, group: string): boolean {
  return principal.groups.includes('*') || principal.groups.includes(group)
}

export async function signDevToken (secret: string, claims: { subject: string, scopes: string[], groups: string[], ttlSeconds: number }): Promise<string> {
  return await new SignJWT({ scope: claims.scopes.join(' '), resource_groups: claims.groups })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(claims.subject)
    .setIssuedAt()
    .setExpirationTime(`${claims.ttlSeconds}s`)
    .sign(new TextEncoder().encode(secret))
}

// Sealed tokens: a JSON value as base64url with an HMAC-SHA256 over it, signed under a label per use, so a
// token made for one use (a read cursor, a run listing cursor) is never taken for another. Replicas must
// share the secret. Opaque to clients, tamper-evident, not secret.
import { sign, signatureMatches } from './signing.js'

export class SealedTokenError extends Error {}

export function seal (secret: string, label: string, value: unknown): string {
  const payload = Buffer.from(JSON.stringify(value)).toString('base64url')
  return `${payload}.${sign(secret, label + payload)}`
}

/** The value `seal` sealed under `label`: the signature is checked before the payload is parsed. */
export function unseal (secret: string, label: string, token: string, maxLength: number): unknown {
  const dot = token.indexOf('.')
  if (dot <= 0 || token.length > maxLength) throw new SealedTokenError('malformed')
  const payload = token.slice(0, dot)
  if (!signatureMatches(secret, label + payload, token.slice(dot + 1))) throw new SealedTokenError('bad signature')
  try {
    return JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'))
  } catch {
    throw new SealedTokenError('malformed')
  }
}

const INTEGER = /^-?\d{1,24}$/

/** A bigint sealed as its decimal text (JSON has no bigint). */
export function sealedBigInt (text: unknown): bigint {
  if (typeof text !== 'string' || !INTEGER.test(text)) throw new SealedTokenError('malformed')
  return BigInt(text)
}

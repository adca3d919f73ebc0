// HMAC-SHA256 signatures with a server secret (export links, read cursors): the operator's setting, or a
// secret made in DATA_DIR on first use, so building the app (the OpenAPI generator does) writes nothing.
import { createHmac, timingSafeEqual } from 'node:crypto'
import { readOrCreateSecret } from './secret-file.js'

/** The configured secret, or DATA_DIR/<file> read or made once, on the first call. */
export function lazySecret (configured: string | undefined, dataDir: string, file: string): () => Promise<string> {
  let secret: Promise<string> | undefined
  return async () => await (secret ??= configured === undefined ? readOrCreateSecret(dataDir, file) : Promise.resolve(configured))
}

/** The base64url HMAC-SHA256 of `text`. */
export const sign = (secret: string, text: string): string => createHmac('sha256', secret).update(text).digest('base64url')

/**
 * Whether `signature` is exactly the base64url HMAC of `text`, compared in constant time. The text is
 * compared, not the bytes it decodes to: base64 decoders take other encodings of the same bytes (the `+/`
 * alphabet, padding, spaces, other low bits in the last character), and a signed link accepts one form only.
 */
export function signatureMatches (secret: string, text: string, signature: string): boolean {
  const expected = Buffer.from(sign(secret, text))
  const given = Buffer.from(signature)
  return given.length === expected.length && timingSafeEqual(given, expected)
}

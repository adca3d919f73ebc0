// Other encodings of a base64url signature that a lenient decoder reads as the same bytes: each must be
// refused, since a signed link or cursor has exactly one form.
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'

/** Query-string values (already percent-encoded where needed) that decode to the signature's bytes. */
export function otherEncodings (signature: string): Record<string, string> {
  const variants: Record<string, string> = {
    'a trailing =': `${signature}%3D`,
    'an inserted %20': `${signature.slice(0, 10)}%20${signature.slice(10)}`,
    'a trailing %20': `${signature}%20`
  }
  // 32 bytes in 43 characters: the last one carries 4 bits, its 2 low bits are padding a decoder ignores.
  const last = ALPHABET.indexOf(signature.at(-1) as string)
  for (let low = 1; low < 4; low++) variants[`the last character with low bits ${low}`] = signature.slice(0, -1) + ALPHABET[(last & ~3) | low]
  const standard = signature.replaceAll('-', '%2B').replaceAll('_', '%2F')
  if (standard !== signature) variants['the +/ alphabet'] = standard
  return variants
}

/** A signature whose base64url form has a - or _ (so that its +/ form differs), from `make` tried until one does. */
export async function signatureWithUrlAlphabet<T> (make: () => Promise<T>, signatureOf: (made: T) => string): Promise<T> {
  for (let i = 0; i < 100; i++) {
    const made = await make()
    if (/[-_]/.test(signatureOf(made))) return made
  }
  throw new Error('no signature with - or _ in 100 tries')
}

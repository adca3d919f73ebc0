// Secrets the service makes for itself in DATA_DIR when the operator sets none (dev mode).
import { randomBytes } from 'node:crypto'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'

export const DEV_AUTH_SECRET_FILE = 'auth-secret'

/** Reads DATA_DIR/<name>, creating it (mode 0600) with a random 256-bit value when missing. */
export async function readOrCreateSecret (dataDir: string, name: string): Promise<string> {
  const file = path.join(dataDir, name)
  try {
    const existing = (await readFile(file, 'utf8')).trim()
    if (existing.length >= 32) return existing
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
  }
  await mkdir(dataDir, { recursive: true })
  const secret = randomBytes(32).toString('base64url')
  try {
    await writeFile(file, secret + '\n', { mode: 0o600, flag: 'wx' })
    return secret
  } catch (err) {
    // Another process made it first: use theirs.
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return (await readFile(file, 'utf8')).trim()
    throw err
  }
}

// zstd at a chosen level. @mongodb-js/zstd 1.x's `compress` drops its level argument (every call compresses at
// the library's default, 3); its native binding takes the level, so blocks are compressed through it.
import { createRequire } from 'node:module'

const binding = createRequire(import.meta.url)('@mongodb-js/zstd/bindings') as { compress: (data: Buffer, level: number) => Promise<Buffer> }

export async function compressAt (data: Buffer, level: number): Promise<Buffer> {
  try {
    return await binding.compress(data, level)
  } catch (err) {
    throw new Error(`zstd: ${(err as Error).message}`)
  }
}

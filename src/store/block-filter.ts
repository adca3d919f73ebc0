// A block's token filter: a bloom filter of the byte trigrams of its messages. A `contains` value of three
// bytes or more can only occur in a block holding each of its trigrams, so PostgreSQL checks the value's
// bit positions against the filter (get_bit) and never fetches the payload of a block that cannot match.
// Shorter values open every block in range. The filter only skips blocks; the search itself is exact.

/**
 * Bits per distinct trigram, two hash functions each: about 15 in 100 false positives per trigram, so a
 * block without a six-letter word is opened once in 2,000 (its four trigrams all falsely set). Six bits cut
 * that to 1 in 100,000 and cost 2 bytes a line more on disk (docs/performance.md).
 */
const BITS_PER_TRIGRAM = 4
const seen = new Uint8Array(1 << 21) // one bit per possible trigram (2^24), reused by every build
const touched: number[] = []

const hashes = (x: number): [number, number] =>
  [Math.imul(x, 0x9E3779B1) >>> 1, Math.imul(x ^ 0x5bd1e995, 0x85EBCA77) >>> 1]

/** The filter of a block's messages. */
export function buildFilter (messages: Buffer[]): Buffer {
  const trigrams: number[] = []
  for (const m of messages) {
    for (let i = 0; i + 2 < m.length; i++) {
      const x = (m[i] as number) | ((m[i + 1] as number) << 8) | ((m[i + 2] as number) << 16)
      const byte = x >>> 3
      const bit = 1 << (x & 7)
      if (((seen[byte] as number) & bit) !== 0) continue
      if (seen[byte] === 0) touched.push(byte)
      seen[byte] = (seen[byte] as number) | bit
      trigrams.push(x)
    }
  }
  for (const b of touched) seen[b] = 0
  touched.length = 0
  const bytes = Math.max(8, Math.ceil(trigrams.length * BITS_PER_TRIGRAM / 8))
  const filter = Buffer.alloc(bytes)
  const bits = bytes * 8
  for (const x of trigrams) {
    for (const h of hashes(x)) {
      const p = h % bits
      filter[p >>> 3] = (filter[p >>> 3] as number) | (1 << (p & 7))
    }
  }
  return filter
}

/** The hashes a value's trigrams set (each taken modulo a block's filter bits in SQL); none under 3 bytes. */
export function filterProbe (value: string): number[] {
  const b = Buffer.from(value, 'utf8')
  const probe = new Set<number>()
  for (let i = 0; i + 2 < b.length; i++) {
    for (const h of hashes((b[i] as number) | ((b[i + 1] as number) << 8) | ((b[i + 2] as number) << 16))) probe.add(h)
  }
  return [...probe]
}

/** The probe checked as SQL does (tests and the merger use it). */
export function filterMayHold (filter: Buffer, probe: number[]): boolean {
  const bits = filter.length * 8
  return probe.every((h) => (((filter[(h % bits) >>> 3] as number) >> ((h % bits) & 7)) & 1) === 1)
}

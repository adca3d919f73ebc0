// Token filters: bloom filters of the byte trigrams of messages. A `contains` value can only occur in
// messages holding each of its trigrams, so a filter that lacks one of them rules the messages out. Two
// levels: the block's filter (row column `filter`), which PostgreSQL checks (get_bit on the value's
// precomputed bit positions) so a block that cannot match is never fetched; and one filter per granule
// inside the payload, checked here before a granule is decompressed. Filters only skip; the search itself
// is exact (block-codec.ts: matching), so any substring works, whole word or not.
//
// Trigrams holding an ASCII digit are left out of both: numbers, ids and hex make most of a log's distinct
// trigrams (measured: 16 distinct trigrams a line per 256-line granule with them, a few without), and a
// value's trigrams with digits are then not checked, which can only let more through, never fewer.

/**
 * Bits per distinct trigram in a block filter, two hash functions each: about 15 in 100 false positives
 * per trigram, so a block without a six-letter word is opened once in 2,000 (its four trigrams all falsely
 * set). Six bits cut that to 1 in 100,000 and cost 2 bytes a line more on disk (docs/performance.md).
 */
const BITS_PER_TRIGRAM = 4
/** Bits per distinct trigram in a granule filter, one hash function (docs/performance.md: measured). */
const GRANULE_BITS_PER_TRIGRAM = 3
const seen = new Uint8Array(1 << 21) // one bit per possible trigram (2^24), reused by every build
const touched: number[] = []
const seenInBlock = new Uint8Array(1 << 21) // the same for a block's granules together
const touchedInBlock: number[] = []

const hashes = (x: number): [number, number] =>
  [Math.imul(x, 0x9E3779B1) >>> 1, Math.imul(x ^ 0x5bd1e995, 0x85EBCA77) >>> 1]

/** murmur3's finalizer: every bit of the trigram moves the low bits a modulo keeps. */
const granuleHash = (x: number): number => {
  let h = x ^ (x >>> 16)
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  return (h ^ (h >>> 16)) >>> 0
}

const isDigit = (c: number): boolean => c >= 0x30 && c <= 0x39

/** Marks trigram x; false if it was marked already. */
function markNew (x: number, mark: Uint8Array, marked: number[]): boolean {
  const byte = x >>> 3
  const bit = 1 << (x & 7)
  if (((mark[byte] as number) & bit) !== 0) return false
  if (mark[byte] === 0) marked.push(byte)
  mark[byte] = (mark[byte] as number) | bit
  return true
}

/**
 * Adds to `out` the trigrams without digits of messages from..to-1 laid end to end in `bytes` (message m
 * is the next lengths[m] bytes) that `mark` has not marked, marking them (their bytes listed in `marked`).
 */
function addTrigrams (bytes: Buffer, lengths: ArrayLike<number>, from: number, to: number, mark: Uint8Array, marked: number[], out: number[]): void {
  let at = 0
  for (let m = from; m < to; m++) {
    const end = at + (lengths[m] as number)
    // Bytes after the last digit seen: a trigram needs three in a row.
    let run = 0
    for (let i = at; i < end; i++) {
      if (isDigit(bytes[i] as number)) { run = 0; continue }
      if (++run < 3) continue
      const x = (bytes[i - 2] as number) | ((bytes[i - 1] as number) << 8) | ((bytes[i] as number) << 16)
      if (markNew(x, mark, marked)) out.push(x)
    }
    at = end
  }
}

const clear = (mark: Uint8Array, marked: number[]): void => {
  for (const b of marked) mark[b] = 0
  marked.length = 0
}

/** The distinct trigrams without digits of the messages (3 bytes as a number). */
function trigramsOf (messages: Buffer[]): number[] {
  const trigrams: number[] = []
  for (const m of messages) addTrigrams(m, [m.length], 0, 1, seen, touched, trigrams)
  clear(seen, touched)
  return trigrams
}

/** The trigrams without digits of a value. */
function valueTrigrams (value: string): number[] {
  const b = Buffer.from(value, 'utf8')
  const out: number[] = []
  for (let i = 0; i + 2 < b.length; i++) {
    if (isDigit(b[i] as number) || isDigit(b[i + 1] as number) || isDigit(b[i + 2] as number)) continue
    out.push((b[i] as number) | ((b[i + 1] as number) << 8) | ((b[i + 2] as number) << 16))
  }
  return out
}

/**
 * Blocks of fewer lines get no block filter (an empty one: may hold anything). Most blocks of a store of
 * many small runs are a run's few lines of a day, whose filter costs a seventh of their payload (4 bytes a
 * line of 53 measured, docs/performance.md) to spare a search the opening of a block of a few kilobytes.
 */
export const FILTER_MIN_LINES = 256

/** The block filter of a block's messages (empty under FILTER_MIN_LINES lines). */
export function buildFilter (messages: Buffer[]): Buffer {
  if (messages.length < FILTER_MIN_LINES) return Buffer.alloc(0)
  return blockFilterOf(trigramsOf(messages))
}

function blockFilterOf (trigrams: number[]): Buffer {
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

/**
 * The hashes a value's trigrams set (each taken modulo a block's filter bits in SQL); none when it has no
 * trigram without digits. Filters of every version hold at least these trigrams' bits.
 */
export function filterProbe (value: string): number[] {
  const probe = new Set<number>()
  for (const x of valueTrigrams(value)) for (const h of hashes(x)) probe.add(h)
  return [...probe]
}

/** The probe checked as SQL does (tests and the merger use it); an empty filter may hold anything. */
export function filterMayHold (filter: Buffer, probe: number[]): boolean {
  if (filter.length === 0) return true
  const bits = filter.length * 8
  return probe.every((h) => (((filter[(h % bits) >>> 3] as number) >> ((h % bits) & 7)) & 1) === 1)
}

/** A granule's filter of its messages. */
export function buildGranuleFilter (messages: Buffer[]): Buffer {
  return granuleFilterOf(trigramsOf(messages))
}

function granuleFilterOf (trigrams: number[]): Buffer {
  const filter = Buffer.alloc(Math.max(8, Math.ceil(trigrams.length * GRANULE_BITS_PER_TRIGRAM / 8)))
  const bits = filter.length * 8
  for (const x of trigrams) {
    const p = granuleHash(x) % bits
    filter[p >>> 3] = (filter[p >>> 3] as number) | (1 << (p & 7))
  }
  return filter
}

/** The hashes of a value's trigrams for granule filters (empty: every granule may hold it). */
export function granuleProbe (value: string): number[] {
  return [...new Set(valueTrigrams(value).map(granuleHash))]
}

/** Whether a granule with this filter may hold the value of `probe` (an empty filter: not built, may). */
export function granuleMayHold (filter: Buffer, probe: number[]): boolean {
  if (filter.length === 0) return true
  const bits = filter.length * 8
  return probe.every((h) => (((filter[(h % bits) >>> 3] as number) >> ((h % bits) & 7)) & 1) === 1)
}

/**
 * A block's filter and, when `granuleLines` cuts it into more than one granule, each granule's, of messages
 * given as UTF-8 bytes once: `granules[g]` holds granule g's messages end to end, message i of the block
 * `lengths[i]` bytes long. Each trigram is taken once a granule; the block's are their union. The same
 * filters as buildFilter and buildGranuleFilter of the messages one by one.
 */
export function blockFilters (granules: Buffer[], lengths: ArrayLike<number>, granuleLines: number): { filter: Buffer, granuleFilters: Buffer[] } {
  const all: number[] = []
  const granuleFilters: Buffer[] = []
  for (let g = 0; g < granules.length; g++) {
    const from = g * granuleLines
    const to = Math.min(lengths.length, from + granuleLines)
    const trigrams: number[] = []
    addTrigrams(granules[g] as Buffer, lengths, from, to, seen, touched, trigrams)
    clear(seen, touched)
    granuleFilters.push(granules.length === 1 ? Buffer.alloc(0) : granuleFilterOf(trigrams))
    for (const x of trigrams) if (markNew(x, seenInBlock, touchedInBlock)) all.push(x)
  }
  clear(seenInBlock, touchedInBlock)
  return { filter: lengths.length < FILTER_MIN_LINES ? Buffer.alloc(0) : blockFilterOf(all), granuleFilters }
}

// The columns of a block, before compression: a header (line count, UTC day), the block's label
// dictionary (pod, container, stream triples), then one column at a time so alike bytes sit together for
// the codec: time deltas (nanoseconds within the day), seq deltas, label indexes, message lengths, and
// the messages' bytes concatenated. Decoding builds no string until a line is taken.
//
// Version 1 (the first block store) compresses all of it as one zstd frame. Version 2 keeps the messages
// apart, in granules of GRANULE_LINES lines compressed one by one, so a read decompresses only the
// granules it reaches and a search only those whose filter may hold its value:
//   varint 2, varint granule count, varint lines per granule, varint head frame length,
//   per granule: varint frame length, varint filter length;
//   the granules' filters, the head frame (zstd: every column but the message bytes), then the granules'
//   frames (zstd: a granule's message bytes concatenated). The table and filters come first so that a
//   search takes them alone (a substring of the payload: block-search.ts) before choosing which frames to fetch.
// Version 3, for blocks of one granule (most of a store of many small runs): two deflate streams, both
// started with a preset dictionary the store trained from its own lines (block-dictionary.ts), so a block of
// a few dozen lines compresses about as well as a large one:
//   varint 3, varint dictionary id, varint head stream length, the head stream (the columns but the message
//   bytes, with times in a unit: below), the messages' stream (their bytes concatenated).
// Its head starts with the varint 3 (not 1) then a varint k: every time (and delta) is a multiple of 10^k ns
// and is stored divided by it (a run stamped to the millisecond saves two bytes a line). A version-3 payload
// has no table: it is read whole, as version 1 is (payloadLayout says 'v1').
// A version-1 payload starts with zstd's magic number, a version-2 payload with the byte 2, a version-3 with 3.
import type { LogLine } from '../model.js'

const VERSION = 1
const BLOCK_VERSION = 2
/** The payload version (and head columns version) of a dictionary-compressed block. */
export const DICT_VERSION = 3
const ZSTD_MAGIC = 0xfd2fb528
export const DAY_NS = 86_400_000_000_000

/** A line as a block holds it: the model's checked line (UTC day, nanoseconds within it, seq). */
export type BlockLine = LogLine

class Writer {
  buf = Buffer.allocUnsafe(1 << 16)
  pos = 0
  reserve (n: number): void {
    if (this.pos + n <= this.buf.length) return
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n))
    this.buf.copy(next, 0, 0, this.pos)
    this.buf = next
  }

  varint (value: number): void {
    this.reserve(10)
    let v = value
    while (v >= 0x80) {
      this.buf[this.pos++] = (v % 0x80) | 0x80
      v = Math.floor(v / 0x80)
    }
    this.buf[this.pos++] = v
  }

  signed (value: number): void { this.varint(value < 0 ? -2 * value - 1 : 2 * value) }

  bytes (b: Buffer): void {
    this.reserve(b.length)
    b.copy(this.buf, this.pos)
    this.pos += b.length
  }

  text (s: string): void {
    const b = Buffer.from(s, 'utf8')
    this.varint(b.length)
    this.bytes(b)
  }
}

class Reader {
  pos = 0
  constructor (readonly buf: Buffer) {}
  varint (): number {
    let result = 0
    let scale = 1
    for (;;) {
      const b = this.buf[this.pos++]
      if (b === undefined) throw new Error('block payload is truncated')
      result += (b & 0x7f) * scale
      if (b < 0x80) return result
      scale *= 0x80
    }
  }

  signed (): number {
    const v = this.varint()
    return v % 2 === 1 ? -(v + 1) / 2 : v / 2
  }

  text (): string {
    const n = this.varint()
    const s = this.buf.toString('utf8', this.pos, this.pos + n)
    this.pos += n
    return s
  }
}

/**
 * A block's columns but its message bytes (the encode side): lines sorted by (t, seq), all of one day,
 * seqs relative to the block's least; the label dictionary in order of first use, `label[i]` line i's entry.
 */
export interface BlockColumns {
  count: number
  day: number
  t: ArrayLike<number>
  seq: ArrayLike<number>
  labels: Array<[string, string, string]>
  label: ArrayLike<number>
  /** Each message's length in UTF-8 bytes. */
  lengths: ArrayLike<number>
  /** Version-3 heads: times are stored divided by 10^timeUnit (every time is a multiple of it). */
  timeUnit?: number
}

/** The largest k ≤ 9 such that every time is a multiple of 10^k ns. */
export function timeUnitOf (t: ArrayLike<number>): number {
  let k = 9
  let unit = 1e9
  for (let i = 0; i < t.length && k > 0; i++) while (k > 0 && (t[i] as number) % unit !== 0) { k--; unit /= 10 }
  return k
}

function writeColumns (w: Writer, c: BlockColumns): void {
  const unit = 10 ** (c.timeUnit ?? 0)
  if (c.timeUnit === undefined) w.varint(VERSION)
  else { w.varint(DICT_VERSION); w.varint(c.timeUnit) }
  w.varint(c.count)
  w.signed(c.day)
  w.varint(c.labels.length)
  for (const [pod, container, stream] of c.labels) { w.text(pod); w.text(container); w.text(stream) }
  let prevT = 0
  for (let i = 0; i < c.count; i++) { const t = c.t[i] as number; w.varint((t - prevT) / unit); prevT = t }
  let prevSeq = c.seq[0] as number
  w.varint(prevSeq)
  for (let i = 0; i < c.count; i++) { const seq = c.seq[i] as number; w.signed(seq - prevSeq); prevSeq = seq }
  for (let i = 0; i < c.count; i++) w.varint(c.label[i] as number)
  for (let i = 0; i < c.count; i++) w.varint(c.lengths[i] as number)
}

/** A version-2 head before compression: every column but the message bytes. */
export function encodeHead (c: BlockColumns): Buffer {
  const w = new Writer()
  writeColumns(w, c)
  return w.buf.subarray(0, w.pos)
}

/** Index of the line's (pod, container, stream) in `labels`, added at the end when new. */
export function labelIndex (labels: Array<[string, string, string]>, keys: Map<string, number>, pod: string, container: string, stream: string): number {
  // Most blocks hold a few label sets: compared in place before a key string is made.
  if (labels.length <= 8) {
    for (let k = 0; k < labels.length; k++) {
      const l = labels[k] as [string, string, string]
      if (l[0] === pod && l[1] === container && l[2] === stream) return k
    }
  }
  const key = `${pod}\u0000${container}\u0000${stream}`
  let at = keys.get(key)
  if (at === undefined) {
    at = labels.length
    labels.push([pod, container, stream])
    keys.set(key, at)
  }
  return at
}

/**
 * The block's columns; lines come sorted by (day, t, seq), all of one day, seqs relative to the block's
 * least. Without `messages`, the message bytes are left out (a version-2 head).
 */
export function encodeColumns (lines: BlockLine[], messages = true): Buffer {
  const first = lines[0]
  if (first === undefined) throw new Error('a block holds at least one line')
  const labels: Array<[string, string, string]> = []
  const keys = new Map<string, number>()
  const bytes = lines.map((l) => Buffer.from(l.msg, 'utf8'))
  const w = new Writer()
  writeColumns(w, {
    count: lines.length,
    day: first.day,
    t: lines.map((l) => l.t),
    seq: lines.map((l) => l.seq),
    labels,
    label: lines.map((l) => labelIndex(labels, keys, l.pod, l.container, l.stream)),
    lengths: bytes.map((m) => m.length)
  })
  if (messages) for (const m of bytes) w.bytes(m)
  return w.buf.subarray(0, w.pos)
}

/** A version-2 block before it is laid out: its head frame and, per granule, its filter and frame. */
export interface BlockParts { granuleLines: number, head: Buffer, granules: Array<{ filter: Buffer, frame: Buffer }> }

/** A version-2 payload. */
export function encodeBlockPayload (parts: BlockParts): Buffer {
  const w = new Writer()
  w.varint(BLOCK_VERSION)
  w.varint(parts.granules.length)
  w.varint(parts.granuleLines)
  w.varint(parts.head.length)
  for (const g of parts.granules) { w.varint(g.frame.length); w.varint(g.filter.length) }
  for (const g of parts.granules) w.bytes(g.filter)
  w.bytes(parts.head)
  for (const g of parts.granules) w.bytes(g.frame)
  return w.buf.subarray(0, w.pos)
}

/** A version-3 payload: its dictionary's id and its two deflate streams. */
export interface DictPayload { dictionary: number, head: Buffer, messages: Buffer }

export function encodeDictPayload (p: DictPayload): Buffer {
  const w = new Writer()
  w.varint(DICT_VERSION)
  w.varint(p.dictionary)
  w.varint(p.head.length)
  w.bytes(p.head)
  w.bytes(p.messages)
  return w.buf.subarray(0, w.pos)
}

/** The parts of a version-3 payload (subarrays of it); undefined for another version. */
export function dictPayload (payload: Buffer): DictPayload | undefined {
  if (payload[0] !== DICT_VERSION) return undefined
  const r = new Reader(payload)
  r.varint()
  const dictionary = r.varint()
  const headLength = r.varint()
  if (r.pos + headLength > payload.length) throw new Error('block payload is truncated')
  return { dictionary, head: payload.subarray(r.pos, r.pos + headLength), messages: payload.subarray(r.pos + headLength) }
}

/** The parts of a version-2 payload (subarrays of it); undefined for a version-1 payload, one zstd frame. */
export function blockParts (payload: Buffer): BlockParts | undefined {
  const layout = payloadLayout(payload)
  if (layout === 'v1') return undefined
  const end = layout?.frames[layout.frames.length - 1]?.[1] ?? layout?.head[1] ?? Infinity
  if (layout === undefined || end > payload.length) throw new Error('block payload is truncated')
  return {
    granuleLines: layout.granuleLines,
    head: payload.subarray(...layout.head),
    granules: layout.frames.map((f, g) => ({ filter: payload.subarray(...(layout.filters[g] as [number, number])), frame: payload.subarray(...f) }))
  }
}

/** Where a version-2 payload's parts lie: [start, end) byte offsets from its start. */
export interface PayloadLayout {
  granuleLines: number
  filters: Array<[number, number]>
  head: [number, number]
  frames: Array<[number, number]>
}

/**
 * The layout of a version-2 payload, read from its first bytes (the whole payload or a prefix that holds its
 * table); 'v1' for a payload read whole (version 1 or 3), undefined when the prefix ends inside the table.
 */
export function payloadLayout (prefix: Buffer): PayloadLayout | 'v1' | undefined {
  if (prefix.length >= 4 && prefix.readUInt32LE(0) === ZSTD_MAGIC) return 'v1'
  if (prefix[0] === DICT_VERSION) return 'v1'
  const r = new Reader(prefix)
  try {
    if (r.varint() !== BLOCK_VERSION) throw new Error('unknown block version')
    const count = r.varint()
    const granuleLines = r.varint()
    const headLength = r.varint()
    const lengths: Array<[number, number]> = []
    for (let i = 0; i < count; i++) lengths.push([r.varint(), r.varint()])
    let at = r.pos
    const filters = lengths.map(([, n]): [number, number] => [at, (at += n)])
    const head: [number, number] = [at, (at += headLength)]
    const frames = lengths.map(([n]): [number, number] => [at, (at += n)])
    return { granuleLines, filters, head, frames }
  } catch (err) {
    if ((err as Error).message === 'block payload is truncated') return undefined
    throw err
  }
}

/** Decompresses a granule's frame (block-read.ts passes zstd's, off the event loop). */
export type Inflate = (frame: Buffer) => Promise<Buffer>

/**
 * A decoded block: columns as typed arrays, strings made on demand. A version-1 block holds its message
 * bytes from the start; a version-2 block holds its head, and each granule's messages once `load`ed.
 */
export class DecodedBlock {
  readonly n: number
  readonly day: number
  readonly t: Float64Array
  readonly seq: Float64Array
  readonly label: Uint32Array
  readonly labels: Array<[string, string, string]> = []
  /** Message i is bytes [msgStart[i], msgStart[i + 1]) of the messages concatenated (granules end to end). */
  readonly msgStart: Uint32Array
  /** Lines per granule (a version-1 block: one granule of all its lines). */
  readonly granuleLines: number
  /** Each granule's message bytes once loaded, and where they start in the concatenation. */
  private readonly granuleBytes: Array<Buffer | undefined>
  private readonly loading: Array<Promise<void> | undefined>
  private readonly granuleBase: Uint32Array
  private readonly parts: BlockParts | undefined

  /**
   * `columns`: a version-1 payload decompressed (or a version-3 one's head and messages, end to end), or a
   * version-2 head decompressed (with its `parts`).
   * `seqBase`: the row's min_seq, which the seqs are relative to.
   */
  constructor (columns: Buffer, seqBase = 0, parts?: BlockParts) {
    const r = new Reader(columns)
    const version = r.varint()
    if (version !== VERSION && version !== DICT_VERSION) throw new Error('unknown block version')
    const unit = version === DICT_VERSION ? 10 ** r.varint() : 1
    const n = this.n = r.varint()
    this.day = r.signed()
    const labelCount = r.varint()
    for (let i = 0; i < labelCount; i++) this.labels.push([r.text(), r.text(), r.text()])
    this.t = new Float64Array(n)
    let t = 0
    for (let i = 0; i < n; i++) { t += r.varint() * unit; this.t[i] = t }
    this.seq = new Float64Array(n)
    let seq = r.varint() + seqBase
    for (let i = 0; i < n; i++) { seq += r.signed(); this.seq[i] = seq }
    this.label = new Uint32Array(n)
    for (let i = 0; i < n; i++) this.label[i] = r.varint()
    this.msgStart = new Uint32Array(n + 1)
    let at = 0
    for (let i = 0; i < n; i++) { this.msgStart[i] = at; at += r.varint() }
    this.msgStart[n] = at
    this.parts = parts
    this.granuleLines = parts?.granuleLines ?? Math.max(1, n)
    const granules = parts?.granules.length ?? 1
    this.granuleBase = new Uint32Array(granules)
    for (let g = 0; g < granules; g++) this.granuleBase[g] = this.msgStart[Math.min(n, g * this.granuleLines)] as number
    this.granuleBytes = new Array<Buffer | undefined>(granules)
    this.loading = new Array<Promise<void> | undefined>(granules)
    if (parts === undefined) {
      if (r.pos + at > columns.length) throw new Error('block payload is truncated')
      this.granuleBytes[0] = columns.subarray(r.pos, r.pos + at)
    } else if (parts.granules.length !== Math.ceil(n / this.granuleLines)) {
      throw new Error('block granules do not match its lines')
    }
  }

  /** Bytes the block holds (or will, once every granule is loaded): what a cache of blocks counts. */
  get size (): number { return (this.msgStart[this.n] as number) + this.n * 24 }

  granuleOf (i: number): number { return Math.floor(i / this.granuleLines) }

  loaded (g: number): boolean { return this.granuleBytes[g] !== undefined }

  /**
   * Whether granule g is loaded or can be: a block a search opened in part (block-search.ts) was given only
   * the frames of the granules it searched (the others empty; a zstd frame never is).
   */
  canLoad (g: number): boolean { return this.granuleBytes[g] !== undefined || (this.parts?.granules[g]?.frame.length ?? 0) > 0 }

  /** Every granule can be loaded: a block any read may take from a cache. */
  get whole (): boolean {
    for (let g = 0; g < this.granuleBytes.length; g++) if (!this.canLoad(g)) return false
    return true
  }

  /** The granules `mayHold` lets through can all be loaded: a block a search may take from a cache. */
  searchable (mayHold: (filter: Buffer) => boolean): boolean {
    for (let g = 0; g < this.granuleBytes.length; g++) {
      const filter = this.parts?.granules[g]?.filter
      if (!this.canLoad(g) && (filter === undefined || mayHold(filter))) return false
    }
    return true
  }

  /** Decompresses granule g's messages (once, however many readers ask). */
  async load (g: number, inflate: Inflate): Promise<void> {
    if (this.granuleBytes[g] !== undefined) return
    const frame = this.parts?.granules[g]?.frame
    if (frame === undefined) throw new Error('no such granule')
    this.loading[g] ??= inflate(frame).then((bytes) => {
      const expected = (this.msgStart[Math.min(this.n, (g + 1) * this.granuleLines)] as number) - (this.granuleBase[g] as number)
      if (bytes.length !== expected) throw new Error('block granule is truncated')
      this.granuleBytes[g] = bytes
    }).finally(() => { this.loading[g] = undefined })
    await this.loading[g]
  }

  /** Message i; its granule must be loaded. */
  msg (i: number): string {
    const g = this.granuleOf(i)
    const bytes = this.granuleBytes[g]
    if (bytes === undefined) throw new Error('block granule not loaded')
    const base = this.granuleBase[g] as number
    return bytes.toString('utf8', (this.msgStart[i] as number) - base, (this.msgStart[i + 1] as number) - base)
  }

  /** The loaded bytes that hold message i (its granule's); it is bytes [msgOffset(i), + its length) of them. */
  msgSource (i: number): Buffer {
    const bytes = this.granuleBytes[this.granuleOf(i)]
    if (bytes === undefined) throw new Error('block granule not loaded')
    return bytes
  }

  msgOffset (i: number): number { return (this.msgStart[i] as number) - (this.granuleBase[this.granuleOf(i)] as number) }

  labelsOf (i: number): [string, string, string] {
    return this.labels[this.label[i] as number] as [string, string, string]
  }

  /**
   * The lines whose message holds `needle`, searching only the granules `mayHold` lets through (loading
   * them): one search over each granule's concatenated messages, not one per line.
   */
  async matching (needle: Buffer, inflate: Inflate, mayHold: (filter: Buffer) => boolean = () => true): Promise<Uint8Array> {
    const hit = new Uint8Array(this.n)
    for (let g = 0; g < this.granuleBytes.length; g++) {
      const filter = this.parts?.granules[g]?.filter
      if (filter !== undefined && !mayHold(filter)) continue
      await this.load(g, inflate)
      this.search(g, needle, hit)
    }
    return hit
  }

  private search (g: number, needle: Buffer, hit: Uint8Array): void {
    const bytes = this.granuleBytes[g] as Buffer
    const base = this.granuleBase[g] as number
    let line = g * this.granuleLines
    const end = Math.min(this.n, line + this.granuleLines)
    if (needle.length === 0) { hit.fill(1, line, end); return }
    const start = (i: number): number => (this.msgStart[i] as number) - base
    let at = bytes.indexOf(needle)
    while (at !== -1) {
      while (start(line + 1) <= at) line++
      // A match across two messages' boundary is no match: search again from the next message's start.
      if (at + needle.length <= start(line + 1)) {
        hit[line] = 1
        at = bytes.indexOf(needle, start(line + 1))
      } else {
        at = bytes.indexOf(needle, at + 1)
      }
    }
  }
}

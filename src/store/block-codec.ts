// The columns of one granule, before compression: a header (line count, UTC day), the granule's label
// dictionary (pod, container, stream triples), then one column at a time so alike bytes sit together for
// the codec: time deltas (nanoseconds within the day), seq deltas, label indexes, message lengths, and
// the messages' bytes concatenated. Decoding builds no string until a line is taken.
//
// A block's payload (version 2) is a granule table, not compressed, then its granules, each of up to
// GRANULE_LINES lines compressed on its own (zstd frame), so a read decompresses only the granules it
// reaches and a search only those whose filter may hold its value. A version-1 payload (written before
// granules) is one zstd frame of one granule of the whole block; it starts with zstd's magic number, a
// version-2 payload with the byte 2.
const VERSION = 1
const BLOCK_VERSION = 2
const ZSTD_MAGIC = 0xfd2fb528
export const DAY_NS = 86_400_000_000_000

/** A line as a block holds it: its UTC day (days since 1970), nanoseconds within the day, seq. */
export interface BlockLine {
  day: number
  t: number
  seq: number
  pod: string
  container: string
  stream: string
  msg: string
}

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

/** The block's columns; lines come sorted by (day, t, seq), all of one day, seqs relative to the block's least. */
export function encodeColumns (lines: BlockLine[]): Buffer {
  const w = new Writer()
  const first = lines[0]
  if (first === undefined) throw new Error('a block holds at least one line')
  w.varint(VERSION)
  w.varint(lines.length)
  w.signed(first.day)
  const labels = new Map<string, number>()
  const labelList: BlockLine[] = []
  const index = new Uint32Array(lines.length)
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i] as BlockLine
    const key = `${l.pod}\u0000${l.container}\u0000${l.stream}`
    let at = labels.get(key)
    if (at === undefined) { at = labelList.length; labels.set(key, at); labelList.push(l) }
    index[i] = at
  }
  w.varint(labelList.length)
  for (const l of labelList) { w.text(l.pod); w.text(l.container); w.text(l.stream) }
  let prevT = 0
  for (const l of lines) { w.varint(l.t - prevT); prevT = l.t }
  let prevSeq = first.seq
  w.varint(prevSeq)
  for (const l of lines) { w.signed(l.seq - prevSeq); prevSeq = l.seq }
  for (let i = 0; i < lines.length; i++) w.varint(index[i] as number)
  const messages = lines.map((l) => Buffer.from(l.msg, 'utf8'))
  for (const m of messages) w.varint(m.length)
  for (const m of messages) w.bytes(m)
  return w.buf.subarray(0, w.pos)
}

/** One granule of a block as its table tells it, before it is decompressed. */
export interface GranuleRef {
  /** Lines in the granule. */
  n: number
  /** First and last line's nanoseconds within the day and seq (relative to the row's min_seq). */
  firstT: number
  firstSeq: number
  lastT: number
  lastSeq: number
  /** Granule filter (block-filter.ts: granuleMayHold); empty when not built. */
  filter: Buffer
  /** The compressed frame: a version-1 payload of the granule's lines. */
  frame: Buffer
}

/** What a granule's table entry records, with its compressed frame and filter. */
export interface GranuleParts { n: number, firstT: number, firstSeq: number, lastT: number, lastSeq: number, filter: Buffer, frame: Buffer }

/** A version-2 payload: the table, then the filters and frames in granule order. */
export function encodeBlockPayload (granules: GranuleParts[]): Buffer {
  const w = new Writer()
  w.varint(BLOCK_VERSION)
  w.varint(granules.length)
  for (const g of granules) {
    w.varint(g.n)
    w.varint(g.frame.length)
    w.varint(g.filter.length)
    w.varint(g.firstT)
    w.varint(g.firstSeq)
    w.varint(g.lastT - g.firstT)
    w.signed(g.lastSeq - g.firstSeq)
  }
  for (const g of granules) { w.bytes(g.filter); w.bytes(g.frame) }
  return w.buf.subarray(0, w.pos)
}

/** The payload's granules (subarrays of it); undefined for a version-1 payload, which is one zstd frame. */
export function blockGranules (payload: Buffer): GranuleRef[] | undefined {
  if (payload.length >= 4 && payload.readUInt32LE(0) === ZSTD_MAGIC) return undefined
  const r = new Reader(payload)
  if (r.varint() !== BLOCK_VERSION) throw new Error('unknown block version')
  const count = r.varint()
  const table: Array<[number, number, number, number, number, number, number]> = []
  for (let i = 0; i < count; i++) {
    const n = r.varint()
    const frameLength = r.varint()
    const filterLength = r.varint()
    const firstT = r.varint()
    const firstSeq = r.varint()
    table.push([n, frameLength, filterLength, firstT, firstSeq, firstT + r.varint(), firstSeq + r.signed()])
  }
  let at = r.pos
  return table.map(([n, frameLength, filterLength, firstT, firstSeq, lastT, lastSeq]) => {
    const filter = payload.subarray(at, at + filterLength)
    const frame = payload.subarray(at + filterLength, at + filterLength + frameLength)
    at += filterLength + frameLength
    if (at > payload.length) throw new Error('block payload is truncated')
    return { n, firstT, firstSeq, lastT, lastSeq, filter, frame }
  })
}

/** A decoded granule (or a whole version-1 block): columns as typed arrays over the payload, strings made on demand. */
export class DecodedBlock {
  readonly n: number
  readonly day: number
  readonly t: Float64Array
  readonly seq: Float64Array
  readonly label: Uint32Array
  readonly labels: Array<[string, string, string]> = []
  /** Message i is bytes[msgStart[i], msgStart[i + 1]) of the payload. */
  readonly msgStart: Uint32Array
  readonly bytes: Buffer

  /** `seqBase`: the row's min_seq, which the payload's seqs are relative to. */
  constructor (payload: Buffer, seqBase = 0) {
    const r = new Reader(payload)
    if (r.varint() !== VERSION) throw new Error('unknown block version')
    const n = this.n = r.varint()
    this.day = r.signed()
    const labelCount = r.varint()
    for (let i = 0; i < labelCount; i++) this.labels.push([r.text(), r.text(), r.text()])
    this.t = new Float64Array(n)
    let t = 0
    for (let i = 0; i < n; i++) { t += r.varint(); this.t[i] = t }
    this.seq = new Float64Array(n)
    let seq = r.varint() + seqBase
    for (let i = 0; i < n; i++) { seq += r.signed(); this.seq[i] = seq }
    this.label = new Uint32Array(n)
    for (let i = 0; i < n; i++) this.label[i] = r.varint()
    this.msgStart = new Uint32Array(n + 1)
    const lengths = new Uint32Array(n)
    for (let i = 0; i < n; i++) lengths[i] = r.varint()
    let at = r.pos
    for (let i = 0; i < n; i++) { this.msgStart[i] = at; at += lengths[i] as number }
    this.msgStart[n] = at
    if (at > payload.length) throw new Error('block payload is truncated')
    this.bytes = payload
  }

  msg (i: number): string {
    return this.bytes.toString('utf8', this.msgStart[i], this.msgStart[i + 1])
  }

  labelsOf (i: number): [string, string, string] {
    return this.labels[this.label[i] as number] as [string, string, string]
  }

  /** The lines whose message holds `needle`: one search over the concatenated messages, not one per line. */
  matching (needle: Buffer): Uint8Array {
    const hit = new Uint8Array(this.n)
    if (this.n === 0) return hit
    const from = this.msgStart[0] as number
    const to = this.msgStart[this.n] as number
    let line = 0
    let at = this.bytes.indexOf(needle, from)
    while (at !== -1 && at + needle.length <= to) {
      while ((this.msgStart[line + 1] as number) <= at) line++
      // A match across two messages' boundary is no match: search again from the next message's start.
      if (at + needle.length <= (this.msgStart[line + 1] as number)) {
        hit[line] = 1
        at = this.bytes.indexOf(needle, this.msgStart[line + 1] as number)
      } else {
        at = this.bytes.indexOf(needle, at + 1)
      }
    }
    if (needle.length === 0) hit.fill(1)
    return hit
  }
}

// A growing byte buffer that responses are rendered into: messages are copied from a block's UTF-8 bytes as
// they are, so no string is made per line, and the body is sent without encoding a large string again.
const EMPTY = Buffer.alloc(0)

export class ByteWriter {
  private buf: Buffer
  private pos = 0

  /** Room for `size` bytes, or `room` to write in (it grows into a new buffer beyond it). */
  constructor (size = 1 << 16, room?: Buffer) { this.buf = room ?? Buffer.allocUnsafe(Math.max(64, size)) }

  get length (): number { return this.pos }

  reserve (n: number): void {
    if (this.pos + n <= this.buf.length) return
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n, 1 << 12))
    this.buf.copy(next, 0, 0, this.pos)
    this.buf = next
  }

  /** Text of code points below 256 only (timestamps, cursors, JSON punctuation). */
  latin1 (s: string): void {
    this.reserve(s.length)
    this.pos += this.buf.write(s, this.pos, 'latin1')
  }

  utf8 (s: string): void {
    this.reserve(3 * s.length)
    this.pos += this.buf.write(s, this.pos, 'utf8')
  }

  bytes (src: Buffer, start = 0, end = src.length): void {
    const n = end - start
    this.reserve(n)
    if (n > 64) src.copy(this.buf, this.pos, start, end)
    else for (let k = 0; k < n; k++) this.buf[this.pos + k] = src[start + k] as number
    this.pos += n
  }

  /**
   * UTF-8 bytes that JSON.stringify would leave as they are (no quote, backslash or control character), copied;
   * false, and nothing written, when they need escaping.
   */
  jsonSafe (src: Buffer, start: number, end: number): boolean {
    this.reserve(end - start)
    const buf = this.buf
    let p = this.pos
    for (let k = start; k < end; k++) {
      const b = src[k] as number
      if (b < 0x20 || b === 0x22 || b === 0x5c) return false
      buf[p++] = b
    }
    this.pos = p
    return true
  }

  byte (b: number): void {
    this.reserve(1)
    this.buf[this.pos++] = b
  }

  /** Writes the last `count` digits of `value` (a whole number), zero-padded. */
  digits (value: number, count: number): void {
    this.reserve(count)
    let v = value
    for (let k = count - 1; k >= 0; k--) { this.buf[this.pos + k] = 0x30 + (v % 10); v = Math.floor(v / 10) }
    this.pos += count
  }

  /** What was written; the writer starts afresh (a new buffer once it is written to). */
  take (): Buffer {
    const out = this.buf.subarray(0, this.pos)
    this.buf = EMPTY
    this.pos = 0
    return out
  }
}

// Buffers that JSON pages are rendered into, lent per page and given back when its response has left: a
// $top=5000 page is a body of about 1.5 MB, and allocating one per page leaves glibc's arena holding the
// freed ones (docs/performance.md, RSS). The page budget lets only so many lines be in flight, so a few
// buffers serve every page; small pages allocate as before.
const SMALLEST = 64 << 10
const STEP = 64 << 10

export class PageBodies {
  private readonly free: Buffer[] = []
  private freeBytes = 0
  private readonly lent = new WeakSet<ArrayBufferLike>()

  /** Keeps at most `maxFreeBytes` of buffers not lent, none larger than `maxBuffer`. */
  constructor (private readonly maxFreeBytes = 8 << 20, private readonly maxBuffer = 4 << 20) {}

  /** A buffer of at least `size` bytes: the smallest free one that fits, or a new one (rounded up to 64 KiB). */
  lend (size: number): Buffer {
    if (size < SMALLEST || size > this.maxBuffer) return Buffer.allocUnsafe(size)
    let best = -1
    for (let k = 0; k < this.free.length; k++) {
      const b = this.free[k] as Buffer
      if (b.length >= size && (best < 0 || b.length < (this.free[best] as Buffer).length)) best = k
    }
    if (best >= 0) {
      const [b] = this.free.splice(best, 1) as [Buffer]
      this.freeBytes -= b.length
      return b
    }
    const b = Buffer.allocUnsafeSlow(Math.ceil(size / STEP) * STEP)
    this.lent.add(b.buffer)
    return b
  }

  /**
   * Gives back the buffer `body` was written in (body is a part of it); a body in a buffer not lent here is
   * left alone. The body must not be read afterwards: the next page is written over it.
   */
  giveBack (body: Buffer): void {
    if (!this.lent.has(body.buffer)) return
    const whole = Buffer.from(body.buffer)
    if (this.free.some((b) => b.buffer === whole.buffer)) return
    // Room for it by dropping smaller free buffers first; a buffer that does not fit is left to the collector.
    this.free.sort((a, b) => a.length - b.length)
    while (this.freeBytes + whole.length > this.maxFreeBytes && this.free.length > 0 && (this.free[0] as Buffer).length <= whole.length) {
      this.freeBytes -= (this.free.shift() as Buffer).length
    }
    if (this.freeBytes + whole.length > this.maxFreeBytes) return
    this.free.push(whole)
    this.freeBytes += whole.length
  }

  /** Free buffers and their bytes (tests). */
  get state (): { buffers: number, bytes: number } {
    return { buffers: this.free.length, bytes: this.freeBytes }
  }
}

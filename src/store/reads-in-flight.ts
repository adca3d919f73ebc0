// Reads in flight, counted so that the service ends its pools only after them: a read queries its pool
// several times (a page, payloads, perhaps a snapshot), and a pool ended between two of them would fail it.
export class ReadsInFlight {
  private count = 0
  private waiting: Array<() => void> = []

  async track<T> (read: () => Promise<T>): Promise<T> {
    this.count++
    try {
      return await read()
    } finally {
      if (--this.count === 0) for (const resolve of this.waiting.splice(0)) resolve()
    }
  }

  /** Resolves once no read is in flight. */
  async idle (): Promise<void> {
    if (this.count > 0) await new Promise<void>((resolve) => { this.waiting.push(resolve) })
  }
}

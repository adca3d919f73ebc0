// Admission by lines in flight. A JSON page takes its line count from the budget before it queries and gives
// it back when its response has left (or its connection closed). With 100 clients asking for 5,000 lines
// each, only one page's rows and body exist at once (READ_LINES_IN_FLIGHT); the others wait their turn, first come first
// served, instead of each holding a 1.6 MB body until its socket drains (docs/performance.md, memory).
export class LineBudget {
  private used = 0
  private readonly waiting: Array<{ lines: number, admit: () => void, refuse: (err: Error) => void }> = []
  private refusal: (() => Error) | undefined

  constructor (readonly capacity: number) {}

  /** Waits until `lines` fit (a page larger than the whole budget waits for an empty one); returns the release, safe to call twice. */
  async take (lines: number): Promise<() => void> {
    const wanted = Math.min(lines, this.capacity)
    if (this.refusal !== undefined) throw this.refusal()
    if (this.waiting.length === 0 && this.used + wanted <= this.capacity) {
      this.used += wanted
    } else {
      await new Promise<void>((resolve, reject) => { this.waiting.push({ lines: wanted, admit: resolve, refuse: reject }) })
    }
    let released = false
    return () => {
      if (released) return
      released = true
      this.used -= wanted
      this.admitWaiting()
    }
  }

  /**
   * From now on every page waiting, and every later one, is refused with `error()` (the service is closing:
   * a page admitted after the pools end would fail); pages admitted already finish.
   */
  refuseFromNow (error: () => Error): void {
    this.refusal = error
    for (const next of this.waiting.splice(0)) next.refuse(error())
  }

  /** Lines taken now, and pages waiting. */
  get state (): { used: number, waiting: number } {
    return { used: this.used, waiting: this.waiting.length }
  }

  private admitWaiting (): void {
    for (let next = this.waiting[0]; next !== undefined && this.used + next.lines <= this.capacity; next = this.waiting[0]) {
      this.waiting.shift()
      this.used += next.lines
      next.admit()
    }
  }
}

/**
 * Takes `lines` for one response and gives them back when the response closes (sent, or its connection
 * gone), also when it closed while still waiting its turn: the listener is set before the wait. Resolves
 * to false when the client left while waiting, so the page is not read for no one.
 */
export async function takeForResponse (budget: LineBudget, response: { once: (event: 'close', listener: () => void) => unknown }, lines: number): Promise<boolean> {
  let closed = false
  const permit = budget.take(lines)
  response.once('close', () => {
    closed = true
    permit.then((release) => { release() }).catch(() => undefined)
  })
  await permit
  return !closed
}

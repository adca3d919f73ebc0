// A binary heap, least first: the k-way merge of a read's blocks (block-read.ts) keeps its open blocks in one.
export class Heap<T> {
  readonly items: T[] = []
  constructor (private readonly before: (a: T, b: T) => boolean) {}
  get top (): T | undefined { return this.items[0] }
  push (x: T): void {
    const h = this.items
    h.push(x)
    let i = h.length - 1
    while (i > 0) {
      const parent = (i - 1) >> 1
      if (!this.before(h[i] as T, h[parent] as T)) return
      [h[i], h[parent]] = [h[parent] as T, h[i] as T]
      i = parent
    }
  }

  /** The top changed (its key grew): move it down. */
  sift (): void {
    const h = this.items
    let i = 0
    for (;;) {
      const l = 2 * i + 1
      let m = i
      if (l < h.length && this.before(h[l] as T, h[m] as T)) m = l
      if (l + 1 < h.length && this.before(h[l + 1] as T, h[m] as T)) m = l + 1
      if (m === i) return
      [h[i], h[m]] = [h[m] as T, h[i] as T]
      i = m
    }
  }

  pop (): T | undefined {
    const h = this.items
    const top = h[0]
    const last = h.pop() as T
    if (h.length > 0) { h[0] = last; this.sift() }
    return top
  }
}

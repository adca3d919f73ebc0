// Blocks decoded lately, least recently used dropped first, up to a byte budget: a client paging through a
// run with a cursor reads the same blocks again page after page, and overlapping blocks (batches whose times
// interleave) are all opened by every page. A block's payload never changes once written (retention deletes
// blocks, a merge replaces them by others), and a block is cached under its run, first line, seq span and
// line count, which a block replacing it under the same first line does not share.
import type pg from 'pg'
import type { DecodedBlock } from './block-codec.js'

export class RecentBlocks {
  private readonly blocks = new Map<string, DecodedBlock>()
  private bytes = 0
  constructor (private readonly maxBytes: number) {}

  /** The block without marking it used. */
  peek (key: string): DecodedBlock | undefined { return this.blocks.get(key) }

  get (key: string): DecodedBlock | undefined {
    const block = this.blocks.get(key)
    if (block !== undefined) { this.blocks.delete(key); this.blocks.set(key, block) }
    return block
  }

  set (key: string, block: DecodedBlock): DecodedBlock {
    const known = this.blocks.get(key)
    // A whole block replaces one a search opened in part.
    if (known !== undefined && (known.whole || !block.whole)) return known
    if (this.maxBytes === 0) return block
    if (known !== undefined) { this.blocks.delete(key); this.bytes -= known.size }
    this.blocks.set(key, block)
    this.bytes += block.size
    for (const [oldest, b] of this.blocks) {
      if (this.bytes <= this.maxBytes) break
      this.blocks.delete(oldest)
      this.bytes -= b.size
    }
    return block
  }
}

const RECENT_BYTES = 32 << 20
// One cache per pool, so two databases in one process (tests, or stores of other servers) never share blocks;
// a client in a transaction (export matching) decodes afresh.
const recentByPool = new WeakMap<pg.Pool | pg.PoolClient, RecentBlocks>()
export function recentOf (db: pg.Pool | pg.PoolClient): RecentBlocks {
  let recent = recentByPool.get(db)
  if (recent === undefined) {
    recent = new RecentBlocks('totalCount' in db ? RECENT_BYTES : 0)
    recentByPool.set(db, recent)
  }
  return recent
}

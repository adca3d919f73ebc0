// One live tail: first the lines already in range (seq below the watermark taken when it started), then
// every line committed since, in seq order. Sequence numbers of a run become visible in increasing order
// (ingest holds the run's row lock until commit), so following seq > last misses nothing, even a line
// whose timestamp is older than lines already sent.
import { isDatabaseUnavailable } from '../errors.js'
import type { CursorState } from '../read/cursor.js'
import type { LogRange } from '../model.js'
import { cursorStateOf } from '../read/stream.js'
import type { LogStore } from '../store/log-store.js'
import type { StoredLine } from '../store/stored-line.js'
import type { LinesCommitted } from '../store/line-notifications.js'
import { walkRange } from '../store/range-walk.js'
import type { Instant } from '../time.js'

const TAIL_BATCH = 2000
/** How soon a tail reads again after the database did not answer. */
const RETRY_MS = 1000

export interface TailOutput {
  /** Writes the rows (each with the cursor state that continues after it); resolves when more may be written. */
  write: (lines: StoredLine[], stateAfter: (line: StoredLine) => CursorState) => Promise<void>
}

export interface TailStart {
  range: LogRange
  /** From a cursor: where the client stands. */
  watermark?: bigint
  following?: boolean
}

export class Tail {
  private stopped = false
  private wake: (() => void) | undefined
  /** Every line with seq < pendingTo is committed; those from watermark on are still to send. */
  private pendingTo = 0n
  /** The earliest timestamp among batches notified and not yet read: it bounds the next query's walk. */
  private since: Instant | undefined
  /** Lines may be pending that no notification told of: the next query walks the whole range. */
  private unbounded = false
  private watermark = 0n

  constructor (private readonly store: LogStore, private readonly start: TailStart, private readonly output: TailOutput) {}

  /** A batch was committed for this run (the registry calls this only for the tail's run). */
  notify (lines: LinesCommitted): void {
    if (lines.toSeq <= this.pendingTo) return
    this.pendingTo = lines.toSeq
    if (this.since === undefined || lines.first < this.since) this.since = lines.first
    this.wakeUp()
  }

  /** Notifications may have been missed (the listener reconnected): read from the database what is there. */
  async catchUp (): Promise<void> {
    this.unbounded = true
    const next = await this.store.nextSeq(this.start.range.run)
    if (next !== undefined && next > this.pendingTo) this.pendingTo = next
    this.wakeUp()
  }

  stop (): void {
    this.stopped = true
    this.wakeUp()
  }

  private wakeUp (): void {
    const wake = this.wake
    this.wake = undefined
    wake?.()
  }

  /** Runs until stopped. The caller registered the tail for notifications before calling this. */
  async run (): Promise<void> {
    const { range } = this.start
    const state = cursorStateOf(range)
    const committed = (await this.store.nextSeq(range.run)) ?? 0n
    if (committed > this.pendingTo) this.pendingTo = committed
    // A client resuming from a cursor: lines committed while it was away were notified to nobody here.
    if (this.start.watermark !== undefined && committed > this.start.watermark) this.unbounded = true
    if (this.start.following === true) {
      this.watermark = this.start.watermark ?? 0n
    } else {
      const watermark = this.start.watermark ?? committed
      await this.rangePhase(watermark, state)
      this.watermark = watermark
    }
    while (!this.stopped) {
      if (this.pendingTo <= this.watermark) {
        await new Promise<void>((resolve) => { this.wake = resolve })
        continue
      }
      const to = this.pendingTo
      const since = this.unbounded ? undefined : this.since
      this.since = undefined
      this.unbounded = false
      try {
        for (;;) {
          const rows = await this.store.newLines(range, this.watermark, to, TAIL_BATCH, since)
          if (this.stopped) return
          await this.output.write(rows, (row) => ({ ...state, watermark: BigInt(row.seq) + 1n, following: true }))
          const last = rows[rows.length - 1]
          if (rows.length < TAIL_BATCH || last === undefined) break
          this.watermark = BigInt(last.seq) + 1n
        }
        this.watermark = to
      } catch (err) {
        if (!isDatabaseUnavailable(err)) throw err
        // The database is down for a while (a restart): the tail stays open and reads again from where it
        // stands, over the whole range, once it answers.
        this.unbounded = true
        await this.pause(RETRY_MS)
      }
    }
  }

  /** Waits `ms`, or less if a notification or stop comes first. */
  private async pause (ms: number): Promise<void> {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms)
      this.wake = () => { clearTimeout(timer); resolve() }
    })
  }

  /** The lines in range with seq < watermark, in (ts, ts_ns, seq) order, after the cursor's position if any. */
  private async rangePhase (watermark: bigint, state: CursorState): Promise<void> {
    if (this.stopped) return
    for await (const rows of walkRange(async (range, limit) => await this.store.read(range, limit, watermark), this.start.range, TAIL_BATCH)) {
      if (this.stopped) return
      await this.output.write(rows, (row) => ({ ...state, after: row.position, watermark }))
      if (this.stopped) return
    }
  }
}

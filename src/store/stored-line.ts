// A line as reads return it: a line of a decoded block (the block and the line's index). Its fields become
// strings only when asked; the renderers (read/render.ts) take the block's columns and labels directly.
import type { StoredPosition } from '../model.js'
import type { DecodedBlock } from './block-codec.js'
import { tsText } from './block-position.js'

export class StoredLine {
  constructor (readonly block: DecodedBlock, readonly i: number) {}

  /** Nanoseconds within the line's UTC day. */
  get t (): number { return this.block.t[this.i] as number }
  /** Postgres' text of the line's timestamptz (UTC, to the microsecond), as cursors carry it. */
  get ts (): string { return tsText(this.block.day, this.t) }
  /** The nanoseconds past the microsecond. */
  get nanos (): number { return this.t % 1000 }
  get pod (): string { return this.block.labelsOf(this.i)[0] }
  get container (): string { return this.block.labelsOf(this.i)[1] }
  get stream (): string { return this.block.labelsOf(this.i)[2] }
  get msg (): string { return this.block.msg(this.i) }
  /** The ingestion sequence number, as text (bigint's, as Postgres sent it). */
  get seq (): string { return String(this.block.seq[this.i]) }
  /** Where the line stands, for cursors and keyset walks. */
  get position (): StoredPosition { return { ts: this.ts, nanos: this.nanos, seq: this.seq } }

  /** Its fields as plain values: lines of different blocks compare equal by them. */
  toJSON (): { ts: string, nanos: number, container: string, pod: string, stream: string, msg: string, seq: string } {
    return { ts: this.ts, nanos: this.nanos, container: this.container, pod: this.pod, stream: this.stream, msg: this.msg, seq: this.seq }
  }
}

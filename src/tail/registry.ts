// The process's live tails: counted per resource group (FOLLOW_MAX_PER_GROUP, per process), registered per
// run so the one LISTEN connection's notifications reach the tails of that run, and ended on shutdown.
import { EventEmitter } from 'node:events'
import type { FastifyBaseLogger } from 'fastify'
import { errors } from '../errors.js'
import { runKeyText, type RunKey } from '../model.js'
import type { LinesCommitted, LinesListener } from '../store/line-notifications.js'
import type { Tail } from './tail.js'

export interface Registration {
  /** Call once the tail has ended (or failed to start): frees its place. */
  release: () => void
}

/** Emits 'reconnected' once the tails have been told to catch up after the LISTEN connection came back. */
export class TailRegistry extends EventEmitter {
  private readonly byRun = new Map<string, Set<Tail>>()
  private readonly perGroup = new Map<string, number>()
  private readonly ends = new Set<() => Promise<void>>()
  private closing = false

  constructor (private readonly listener: LinesListener, private readonly maxPerGroup: number, private readonly log: FastifyBaseLogger) {
    super()
    listener.on('lines', (lines: LinesCommitted) => {
      for (const tail of this.byRun.get(runKeyText(lines.run)) ?? []) tail.notify(lines)
    })
    listener.on('reconnected', () => {
      for (const tails of this.byRun.values()) {
        for (const tail of tails) tail.catchUp().catch((err: unknown) => { this.log.warn({ err }, 'a tail could not catch up') })
      }
      this.emit('reconnected')
    })
  }

  /** Tails open in this process (for /metrics). */
  get open (): number {
    return this.ends.size
  }

  /** Takes a place for a tail in the group, or answers 429 when the group has FOLLOW_MAX_PER_GROUP already. */
  reserve (group: string): Registration {
    if (this.closing) throw errors.unavailable('The service is shutting down; retry shortly.', 1)
    const count = this.perGroup.get(group) ?? 0
    if (count >= this.maxPerGroup) {
      throw errors.tooManyRequests(`Resource group ${group} already has ${count} live tails open here (FOLLOW_MAX_PER_GROUP); close one or retry later.`, 5)
    }
    this.perGroup.set(group, count + 1)
    let released = false
    return {
      release: () => {
        if (released) return
        released = true
        const left = (this.perGroup.get(group) ?? 1) - 1
        if (left === 0) this.perGroup.delete(group)
        else this.perGroup.set(group, left)
      }
    }
  }

  /**
   * Registers a tail for its run's notifications once the listener is listening (before the tail takes
   * its snapshot, so no commit after the snapshot goes unseen). `end` is called on shutdown and resolves
   * once the tail's response has finished.
   */
  async register (run: RunKey, tail: Tail, end: () => Promise<void>): Promise<() => void> {
    await this.listener.ready()
    const key = runKeyText(run)
    let tails = this.byRun.get(key)
    if (tails === undefined) this.byRun.set(key, tails = new Set())
    tails.add(tail)
    this.ends.add(end)
    return () => {
      this.ends.delete(end)
      tails.delete(tail)
      if (tails.size === 0 && this.byRun.get(key) === tails) this.byRun.delete(key)
    }
  }

  /**
   * Ends every tail and refuses new ones; resolves when their responses have finished, so the server's
   * close finds their connections idle and closes them (instead of waiting out the keep-alive timeout).
   */
  async endAll (): Promise<void> {
    this.closing = true
    await Promise.all([...this.ends].map(async (end) => { await end() }))
  }

  async close (): Promise<void> {
    await this.endAll()
    await this.listener.close()
  }
}

// New lines reach tails through Postgres: every ingest transaction sends one NOTIFY (delivered at commit,
// in commit order) naming the run, the batch's seq range and its earliest timestamp. Each process holds
// one LISTEN connection outside the pool, reconnects after errors, and fans notifications out in-process.
import { EventEmitter } from 'node:events'
import pg from 'pg'
import type { RunKey, RunKind } from '../model.js'
import type { Instant } from '../time.js'

const LINES_CHANNEL = 'run_log_lines'

/** A committed batch: seqs fromSeq <= seq < toSeq of the run, none earlier than `first`. */
export interface LinesCommitted {
  run: RunKey
  fromSeq: bigint
  toSeq: bigint
  first: Instant
}

/** One notification per payload of the text array $1 (one per run of the batch). */
export const NOTIFY_LINES = `SELECT pg_notify('${LINES_CHANNEL}', p) FROM unnest($1::text[]) AS p`

export function notificationPayload (run: RunKey, fromSeq: bigint, lines: number, first: Instant): string {
  return JSON.stringify([run.group, run.kind, run.id, String(fromSeq), String(fromSeq + BigInt(lines)), String(first)])
}

function parseNotification (payload: string): LinesCommitted | undefined {
  try {
    const [group, kind, id, from, to, first] = JSON.parse(payload) as [string, RunKind, string, string, string, string]
    return { run: { group, kind, id }, fromSeq: BigInt(from), toSeq: BigInt(to), first: BigInt(first) }
  } catch {
    return undefined
  }
}

/**
 * The process's LISTEN connection. Emits 'lines' (LinesCommitted) and 'reconnected' (notifications may have
 * been missed while it was down: listeners must catch up from the database).
 */
export class LinesListener extends EventEmitter {
  private client: pg.Client | undefined
  private connecting: Promise<void> | undefined
  private closed = false
  private retryTimer: NodeJS.Timeout | undefined

  constructor (private readonly databaseUrl: string, private readonly onError: (err: unknown) => void) {
    super()
    this.setMaxListeners(0)
  }

  /** Resolves once the connection is listening (connecting first if needed). */
  async ready (): Promise<void> {
    if (this.closed) throw new Error('the notification listener is closed')
    if (this.client !== undefined) return
    this.connecting ??= this.connect().finally(() => { this.connecting = undefined })
    await this.connecting
  }

  private async connect (): Promise<void> {
    const client = new pg.Client({ connectionString: this.databaseUrl, options: '-c TimeZone=UTC -c DateStyle=ISO' })
    client.on('notification', (msg) => {
      const committed = msg.payload === undefined ? undefined : parseNotification(msg.payload)
      if (committed !== undefined) this.emit('lines', committed)
    })
    client.on('error', (err) => { this.lost(client, err) })
    client.on('end', () => { this.lost(client, new Error('the notification connection ended')) })
    await client.connect()
    await client.query(`LISTEN ${LINES_CHANNEL}`)
    if (this.closed) {
      await client.end()
      throw new Error('the notification listener is closed')
    }
    this.client = client
  }

  private lost (client: pg.Client, err: unknown): void {
    if (this.client !== client || this.closed) return
    this.client = undefined
    this.onError(err)
    client.end().catch(() => undefined)
    const retry = (delay: number): void => {
      this.retryTimer = setTimeout(() => {
        this.ready().then(() => { this.emit('reconnected') }, (e: unknown) => {
          if (this.closed) return
          this.onError(e)
          retry(Math.min(delay * 2, 5000))
        })
      }, delay)
    }
    retry(100)
  }

  async close (): Promise<void> {
    this.closed = true
    clearTimeout(this.retryTimer)
    const client = this.client
    this.client = undefined
    await this.connecting?.catch(() => undefined)
    await client?.end().catch(() => undefined)
  }
}

// Delivers export notifications (email over SMTP_URL with nodemailer, Slack-compatible webhooks of user
// groups). Due rows are claimed from Postgres with SKIP LOCKED and a lease, so replicas never send one
// twice and a restart picks up what was pending; a failure is retried with doubling backoff up to
// NOTIFY_MAX_ATTEMPTS, then recorded FAILED. The export itself is never affected.
import type { FastifyBaseLogger } from 'fastify'
import type { Transporter } from 'nodemailer'
import type { Config } from '../config.js'
import type { ExportJobs } from '../store/export-jobs.js'
import type { ClaimedNotification, ExportNotifications } from '../store/export-notifications.js'
import { exportMessage } from './messages.js'
import { SLACK_PREFIX } from './recipients.js'
import type { ExportView } from './view.js'

const BATCH = 20
const LEASE_SECONDS = 120
const SEND_TIMEOUT_MS = 20_000
const MAX_BACKOFF_SECONDS = 3600

export interface NotifierDeps {
  notifications: ExportNotifications
  jobs: ExportJobs
  config: Config['notify']
  view: (row: NonNullable<Awaited<ReturnType<ExportJobs['get']>>>) => Promise<ExportView>
  log: FastifyBaseLogger
}

/** Seconds before the retry that follows failed attempt number `attempts`. */
const backoffSeconds = (retrySeconds: number, attempts: number): number =>
  Math.min(MAX_BACKOFF_SECONDS, retrySeconds * 2 ** Math.max(0, attempts - 1))

export class ExportNotifier {
  // nodemailer is loaded only by a service with SMTP_URL (it is several MiB of an idle process's memory).
  private readonly mailer: Promise<Transporter> | undefined
  private timer: NodeJS.Timeout | undefined
  private running: Promise<void> | undefined
  private again = false
  private stopping = false

  constructor (private readonly deps: NotifierDeps) {
    const url = deps.config.smtpUrl
    this.mailer = url === undefined
      ? undefined
      : import('nodemailer').then(({ default: nodemailer }) => nodemailer.createTransport({ url, connectionTimeout: SEND_TIMEOUT_MS, greetingTimeout: SEND_TIMEOUT_MS, socketTimeout: SEND_TIMEOUT_MS }))
  }

  start (): void {
    this.timer = setInterval(() => { this.wake() }, this.deps.config.pollIntervalMs)
    this.timer.unref()
    this.wake()
  }

  /** Looks for due notifications now (an export just finished). */
  wake (): void {
    if (this.timer === undefined || this.stopping) return
    if (this.running !== undefined) { this.again = true; return }
    this.running = this.drain()
      .then(() => undefined, (err: unknown) => { this.deps.log.warn({ err }, 'export notifications could not be claimed; will retry') })
      .finally(() => {
        this.running = undefined
        if (this.again) { this.again = false; this.wake() }
      })
  }

  async stop (): Promise<void> {
    this.stopping = true
    clearInterval(this.timer)
    await this.running
    ;(await this.mailer)?.close()
  }

  /** Delivers what is due until nothing is; resolves with how many were tried. */
  async drain (): Promise<number> {
    let tried = 0
    for (;;) {
      const due = await this.deps.notifications.claim(BATCH, LEASE_SECONDS)
      if (due.length === 0) return tried
      tried += due.length
      await Promise.all(due.map(async (n) => { await this.deliver(n) }))
      if (this.stopping) return tried
    }
  }

  private async deliver (n: ClaimedNotification): Promise<void> {
    const { notifications, config, log } = this.deps
    const noteLog = log.child({ exportId: n.requestId, channel: n.channel, attempt: n.attempts })
    try {
      const row = await this.deps.jobs.get(null, n.requestId)
      if (row === undefined) return
      const view = await this.deps.view(row)
      if (view.status === 'EXPIRED') {
        await notifications.failed(n, 'the export expired before the notification could be delivered', true, 0)
        return
      }
      const message = exportMessage(view, n.group)
      if (n.channel === 'email') await this.sendEmail(n.target, message)
      else await this.postSlack(n.target.slice(SLACK_PREFIX.length), message.slack)
      await notifications.sent(n)
      noteLog.info({ target: n.target }, 'export notification sent')
    } catch (err) {
      const error = describe(err)
      const giveUp = n.attempts >= config.maxAttempts || err instanceof Permanent
      noteLog.warn({ target: n.target, error, giveUp }, 'export notification failed')
      await notifications.failed(n, error, giveUp, backoffSeconds(config.retrySeconds, n.attempts))
    }
  }

  private async sendEmail (to: string, message: ReturnType<typeof exportMessage>): Promise<void> {
    const mailer = await this.mailer
    if (mailer === undefined) throw new Permanent('email is not set up on this service (SMTP_URL)')
    await mailer.sendMail({ from: this.deps.config.smtpFrom, to, subject: message.subject, text: message.text, html: message.html })
  }

  private async postSlack (groupId: string, body: { text: string }): Promise<void> {
    const url = this.deps.config.userGroups.find((g) => g.id === groupId)?.slackWebhookUrl
    if (url === undefined) throw new Permanent(`user group ${groupId} has no Slack webhook configured any more`)
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(SEND_TIMEOUT_MS),
      redirect: 'error'
    })
    await res.body?.cancel()
    if (!res.ok) throw new Error(`the Slack webhook answered HTTP ${res.status}`)
  }
}

/** A failure a retry cannot fix. */
class Permanent extends Error {}

// What an operator can act on, without the webhook's URL (a secret) or a stack.
function describe (err: unknown): string {
  const e = err as { message?: unknown, code?: unknown, responseCode?: unknown, cause?: { code?: unknown } }
  const code = typeof e.code === 'string' ? e.code : typeof e.cause?.code === 'string' ? e.cause.code : undefined
  const message = typeof e.message === 'string' ? e.message : String(err)
  return code === undefined || message.includes(code) ? message : `${message} (${code})`
}

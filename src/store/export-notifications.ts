// SQL of export notifications: the recipients recorded with an export, and the delivery queue (claims with
// SKIP LOCKED and a lease, results, retries with backoff). A row is due only once its export is finished.
import type pg from 'pg'

export type NotificationChannel = 'email' | 'slack'
export type NotificationStatus = 'PENDING' | 'SENT' | 'FAILED'

export interface Recipient { channel: NotificationChannel, target: string }

export interface NotificationState { target: string, status: NotificationStatus, attempts: number, lastError: string | null }

export interface ClaimedNotification extends Recipient { requestId: string, group: string, attempts: number }

/** Records an export's recipients, in the transaction that creates the export. */
export async function insertRecipients (client: pg.PoolClient, requestId: string, recipients: Recipient[]): Promise<void> {
  if (recipients.length === 0) return
  await client.query(`INSERT INTO export_notifications (request_id, channel, target)
    SELECT $1, channel, target FROM unnest($2::text[], $3::text[]) AS r(channel, target) ON CONFLICT DO NOTHING`,
  [requestId, recipients.map((r) => r.channel), recipients.map((r) => r.target)])
}

export class ExportNotifications {
  constructor (private readonly pool: pg.Pool) {}

  /** The recipients of each export, in the order they were recorded. */
  async of (requestIds: string[]): Promise<Map<string, NotificationState[]>> {
    const result = new Map<string, NotificationState[]>(requestIds.map((id) => [id, []]))
    if (requestIds.length === 0) return result
    const { rows } = await this.pool.query<{ request_id: string, target: string, status: NotificationStatus, attempts: number, last_error: string | null }>(
      `SELECT request_id, target, status, attempts, last_error FROM export_notifications
       WHERE request_id = ANY($1::uuid[]) ORDER BY request_id, channel, target`, [requestIds])
    for (const r of rows) result.get(r.request_id)?.push({ target: r.target, status: r.status, attempts: r.attempts, lastError: r.last_error })
    return result
  }

  /**
   * Takes up to `limit` due notifications of finished exports and holds them for `leaseSeconds` (their
   * attempt counted): another replica skips them, and takes them again only if this one never reports.
   */
  async claim (limit: number, leaseSeconds: number): Promise<ClaimedNotification[]> {
    const { rows } = await this.pool.query<{ request_id: string, resource_group: string, channel: NotificationChannel, target: string, attempts: number }>(
      `UPDATE export_notifications n SET attempts = n.attempts + 1, next_attempt_at = now() + make_interval(secs => $2)
       FROM (SELECT n2.request_id, n2.target, e.resource_group FROM export_notifications n2
             JOIN exports e ON e.request_id = n2.request_id
             WHERE n2.status = 'PENDING' AND n2.next_attempt_at <= now() AND e.status IN ('READY', 'FAILED', 'EXPIRED')
             ORDER BY n2.next_attempt_at LIMIT $1 FOR UPDATE OF n2 SKIP LOCKED) due
       WHERE n.request_id = due.request_id AND n.target = due.target
       RETURNING n.request_id, due.resource_group, n.channel, n.target, n.attempts`, [limit, leaseSeconds])
    return rows.map((r) => ({ requestId: r.request_id, group: r.resource_group, channel: r.channel, target: r.target, attempts: r.attempts }))
  }

  /** Sent. Only the holder of this attempt reports it. */
  async sent (n: ClaimedNotification): Promise<void> {
    await this.pool.query(`UPDATE export_notifications SET status = 'SENT', sent_at = now(), last_error = NULL
      WHERE request_id = $1 AND target = $2 AND attempts = $3 AND status = 'PENDING'`, [n.requestId, n.target, n.attempts])
  }

  /** Not sent: retried after `retryAfterSeconds`, or FAILED when `giveUp`. */
  async failed (n: ClaimedNotification, error: string, giveUp: boolean, retryAfterSeconds: number): Promise<void> {
    await this.pool.query(`UPDATE export_notifications SET last_error = $4,
        status = CASE WHEN $5 THEN 'FAILED' ELSE 'PENDING' END, next_attempt_at = now() + make_interval(secs => $6)
      WHERE request_id = $1 AND target = $2 AND attempts = $3 AND status = 'PENDING'`,
    [n.requestId, n.target, n.attempts, error.slice(0, 1000), giveUp, retryAfterSeconds])
  }
}

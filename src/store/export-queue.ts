// SQL of the export queue: claims with SKIP LOCKED, leases and heartbeats, results, retries and expiry.
// Leases use the database's clock, the one every replica shares; the domain's times come from the app's.
import type pg from 'pg'
import type { Instant } from '../time.js'
import { COLUMNS, isoOf, toRow, type ClaimedJob, type DbRow, type ExportRow } from './export-jobs.js'

export class ExportQueue {
  constructor (private readonly pool: pg.Pool) {}

  /**
   * Takes the oldest queued job, or a build whose lease lapsed (its worker died), for `owner`. SKIP LOCKED:
   * replicas polling at once each take a different job or none, never the same one.
   */
  async claim (owner: string, leaseSeconds: number): Promise<ClaimedJob | undefined> {
    const { rows } = await this.pool.query<DbRow>(`UPDATE exports SET status = 'BUILDING', attempts = attempts + 1,
        lease_owner = $1, lease_until = now() + make_interval(secs => $2), runs_written = 0
      WHERE request_id = (
        SELECT request_id FROM exports
        WHERE status = 'QUEUED' OR (status = 'BUILDING' AND lease_until < now())
        ORDER BY triggered_at LIMIT 1 FOR UPDATE SKIP LOCKED)
      RETURNING ${COLUMNS}, runs`, [owner, leaseSeconds])
    const r = rows[0]
    return r === undefined ? undefined : { ...toRow(r), runs: r.runs ?? [] }
  }

  /** Extends the lease and records progress; false when the job is no longer this owner's build. */
  async heartbeat (requestId: string, owner: string, leaseSeconds: number, runsWritten: number): Promise<boolean> {
    const { rowCount } = await this.pool.query(`UPDATE exports SET lease_until = now() + make_interval(secs => $3), runs_written = $4
      WHERE request_id = $1 AND lease_owner = $2 AND status = 'BUILDING'`, [requestId, owner, leaseSeconds, runsWritten])
    return rowCount === 1
  }

  async markReady (requestId: string, owner: string, now: Instant, expires: Instant,
    archive: { path: string, bytes: number, sha256: string }): Promise<ExportRow | undefined> {
    const { rows } = await this.pool.query<DbRow>(`UPDATE exports SET status = 'READY', ready_at = $3, expires_at = $4,
        archive_path = $5, archive_bytes = $6, archive_sha256 = $7, runs_written = total_executions,
        lease_owner = NULL, lease_until = NULL, error_message = NULL
      WHERE request_id = $1 AND lease_owner = $2 AND status = 'BUILDING' RETURNING ${COLUMNS}`,
    [requestId, owner, isoOf(now), isoOf(expires), archive.path, archive.bytes, archive.sha256])
    return rows[0] === undefined ? undefined : toRow(rows[0])
  }

  /** After a failed build: back to QUEUED while attempts remain, else FAILED with the message. */
  async retryOrFail (requestId: string, owner: string, maxAttempts: number, message: string): Promise<ExportRow | undefined> {
    const { rows } = await this.pool.query<DbRow>(`UPDATE exports SET
        status = CASE WHEN attempts >= $3 THEN 'FAILED' ELSE 'QUEUED' END,
        error_message = $4, lease_owner = NULL, lease_until = NULL
      WHERE request_id = $1 AND lease_owner = $2 AND status = 'BUILDING' RETURNING ${COLUMNS}`,
    [requestId, owner, maxAttempts, message])
    return rows[0] === undefined ? undefined : toRow(rows[0])
  }

  /** A build stopped by a graceful shutdown goes back to the queue; the attempt does not count. */
  async release (requestId: string, owner: string): Promise<void> {
    await this.pool.query(`UPDATE exports SET status = 'QUEUED', attempts = greatest(attempts - 1, 0), runs_written = 0,
        lease_owner = NULL, lease_until = NULL
      WHERE request_id = $1 AND lease_owner = $2 AND status = 'BUILDING'`, [requestId, owner])
  }

  /** READY exports whose link has lapsed turn EXPIRED; returns their archives, for the caller to delete. */
  async expire (now: Instant, requestId?: string): Promise<Array<{ requestId: string, archivePath: string | null }>> {
    const { rows } = await this.pool.query<{ request_id: string, archive_path: string | null }>(`UPDATE exports e SET status = 'EXPIRED', archive_path = NULL
      FROM (SELECT request_id, archive_path FROM exports WHERE status = 'READY' AND expires_at <= $1 AND ($2::uuid IS NULL OR request_id = $2)
            FOR UPDATE SKIP LOCKED) old
      WHERE e.request_id = old.request_id RETURNING e.request_id, old.archive_path`, [isoOf(now), requestId ?? null])
    return rows.map((r) => ({ requestId: r.request_id, archivePath: r.archive_path }))
  }
}

-- Export jobs (docs/exports.md). A row is the job, its queue entry and its result: workers claim rows with
-- FOR UPDATE SKIP LOCKED and hold a lease they extend while building; a lease that lapses (a crashed
-- replica) lets another worker take the job again. Rows stay after expiry: they are the quota's count
-- and the audit trail of what was exported, by whom.

CREATE TABLE exports (
  request_id uuid PRIMARY KEY,
  resource_group text NOT NULL,
  -- BUILDING is internal; the API shows it as QUEUED.
  status text NOT NULL CHECK (status IN ('QUEUED', 'BUILDING', 'READY', 'FAILED', 'EXPIRED')),
  -- The request's filters, with start and end resolved (RFC 3339, nanosecond-exact).
  filters jsonb NOT NULL,
  -- The runs matched when the export was requested: [{kind, id, firstTs}], in archive order.
  runs jsonb NOT NULL,
  total_executions integer NOT NULL,
  runs_written integer NOT NULL DEFAULT 0,
  created_by text NOT NULL,
  triggered_at timestamptz NOT NULL,
  ready_at timestamptz,
  expires_at timestamptz,
  attempts integer NOT NULL DEFAULT 0,
  lease_owner text,
  lease_until timestamptz,
  error_message text,
  archive_path text,
  archive_bytes bigint,
  archive_sha256 text
);

-- The daily quota counts a group's exports of one UTC day; listing reads them newest first.
CREATE INDEX exports_group_triggered ON exports (resource_group, triggered_at);
-- What workers look for: queued jobs, and builds whose lease may have lapsed.
CREATE INDEX exports_pending ON exports (triggered_at) WHERE status IN ('QUEUED', 'BUILDING');
-- What the sweeper looks for.
CREATE INDEX exports_ready_expiry ON exports (expires_at) WHERE status = 'READY';

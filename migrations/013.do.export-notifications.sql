-- Notifications of finished exports (docs/exports.md): one row per recipient (an email address, or a user
-- group's Slack webhook), made with the export in its transaction. Deliverers on any replica claim due
-- rows with FOR UPDATE SKIP LOCKED and push next_attempt_at past a lease while they send, so a message goes
-- out once across replicas, and a replica that dies mid-send leaves the row to be retried after the lease.
CREATE TABLE export_notifications (
  request_id uuid NOT NULL REFERENCES exports (request_id) ON DELETE CASCADE,
  channel text NOT NULL CHECK (channel IN ('email', 'slack')),
  -- The email address, or slack:<user group id> (the webhook URL stays in the operator's file).
  target text NOT NULL,
  status text NOT NULL DEFAULT 'PENDING' CHECK (status IN ('PENDING', 'SENT', 'FAILED')),
  attempts integer NOT NULL DEFAULT 0,
  next_attempt_at timestamptz NOT NULL DEFAULT now(),
  last_error text,
  sent_at timestamptz,
  PRIMARY KEY (request_id, target)
);

-- What deliverers look for: pending rows that are due (their export must also be finished).
CREATE INDEX export_notifications_due ON export_notifications (next_attempt_at) WHERE status = 'PENDING';

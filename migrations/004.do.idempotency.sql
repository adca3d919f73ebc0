-- Idempotency keys of ingest requests. A key is scoped by the token's issuer and subject and the resource
-- group the request acts in, so two tenants' keys never meet. The row is inserted in the same transaction
-- as the lines: a rolled-back write leaves no key, and a concurrent retry waits on the primary key until
-- the first attempt commits, then finds its answer here.
CREATE TABLE idempotency_keys (
  scope text NOT NULL,
  key text NOT NULL,
  -- sha256 of the request: method, path and the decoded body
  request_hash bytea NOT NULL,
  status smallint NOT NULL,
  -- the first answer's body, byte for byte (jsonb would reorder its keys)
  response text NOT NULL,
  created_at timestamptz NOT NULL,
  PRIMARY KEY (scope, key)
);

-- Expiry deletes by age.
CREATE INDEX idempotency_keys_created_at ON idempotency_keys (created_at);

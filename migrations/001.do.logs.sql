-- Runs and their log lines. Timestamps are nanosecond-exact: a timestamptz (microseconds) plus the
-- 0..999 nanoseconds beyond it. `seq` is the run's ingestion sequence and orders lines that share a time.

CREATE TYPE run_kind AS ENUM ('deployment', 'execution');

CREATE TABLE runs (
  resource_group text NOT NULL,
  run_kind run_kind NOT NULL,
  run_id text NOT NULL,
  first_ts timestamptz NOT NULL,
  first_ns smallint NOT NULL,
  last_ts timestamptz NOT NULL,
  last_ns smallint NOT NULL,
  line_count bigint NOT NULL,
  -- Next ingestion sequence number; only grows (line_count may shrink when retention drops partitions).
  next_seq bigint NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (resource_group, run_kind, run_id)
);

-- Range-partitioned by day on ts (see log_lines_ensure_partition); retention drops whole partitions.
-- The primary key starts with the run key, so the table can be distributed by it, and it is the index
-- that serves "first N lines of one run in [start, end)" in either order without a sort.
CREATE TABLE log_lines (
  resource_group text NOT NULL,
  run_kind run_kind NOT NULL,
  run_id text NOT NULL,
  ts timestamptz NOT NULL,
  ts_ns smallint NOT NULL CHECK (ts_ns BETWEEN 0 AND 999),
  seq bigint NOT NULL,
  container text NOT NULL,
  pod text NOT NULL,
  stream text NOT NULL,
  msg text NOT NULL,
  PRIMARY KEY (resource_group, run_kind, run_id, ts, ts_ns, seq)
) PARTITION BY RANGE (ts);

-- Creates the partition holding the UTC day of `day` if it is missing; safe to call concurrently.
CREATE FUNCTION log_lines_ensure_partition(day date) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
  name text := format('log_lines_%s', to_char(day, 'YYYYMMDD'));
BEGIN
  IF to_regclass(name) IS NOT NULL THEN
    RETURN name;
  END IF;
  PERFORM pg_advisory_xact_lock(hashtext('log_lines_partition'));
  IF to_regclass(name) IS NULL THEN
    EXECUTE format(
      'CREATE TABLE %I PARTITION OF log_lines FOR VALUES FROM (%L) TO (%L)',
      name, (day::timestamp AT TIME ZONE 'UTC'), ((day + 1)::timestamp AT TIME ZONE 'UTC'));
  END IF;
  RETURN name;
END;
$$;

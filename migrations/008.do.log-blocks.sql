-- Lines live in compressed blocks (src/store/block-codec.ts): one row holds up to a few thousand lines of
-- one run and one UTC day, in (ts, ts_ns, seq) order. The row keeps the run key, the block's first and last
-- line's position, its seq span, the line count, a bloom filter of the messages' trigrams and the payload,
-- compressed by the service (so PostgreSQL must not compress it again: STORAGE EXTERNAL).
-- The old one-row-per-line table stays as legacy_log_lines until the service has turned its lines into
-- blocks (src/store/legacy-lines.ts, run by `migrate` right after this file); then it is dropped.

ALTER TABLE log_lines RENAME TO legacy_log_lines;
DROP FUNCTION log_lines_ensure_partition(date);

CREATE TABLE log_blocks (
  resource_group text NOT NULL,
  run_kind run_kind NOT NULL,
  run_id text NOT NULL,
  first_ts timestamptz NOT NULL,
  first_ns smallint NOT NULL,
  first_seq bigint NOT NULL,
  last_ts timestamptz NOT NULL,
  last_ns smallint NOT NULL,
  last_seq bigint NOT NULL,
  min_seq bigint NOT NULL,
  max_seq bigint NOT NULL,
  line_count integer NOT NULL,
  filter bytea NOT NULL,
  payload bytea NOT NULL,
  -- The first line is unique in its run (seq is), so it names the block.
  PRIMARY KEY (resource_group, run_kind, run_id, first_ts, first_ns, first_seq)
) PARTITION BY RANGE (first_ts);
ALTER TABLE log_blocks ALTER COLUMN payload SET STORAGE EXTERNAL;
-- The longest time from first to last line of any block of the run: a block holding a line at T starts
-- no earlier than T minus this span, which bounds a read's index walk to the blocks that can overlap T.
ALTER TABLE runs ADD COLUMN block_span interval NOT NULL DEFAULT '0';

-- Descending reads take blocks by their last line.
CREATE INDEX log_blocks_by_last ON log_blocks (resource_group, run_kind, run_id, last_ts, last_ns, last_seq);

-- A block never spans two UTC days, so a day's partition holds exactly that day's lines and retention
-- drops it whole, as it dropped log_lines' partitions.
CREATE FUNCTION log_blocks_ensure_partition(day date) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
  name text := format('log_blocks_%s', to_char(day, 'YYYYMMDD'));
BEGIN
  IF to_regclass(name) IS NOT NULL THEN
    RETURN name;
  END IF;
  PERFORM pg_advisory_xact_lock(hashtext('log_blocks_partition'));
  BEGIN
    EXECUTE format(
      'CREATE TABLE IF NOT EXISTS %I PARTITION OF log_blocks FOR VALUES FROM (%L) TO (%L)',
      name, (day::timestamp AT TIME ZONE 'UTC'), ((day + 1)::timestamp AT TIME ZONE 'UTC'));
  EXCEPTION WHEN duplicate_table THEN
    NULL;
  END;
  RETURN name;
END;
$$;

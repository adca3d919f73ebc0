-- Replicas that make the same day's partition at once: the one that waits on the advisory lock may not see
-- the other's committed table yet (an advisory lock does not refresh the catalog cache as a table lock
-- does), so its CREATE finds the name taken. That is the partition it wanted: success, not an error.
CREATE OR REPLACE FUNCTION log_lines_ensure_partition(day date) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
  name text := format('log_lines_%s', to_char(day, 'YYYYMMDD'));
BEGIN
  IF to_regclass(name) IS NOT NULL THEN
    RETURN name;
  END IF;
  PERFORM pg_advisory_xact_lock(hashtext('log_lines_partition'));
  BEGIN
    EXECUTE format(
      'CREATE TABLE IF NOT EXISTS %I PARTITION OF log_lines FOR VALUES FROM (%L) TO (%L)',
      name, (day::timestamp AT TIME ZONE 'UTC'), ((day + 1)::timestamp AT TIME ZONE 'UTC'));
  EXCEPTION WHEN duplicate_table THEN
    NULL;
  END;
  RETURN name;
END;
$$;

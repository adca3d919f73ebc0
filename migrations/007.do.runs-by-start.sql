-- The run listing (GET /v2/lm/runs) pages a group's runs by their first line, newest first: without this
-- index every page reads and sorts all of the group's runs.
CREATE INDEX runs_by_start ON runs (resource_group, first_ts, first_ns, run_kind, run_id);

-- Run labels (docs/runs.md): string → string, set by PATCH /v2/lm/{deployments|executions}/{id} and taken
-- from shipper records by COLLECTOR_RUN_LABELS. Harness's application, service, environment, ... are labels.
-- A constant default adds the column without rewriting the table.
ALTER TABLE runs ADD COLUMN labels jsonb NOT NULL DEFAULT '{}'::jsonb;

-- Run listings and exports select runs by label containment (labels @> '{"application":"x"}').
CREATE INDEX runs_labels ON runs USING gin (labels jsonb_path_ops);

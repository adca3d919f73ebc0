-- Most runs have no labels. The GIN index on labels kept an entry for each empty object too (and, filled
-- row by row, a pending list of them); a run without labels can never match a containment of a label, so
-- the index now holds only runs that have labels, and the containment conditions say so
-- (src/store/run-conditions.ts), which lets the planner use it.
DROP INDEX IF EXISTS runs_labels;
CREATE INDEX runs_labels ON runs USING gin (labels jsonb_path_ops) WHERE labels <> '{}'::jsonb;

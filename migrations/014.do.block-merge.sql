-- Background merging of blocks (src/store/block-merge.ts).
-- runs.unmerged_blocks counts the blocks ingest wrote since the run was last examined by the merger (all of a
-- batch's blocks when the batch reaches back before the run's last line, else only its part-filled ones), so
-- the merger finds its work through a small partial index instead of scanning log_blocks. Runs that exist
-- already start at 1: each is examined once (ADD COLUMN with a constant default rewrites nothing).
ALTER TABLE runs ADD COLUMN unmerged_blocks integer NOT NULL DEFAULT 1;
ALTER TABLE runs ALTER COLUMN unmerged_blocks SET DEFAULT 0;
CREATE INDEX runs_unmerged ON runs (updated_at) WHERE unmerged_blocks > 0;

-- A merged block's random id (0: written by ingest). A merged block may start (or end) at the same line as
-- one it replaced, so readers that keep decoded blocks name a block by its edge line and this id.
ALTER TABLE log_blocks ADD COLUMN merge_id bigint NOT NULL DEFAULT 0;

-- Reads in both orders walk log_blocks by its primary key (first line): a descending read puts a page's
-- blocks in order of last line itself, bounded by runs.block_span (src/store/block-read.ts). The index by
-- last line cost a B-tree entry per block on every insert and merge, and about 2 bytes a line on disk.
DROP INDEX IF EXISTS log_blocks_by_last;

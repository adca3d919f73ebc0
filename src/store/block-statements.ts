// Blocks go in through one statement: a batch's (or a merge's) blocks as arrays, one per column, unnested.
// Reads take their pages of blocks in block-read.ts, beside the merge that uses them.

export const INSERT_BLOCKS = `INSERT INTO log_blocks (resource_group, run_kind, run_id, first_ts, first_ns, first_seq,
  last_ts, last_ns, last_seq, min_seq, max_seq, line_count, filter, payload)
SELECT * FROM unnest($1::text[], $2::run_kind[], $3::text[], $4::timestamptz[], $5::smallint[], $6::bigint[],
  $7::timestamptz[], $8::smallint[], $9::bigint[], $10::bigint[], $11::bigint[], $12::int[], $13::bytea[], $14::bytea[])`

-- Preset dictionaries for small blocks (payload version 3, src/store/block-dictionary.ts): a few kilobytes of
-- the store's own recent message templates, with which a block of a few dozen lines compresses to about half
-- of what it does alone. A block names the dictionary it was compressed with by `id`, the first 31 bits of the
-- bytes' SHA-256 (content-addressed: replicas that train the same bytes write the same row, and a reader checks
-- what it fetched). Rows are immutable and never deleted: they are tiny, and a block may name one for years.
CREATE TABLE block_dictionaries (
  id integer PRIMARY KEY,
  bytes bytea NOT NULL,
  created timestamptz NOT NULL DEFAULT now()
);

// Citus (docs/scaling.md): when the citus extension is installed in the database, every start distributes
// the tables that are not distributed yet, after the migrations and under their lock. Without it, nothing.
import type pg from 'pg'

/** Where a table lives on a Citus cluster. */
export type Placement =
  | { kind: 'distributed', column: string, colocateWith: string }
  | { kind: 'reference' }
  | { kind: 'local' }

/**
 * A run's tables: hash-distributed on `run_id` (Citus distributes by one column; the queries still filter
 * on the whole run key) and co-located with `runs`, so a run's row and everything it owns sit on one shard.
 */
export const BY_RUN: Placement = { kind: 'distributed', column: 'run_id', colocateWith: 'runs' }

/**
 * Every table the migrations make, in creation order (a table is co-located with one listed before it).
 * test/citus.test.ts fails when a migration adds a table that is not listed here.
 */
export const CITUS_PLACEMENTS: ReadonlyArray<readonly [table: string, placement: Placement]> = [
  // The anchor of the run-key co-location group.
  ['runs', { kind: 'distributed', column: 'run_id', colocateWith: 'none' }],
  // Lines, in compressed blocks of one run each (block-build.ts).
  ['log_blocks', BY_RUN],
  // One write per idempotent request: `key` is the random part of (scope, key), and the claim names it.
  ['idempotency_keys', { kind: 'distributed', column: 'key', colocateWith: 'none' }],
  // A few rows per group and day: the queue claim (SKIP LOCKED) and the quota's lock stay plain PostgreSQL.
  ['exports', { kind: 'local' }],
  // An export's deliveries, claimed with SKIP LOCKED beside it.
  ['export_notifications', { kind: 'local' }],
  // Preset dictionaries of small blocks (block-dictionary.ts): a few immutable rows every shard's blocks may name.
  ['block_dictionaries', { kind: 'reference' }],
  // postgrator's record of the migrations applied.
  ['schema_version', { kind: 'local' }]
]

interface CitusTable { type: string, column: string, colocation: number }

/**
 * Distributes what is not distributed yet; returns what it did ("runs: distributed by run_id"). The caller
 * holds the migrations' advisory lock, so replicas starting at once take turns and the later ones find
 * everything done. A table already distributed otherwise than listed stops the start with its name.
 */
export async function distributeTables (client: pg.ClientBase): Promise<string[]> {
  const citus = await client.query("SELECT 1 FROM pg_extension WHERE extname = 'citus'")
  if (citus.rowCount === 0) return []
  const local = await client.query<{ groupid: number }>('SELECT groupid FROM pg_dist_local_group')
  if ((local.rows[0]?.groupid ?? 0) !== 0) {
    throw new Error('the database is a Citus worker: connect the service to the coordinator (docs/scaling.md)')
  }
  const done: string[] = []
  for (const [table, placement] of CITUS_PLACEMENTS) {
    if (placement.kind === 'local') continue
    const current = await citusTable(client, table)
    if (current === undefined) {
      done.push(await place(client, table, placement))
      continue
    }
    const expected = placement.kind === 'reference' ? 'reference' : 'distributed'
    const colocated = placement.kind !== 'distributed' || placement.colocateWith === 'none' ||
      current.colocation === (await citusTable(client, placement.colocateWith))?.colocation
    if (current.type !== expected || (placement.kind === 'distributed' && current.column !== placement.column) || !colocated) {
      throw new Error(`${table} is a ${current.type} table on ${current.column}, not ${describe(placement)} as docs/scaling.md says: ` +
        'change it with alter_distributed_table or undistribute_table')
    }
  }
  return done
}

async function citusTable (client: pg.ClientBase, table: string): Promise<CitusTable | undefined> {
  const { rows } = await client.query<CitusTable>(
    `SELECT citus_table_type AS type, distribution_column AS column, colocation_id AS colocation
       FROM citus_tables WHERE table_name = $1::regclass`, [table])
  return rows[0]
}

async function place (client: pg.ClientBase, table: string, placement: Placement): Promise<string> {
  if (placement.kind === 'distributed') {
    await client.query('SELECT create_distributed_table($1::regclass, $2, colocate_with => $3)', [table, placement.column, placement.colocateWith])
  } else {
    await client.query('SELECT create_reference_table($1::regclass)', [table])
  }
  // Rows that were there before are now in the shards; the coordinator's copies are dead weight.
  await client.query('SELECT truncate_local_data_after_distributing_table($1::regclass)', [table])
  return `${table}: ${describe(placement)}`
}

const describe = (placement: Placement): string => placement.kind === 'distributed'
  ? `distributed by ${placement.column}${placement.colocateWith === 'none' ? '' : `, co-located with ${placement.colocateWith}`}`
  : placement.kind

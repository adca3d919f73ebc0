// Labels shippers' records give their runs (COLLECTOR_RUN_LABELS), merged in the ingest's transaction, so
// a batch's lines and the labels they carried are committed together.
import type pg from 'pg'
import type { Labels } from '../labels.js'
import type { RunKey } from '../model.js'

const MERGE = `UPDATE runs r SET labels = r.labels || l.labels
  FROM (SELECT * FROM jsonb_to_recordset($1::jsonb) AS x(g text, k run_kind, i text, labels jsonb)) l
  WHERE r.resource_group = l.g AND r.run_kind = l.k AND r.run_id = l.i AND NOT r.labels @> l.labels`

/** Runs already locked by the ingest (their rows were upserted first), so no new lock order arises. */
export async function mergeShipperLabels (client: pg.PoolClient, runs: Array<{ run: RunKey, labels?: Labels }>): Promise<void> {
  const labelled = runs.filter((r) => r.labels !== undefined).map(({ run, labels }) => ({ g: run.group, k: run.kind, i: run.id, labels }))
  if (labelled.length > 0) await client.query(MERGE, [JSON.stringify(labelled)])
}

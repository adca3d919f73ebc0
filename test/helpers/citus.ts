// Test databases on a live Citus cluster (TEST_CITUS_URL: a coordinator with its workers added). Citus does
// not make a database on the workers, so each test database is made on every node, with the extension in
// each, and the coordinator's new database learns the nodes that the cluster's own database knows.
import pg from 'pg'

/** Whether the suite runs on a Citus cluster. */
export const onCitus = (process.env.TEST_CITUS_URL ?? '') !== ''

interface ClusterNode { host: string, port: number, coordinator: boolean }

async function query<R extends pg.QueryResultRow = pg.QueryResultRow> (url: string, sql: string, values: unknown[] = []): Promise<R[]> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    return (await client.query<R>(sql, values)).rows
  } finally {
    await client.end()
  }
}

/** `url` with another node's host and port, and another database when given. */
function onNode (url: string, node: ClusterNode, database?: string): string {
  const u = new URL(url)
  u.hostname = node.host
  u.port = String(node.port)
  if (database !== undefined) u.pathname = `/${database}`
  return u.toString()
}

/** The cluster's active primaries, as the coordinator at `adminUrl` knows them (its own row when it has one). */
async function clusterNodes (adminUrl: string): Promise<ClusterNode[]> {
  const rows = await query<{ host: string, port: number, groupid: number }>(adminUrl,
    "SELECT nodename AS host, nodeport AS port, groupid FROM pg_dist_node WHERE isactive AND noderole = 'primary' ORDER BY groupid")
  return rows.map((r) => ({ host: r.host, port: r.port, coordinator: r.groupid === 0 }))
}

/** Makes `name` on every node with Citus in each, and adds the workers to its coordinator. */
export async function createOnCluster (adminUrl: string, name: string): Promise<void> {
  const nodes = await clusterNodes(adminUrl)
  const workers = nodes.filter((n) => !n.coordinator)
  if (workers.length === 0) throw new Error('TEST_CITUS_URL: the coordinator has no workers (citus_add_node)')
  const url = new URL(adminUrl)
  url.pathname = `/${name}`
  await Promise.all([
    query(url.toString(), 'CREATE EXTENSION citus'),
    ...workers.map(async (worker) => {
      await query(onNode(adminUrl, worker), `CREATE DATABASE ${name}`)
      await query(onNode(adminUrl, worker, name), 'CREATE EXTENSION citus')
    })
  ])
  const coordinator = nodes.find((n) => n.coordinator)
  if (coordinator !== undefined) await query(url.toString(), 'SELECT citus_set_coordinator_host($1, $2)', [coordinator.host, coordinator.port])
  for (const worker of workers) await query(url.toString(), 'SELECT citus_add_node($1, $2)', [worker.host, worker.port])
}

/** Drops `name` from the workers (the coordinator's copy is dropped by the caller first). */
export async function dropOnWorkers (adminUrl: string, name: string): Promise<void> {
  const workers = (await clusterNodes(adminUrl)).filter((n) => !n.coordinator)
  await Promise.all(workers.map(async (worker) => await query(onNode(adminUrl, worker), `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)))
}

/**
 * Statements to run, in the same session and one by one, before a CREATE TRIGGER on a service table: Citus
 * refuses triggers on distributed tables unless `citus.enable_unsafe_triggers` is on (a trigger runs on each
 * shard and sees only that shard). The tests' triggers only refuse a statement, which is safe there. None
 * on plain PostgreSQL.
 */
export const ALLOW_TRIGGERS: readonly string[] = onCitus ? ['SET citus.enable_unsafe_triggers = on'] : []

/** The same database on the cluster's first worker. */
export async function onFirstWorker (databaseUrl: string): Promise<string> {
  const worker = (await clusterNodes(databaseUrl)).find((n) => !n.coordinator)
  if (worker === undefined) throw new Error('the cluster has no worker')
  return onNode(databaseUrl, worker)
}

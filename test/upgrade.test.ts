// A database written by release 0.1 (one row per line, migrations 001 to 007) upgrades in place: `migrate`
// turns its lines into blocks, and every line reads back byte for byte, in the same order, with its seq.
import { fileURLToPath } from 'node:url'
import pg from 'pg'
import Postgrator from 'postgrator'
import t from 'tap'
import { migrate } from '../src/store/migrate.js'
import { authHeaders, buildTestApp } from './helpers/app.js'
import { onCitus } from './helpers/citus.js'
import { createEmptyDatabase } from './helpers/database.js'

const MIGRATIONS = fileURLToPath(new URL('../migrations/*.sql', import.meta.url))

interface OldLine { run: string, ts: string, ns: number, seq: number, container: string, pod: string, stream: string, msg: string }

// Messages the old store kept as text: escapes, line breaks, tabs, unicode, empty, long.
const MESSAGES = ['plain', 'tab\there', 'line\nbreak\r\nwindows', 'back\\slash \\n not a newline', '', 'ünïcödé ✓ 日本語 🚀',
  '{"level":"info","msg":"json \\"quoted\\""}', 'x'.repeat(20_000), ' leading and trailing spaces ']

function oldLines (): OldLine[] {
  const lines: OldLine[] = []
  for (const run of ['e-old-a', 'e-old-b']) {
    let seq = 0
    // Three days, equal timestamps with different nanoseconds and seqs, and one line of 1850.
    for (const [day, count] of [['2026-01-10', 30], ['2026-01-11', 5000], ['2026-01-12', 7]] as const) {
      for (let i = 0; i < count; i++) {
        const second = Math.floor(i / 3)
        const ts = `${day} ${String(Math.floor(second / 3600) % 24).padStart(2, '0')}:${String(Math.floor(second / 60) % 60).padStart(2, '0')}:${String(second % 60).padStart(2, '0')}.${String(i % 7 * 1000).padStart(6, '0')}+00`
        lines.push({ run, ts, ns: i % 3 === 2 ? 999 : 0, seq: seq++, container: `c${i % 2}`, pod: `pod-${i % 3}`, stream: i % 10 === 0 ? 'stderr' : 'stdout', msg: `${MESSAGES[i % MESSAGES.length] as string} ${i}` })
      }
    }
    lines.push({ run, ts: '1850-03-01 00:00:00+00', ns: 5, seq: seq++, container: 'c0', pod: 'pod-0', stream: 'stdout', msg: 'from 1850' })
  }
  return lines
}

t.test('a database of release 0.1 upgrades in place and reads back byte for byte', async (t) => {
  const databaseUrl = await createEmptyDatabase(t, 'runlogs_upgrade')
  const name = new URL(databaseUrl).pathname.slice(1)

  // The old schema, and lines written the way release 0.1 wrote them (partition, rows, run).
  const client = new pg.Client({ connectionString: databaseUrl })
  await client.connect()
  const lines = oldLines()
  try {
    const postgrator = new Postgrator({ migrationPattern: MIGRATIONS, driver: 'pg', database: name, schemaTable: 'schema_version', execQuery: async (q) => await client.query(q) })
    await postgrator.migrate('007')
    // On a Citus cluster, release 0.1's tables were distributed by hand, as its docs/scaling.md said.
    if (onCitus) {
      await client.query(`SELECT create_distributed_table('runs', 'run_id');
        SELECT create_distributed_table('log_lines', 'run_id', colocate_with => 'runs');
        SELECT create_distributed_table('idempotency_keys', 'key', colocate_with => 'none')`)
    }
    for (const day of ['2026-01-10', '2026-01-11', '2026-01-12', '1850-03-01']) await client.query('SELECT log_lines_ensure_partition($1::date)', [day])
    for (let i = 0; i < lines.length; i += 1000) {
      const chunk = lines.slice(i, i + 1000)
      await client.query(`INSERT INTO log_lines (resource_group, run_kind, run_id, ts, ts_ns, seq, container, pod, stream, msg)
        SELECT 'default', 'execution', * FROM unnest($1::text[], $2::timestamptz[], $3::smallint[], $4::bigint[], $5::text[], $6::text[], $7::text[], $8::text[])`,
      [chunk.map((l) => l.run), chunk.map((l) => l.ts), chunk.map((l) => l.ns), chunk.map((l) => l.seq), chunk.map((l) => l.container), chunk.map((l) => l.pod), chunk.map((l) => l.stream), chunk.map((l) => l.msg)])
    }
    await client.query(`INSERT INTO runs (resource_group, run_kind, run_id, first_ts, first_ns, last_ts, last_ns, line_count, next_seq)
      SELECT resource_group, run_kind, run_id, min(ts), 0, max(ts), 0, count(*), count(*) FROM log_lines GROUP BY 1, 2, 3`)
  } finally {
    await client.end()
  }

  t.ok((await migrate(databaseUrl)).map((f) => f.split('/').at(-1)).includes('008.do.log-blocks.sql'), 'the block store migration applies')
  const check = new pg.Client({ connectionString: databaseUrl })
  await check.connect()
  const { rows: [state] } = await check.query<{ legacy: string | null, lines: number }>(
    "SELECT to_regclass('legacy_log_lines')::text AS legacy, (SELECT sum(line_count)::int FROM log_blocks) AS lines")
  const placed = onCitus
    ? (await check.query<{ name: string, type: string, column: string, colocated: boolean }>(`SELECT table_name::text AS name, citus_table_type AS type,
        distribution_column AS column, colocation_id = (SELECT colocation_id FROM citus_tables WHERE table_name = 'runs'::regclass) AS colocated
        FROM citus_tables WHERE table_name IN ('runs'::regclass, 'log_blocks'::regclass) ORDER BY 1`)).rows
    : []
  await check.end()
  t.same(state, { legacy: null, lines: lines.length }, 'every line is in a block and the old table is gone')
  if (onCitus) {
    t.same(placed, [{ name: 'log_blocks', type: 'distributed', column: 'run_id', colocated: true }, { name: 'runs', type: 'distributed', column: 'run_id', colocated: true }],
      'on Citus, the blocks are distributed with their runs')
  }
  t.same(await migrate(databaseUrl), [], 'a second start finds nothing to do')

  const { app } = await buildTestApp(t, { databaseUrl, env: { LOG_RETENTION_DAYS: '0' } })
  const headers = await authHeaders()
  const pgToApi = (l: OldLine): string => {
    const micros = (l.ts.split('.')[1] ?? '').replace('+00', '').padEnd(6, '0')
    const digits = `${micros}${String(l.ns).padStart(3, '0')}`
    const fraction = digits.endsWith('000000') ? digits.slice(0, 3) : digits.endsWith('000') ? digits.slice(0, 6) : digits
    return `${l.ts.slice(0, 10)}T${l.ts.slice(11, 19)}.${fraction}+00:00`
  }
  for (const run of ['e-old-a', 'e-old-b']) {
    const expected = lines.filter((l) => l.run === run).sort((a, b) => (a.ts < b.ts ? -1 : a.ts > b.ts ? 1 : a.ns - b.ns || a.seq - b.seq))
    const got: unknown[] = []
    let cursor: string | undefined
    do {
      const res = await app.inject({ url: `/v2/lm/executions/${run}/logs?start=1800-01-01T00:00:00Z&$top=1000${cursor === undefined ? '' : `&cursor=${cursor}`}`, headers })
      t.equal(res.statusCode, 200)
      const body = res.json<{ data: { result: unknown[], nextCursor?: string } }>()
      got.push(...body.data.result)
      cursor = body.data.nextCursor
    } while (cursor !== undefined)
    t.same(got, expected.map((l) => ({ container: l.container, msg: l.msg, pod: l.pod, stream: l.stream, timestamp: pgToApi(l) })), `${run}: ${expected.length} lines, byte for byte, in order`)
    // The sequence goes on: a new line comes after the old ones at an equal timestamp.
    const res = await app.inject({ method: 'POST', url: `/v2/lm/executions/${run}/logs`, headers, payload: [{ timestamp: '2026-01-12T00:00:02.006Z', msg: 'new' }] })
    t.equal(res.statusCode, 200)
    const tail = await app.inject({ url: `/v2/lm/executions/${run}/logs?start=2026-01-12T00:00:02.006Z&end=2026-01-12T00:00:02.007Z`, headers })
    t.same(tail.json<{ data: { result: Array<{ msg: string }> } }>().data.result.map((l) => l.msg).at(-1), 'new')
  }
})

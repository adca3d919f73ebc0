// The block payload: version 2 (a head and message granules, each with its trigram filter) round-trips every
// message; a search finds every match inside a line, never one across two lines, and opens only the granules
// that may hold its value; version-1 payloads (one zstd frame, as the first block store wrote) still read,
// alone and merged with version-2 blocks of the same run; version 3 (a small block with a stored dictionary)
// round-trips too, reads with the others, and a missing dictionary is an error, not wrong lines.
import { compress, decompress } from '@mongodb-js/zstd'
import pg from 'pg'
import t from 'tap'
import { BLOCK_LINES, BlockRows, blockSpan, buildBlocks, DICT_MAX_LINES, GRANULE_LINES, type BuiltBlock } from '../src/store/block-build.js'
import { blockParts, DecodedBlock, encodeColumns, payloadLayout, type BlockLine } from '../src/store/block-codec.js'
import { addDictionarySource, DICTIONARY_BYTES, dictionaryId, saveDictionary, trainDictionary } from '../src/store/block-dictionary.js'
import { buildFilter, granuleMayHold, granuleProbe } from '../src/store/block-filter.js'
import { decodePayload } from '../src/store/block-open.js'
import { readRange } from '../src/store/block-read.js'
import { INSERT_BLOCKS } from '../src/store/block-statements.js'
import { createPool } from '../src/store/pool.js'
import { createTestDatabase } from './helpers/database.js'

const DAY = 20_619 // 2026-06-15
const DAY_NS = 86_400_000_000_000n
const line = (i: number, msg: string): BlockLine =>
  ({ day: DAY, t: 36_000_000_000_000 + i * 1_000_000, seq: i, pod: `pod-${i % 3}`, container: 'main', stream: i % 7 === 0 ? 'stderr' : 'stdout', msg })
const inflate = async (frame: Buffer): Promise<Buffer> => await decompress(frame)
const v1Payload = async (lines: BlockLine[]): Promise<Buffer> => await compress(encodeColumns(lines), 3)

/** The lines of one block of the old layout (version 1), as the first block store built it. */
async function v1Block (lines: BlockLine[]): Promise<BuiltBlock> {
  const first = lines[0] as BlockLine
  const last = lines[lines.length - 1] as BlockLine
  const minSeq = Math.min(...lines.map((l) => l.seq))
  return {
    first: { day: first.day, t: first.t, seq: first.seq },
    last: { day: last.day, t: last.t, seq: last.seq },
    minSeq,
    maxSeq: Math.max(...lines.map((l) => l.seq)),
    count: lines.length,
    filter: buildFilter(lines.map((l) => Buffer.from(l.msg))),
    payload: await v1Payload(lines.map((l) => ({ ...l, seq: l.seq - minSeq })))
  }
}

const hitsOf = (hit: Uint8Array): number[] => [...hit.keys()].filter((i) => hit[i] === 1)

t.test('a version-2 block holds a head and granules of GRANULE_LINES lines; every message reads back', async (t) => {
  t.ok(BLOCK_LINES >= 2 * GRANULE_LINES, 'a block holds two granules or more')
  const messages = Array.from({ length: GRANULE_LINES + 3 }, (_, i) =>
    i % 5 === 0 ? '' : i % 5 === 1 ? `ünïcödé ✓ 日本語 ${i} 🚀` : `line ${i} of the block`)
  const [block] = await buildBlocks(messages.map((m, i) => line(i, m)))
  const parts = blockParts((block as BuiltBlock).payload)
  t.ok(parts, 'not a version-1 payload')
  t.equal(parts?.granuleLines, GRANULE_LINES)
  t.equal(parts?.granules.length, 2, 'a full granule and one of 3 lines')
  const decoded = await decodePayload((block as BuiltBlock).payload, (block as BuiltBlock).minSeq)
  t.same(Array.from({ length: decoded.n }, (_, i) => decoded.msg(i)), messages)
  t.same(decoded.labelsOf(7), ['pod-1', 'main', 'stderr'])
  t.equal(decoded.seq[messages.length - 1], messages.length - 1)
})

t.test('a 1-line block, a block of empty messages, and a block cut at BLOCK_LINES', async (t) => {
  const [one] = await buildBlocks([line(0, 'only')])
  const d1 = await decodePayload((one as BuiltBlock).payload, 0)
  t.equal(d1.n, 1)
  t.equal(d1.msg(0), 'only')
  t.equal(blockParts((one as BuiltBlock).payload)?.granules[0]?.filter.length, 0, 'a block of one granule has no granule filter')
  t.same(hitsOf(await d1.matching(Buffer.from('only'), inflate, (f) => granuleMayHold(f, granuleProbe('only')))), [0], 'and is searched')
  const [empty] = await buildBlocks([line(0, ''), line(1, ''), line(2, '')])
  const d2 = await decodePayload((empty as BuiltBlock).payload, 0)
  t.same([d2.msg(0), d2.msg(1), d2.msg(2)], ['', '', ''])
  t.same(hitsOf(await d2.matching(Buffer.from('x'), inflate)), [], 'nothing to find in empty messages')
  const blocks = await buildBlocks(Array.from({ length: BLOCK_LINES + 1 }, (_, i) => line(i, `m${i}`)))
  t.same(blocks.map((b) => b.count), [BLOCK_LINES, 1])
})

t.test('contains: every match inside a line, at granule edges too; none across two lines or two granules', async (t) => {
  const G = GRANULE_LINES
  const messages = Array.from({ length: 2 * G }, (_, i) => `plain line ${i}`)
  messages[10] = 'ends with quo'
  messages[11] = 'kka starts this one' // quokka across lines 10 and 11 of one granule: no match
  messages[G - 2] = 'the last but one of granule 0 says quokka'
  messages[G - 1] = 'the granule ends in quok' // across granules 0 and 1: no match
  messages[G] = 'ka, and the next one starts'
  messages[G + 1] = 'quokka' // the whole message
  messages[G + 5] = 'a partial word: xquokkay'
  messages[2 * G - 1] = 'quokkaquokka, the last line of the block'
  const [block] = await buildBlocks(messages.map((m, i) => line(i, m)))
  const decoded = await decodePayload((block as BuiltBlock).payload, 0)
  t.equal(decoded.n, 2 * G, 'one block')
  t.same(hitsOf(await decoded.matching(Buffer.from('quokka'), inflate)), [G - 2, G + 1, G + 5, 2 * G - 1])
  t.same(hitsOf(await decoded.matching(Buffer.from('okka'), inflate)), [G - 2, G + 1, G + 5, 2 * G - 1], 'not a whole word')
  // Shorter than a trigram, with digits (left out of the filters), spaces, the whole of a message: as includes().
  for (const value of ['o', 'ka', 'line 7', ' 51', 'ka, and the next one starts', 'quokkaquokka']) {
    const expected = [...messages.keys()].filter((i) => (messages[i] as string).includes(value))
    t.same(hitsOf(await decoded.matching(Buffer.from(value), inflate)), expected, `contains ${JSON.stringify(value)}`)
  }
})

t.test('a search opens only the granules whose filter may hold its value', async (t) => {
  const G = GRANULE_LINES
  const messages = Array.from({ length: 2 * G }, (_, i) => `request ${i} served in ${i % 97} ms`)
  messages[G + 17] = 'request failed: wombat detected'
  const [block] = await buildBlocks(messages.map((m, i) => line(i, m)))
  const payload = (block as BuiltBlock).payload
  const parts = blockParts(payload)
  const probe = granuleProbe('wombat')
  t.same(parts?.granules.map((g) => granuleMayHold(g.filter, probe)), [false, true])
  const head = await decodePayload(payload, 0)
  t.ok(head.loaded(0))
  // A fresh decode of the head alone, as a read makes it: only the matching granule is loaded by the search.
  const fresh = new DecodedBlock(await decompress(parts?.head as Buffer), 0, parts)
  t.same(hitsOf(await fresh.matching(Buffer.from('wombat'), inflate, (f) => granuleMayHold(f, probe))), [G + 17])
  t.same([0, 1].map((g) => fresh.loaded(g)), [false, true])
  t.throws(() => fresh.msg(0), /not loaded/, 'an unloaded granule is never read as empty')
  t.same(granuleProbe('12345'), [], 'a value of digits only checks no filter')
})

t.test('version-1 blocks still read, alone and merged with version-2 blocks of the same run', async (t) => {
  const url = await createTestDatabase(t)
  const pool = createPool(url, 2)
  t.teardown(async () => await pool.end())
  const all = Array.from({ length: 3000 }, (_, i) => line(i, i % 400 === 3 ? `found quokka ${i}` : `message ${i} ✓`))
  // Old blocks hold the even lines, new ones the odd: their times interleave, so every read merges both.
  const even = all.filter((l) => l.seq % 2 === 0)
  const odd = all.filter((l) => l.seq % 2 === 1)
  const blocks = [await v1Block(even.slice(0, 1000)), await v1Block(even.slice(1000)), ...await buildBlocks(odd.map((l) => ({ ...l })))]
  t.notOk(blockParts(blocks[0]?.payload as Buffer), 'the old blocks are version 1')
  t.ok(blockParts(blocks[2]?.payload as Buffer), 'the new ones version 2')
  const run = { group: 'g', kind: 'deployment' as const, id: 'mixed' }
  const rows = new BlockRows()
  for (const b of blocks) rows.add(run, 0, b)
  await pool.query("SELECT log_blocks_ensure_partition('2026-06-15')")
  await pool.query(`INSERT INTO runs (resource_group, run_kind, run_id, first_ts, first_ns, last_ts, last_ns, line_count, next_seq, block_span)
    VALUES ('g', 'deployment', 'mixed', '2026-06-15 10:00:00+00', 0, '2026-06-15 11:00:00+00', 0, 3000, 3000, $1::interval)`, [blockSpan(blocks)])
  await pool.query(INSERT_BLOCKS, rows.columns)

  const start = BigInt(DAY) * DAY_NS
  const range = { run, start, end: start + DAY_NS, top: 5000, order: 'asc' as const }
  const asc = await readRange(pool, range, 5000)
  t.same(asc.map((r) => r.msg), all.map((l) => l.msg), 'every line once, in order')
  t.same(asc.map((r) => r.seq), all.map((l) => String(l.seq)))
  const desc = await readRange(pool, { ...range, order: 'desc' }, 5000)
  t.same(desc.map((r) => r.msg), all.map((l) => l.msg).reverse())
  const found = await readRange(pool, { ...range, filters: { contains: 'quokka' } }, 5000)
  t.same(found.map((r) => r.seq), all.filter((l) => l.msg.includes('quokka')).map((l) => String(l.seq)), 'a search finds the lines of both layouts')
  // A page after a cursor in the middle of an old block.
  const page = await readRange(pool, { ...range, after: { ts: asc[1499]?.ts as string, nanos: asc[1499]?.nanos as number, seq: asc[1499]?.seq as string } }, 100)
  t.same(page.map((r) => r.seq), all.slice(1500, 1600).map((l) => String(l.seq)))
  const stderr = await readRange(pool, { ...range, filters: { stream: 'stderr', contains: '✓' } }, 5000)
  t.same(stderr.map((r) => r.seq), all.filter((l) => l.stream === 'stderr' && l.msg.includes('✓')).map((l) => String(l.seq)))
})

t.test('a block deleted between its page and its payload (a merge replacing it): the read starts again and loses no line', async (t) => {
  const url = await createTestDatabase(t)
  const pool = createPool(url, 2)
  t.teardown(async () => await pool.end())
  const all = Array.from({ length: 3000 }, (_, i) => line(i, `line ${i}`))
  const run = { group: 'g', kind: 'deployment' as const, id: 'merged' }
  const insert = async (db: pg.Pool | pg.PoolClient, blocks: BuiltBlock[]): Promise<void> => {
    const rows = new BlockRows()
    for (const b of blocks) rows.add(run, 0, b)
    await db.query(INSERT_BLOCKS, rows.columns)
  }
  await pool.query("SELECT log_blocks_ensure_partition('2026-06-15')")
  await pool.query(`INSERT INTO runs (resource_group, run_kind, run_id, first_ts, first_ns, last_ts, last_ns, line_count, next_seq, block_span)
    VALUES ('g', 'deployment', 'merged', '2026-06-15 10:00:00+00', 0, '2026-06-15 11:00:00+00', 0, 3000, 3000, '1 hour')`)
  await insert(pool, await buildBlocks(all.map((l) => ({ ...l }))))
  // The first payload fetch finds the run's blocks replaced, in one transaction, by blocks cut elsewhere.
  let merges = 0
  const merging = new Proxy(pool, {
    get (target, key) {
      if (key !== 'query') return Reflect.get(target, key)
      return async (config: pg.QueryConfig, values?: unknown[]) => {
        if (config.name === 'block-payload' && merges++ === 0) {
          const client = await target.connect()
          try {
            await client.query('BEGIN')
            await client.query("DELETE FROM log_blocks WHERE run_id = 'merged'")
            await insert(client, [...await buildBlocks(all.slice(0, 1000).map((l) => ({ ...l }))), ...await buildBlocks(all.slice(1000).map((l) => ({ ...l })))])
            await client.query('COMMIT')
          } finally {
            client.release()
          }
        }
        return await target.query(config, values)
      }
    }
  })
  const start = BigInt(DAY) * DAY_NS
  const rows = await readRange(merging, { run, start, end: start + DAY_NS, top: 2500, order: 'asc' }, 2500)
  t.equal(merges > 1, true, 'the read fetched payloads again after the merge')
  t.same(rows.map((r) => r.seq), all.slice(0, 2500).map((l) => String(l.seq)), 'every line once, in order')
})

t.test('a block replaced under the same first line (a merge) is never served from the decoded-block cache', async (t) => {
  const url = await createTestDatabase(t)
  const pool = createPool(url, 2)
  t.teardown(async () => await pool.end())
  const all = Array.from({ length: 300 }, (_, i) => line(i, `line ${i}`))
  const run = { group: 'g', kind: 'deployment' as const, id: 'cached' }
  const replace = async (blocks: BuiltBlock[]): Promise<void> => {
    const rows = new BlockRows()
    for (const b of blocks) rows.add(run, 0, b)
    await pool.query("DELETE FROM log_blocks WHERE run_id = 'cached'")
    await pool.query(INSERT_BLOCKS, rows.columns)
  }
  await pool.query("SELECT log_blocks_ensure_partition('2026-06-15')")
  await pool.query(`INSERT INTO runs (resource_group, run_kind, run_id, first_ts, first_ns, last_ts, last_ns, line_count, next_seq, block_span)
    VALUES ('g', 'deployment', 'cached', '2026-06-15 10:00:00+00', 0, '2026-06-15 11:00:00+00', 0, 300, 300, '1 hour')`)
  // Two blocks whose times interleave (even and odd lines), then one block of all: the same first line.
  await replace([...await buildBlocks(all.filter((l) => l.seq % 2 === 0).map((l) => ({ ...l }))), ...await buildBlocks(all.filter((l) => l.seq % 2 === 1).map((l) => ({ ...l })))])
  const start = BigInt(DAY) * DAY_NS
  const range = { run, start, end: start + DAY_NS, top: 300, order: 'asc' as const }
  t.equal((await readRange(pool, range, 300)).length, 300, 'read once: the blocks are cached')
  await replace(await buildBlocks(all.map((l) => ({ ...l }))))
  t.same((await readRange(pool, range, 300)).map((r) => r.seq), all.map((l) => String(l.seq)), 'the merged block read, not the cached one')
})

t.test('a read without a cursor takes its first block\'s payload with its page, and fetches the others by key', async (t) => {
  const url = await createTestDatabase(t)
  const pools = [createPool(url, 2), createPool(url, 2)]
  t.teardown(async () => { for (const p of pools) await p.end() })
  const pool = pools[0] as pg.Pool
  const all = Array.from({ length: 3000 }, (_, i) => line(i, `line ${i}`))
  const run = { group: 'g', kind: 'deployment' as const, id: 'first' }
  await pool.query("SELECT log_blocks_ensure_partition('2026-06-15')")
  await pool.query(`INSERT INTO runs (resource_group, run_kind, run_id, first_ts, first_ns, last_ts, last_ns, line_count, next_seq, block_span)
    VALUES ('g', 'deployment', 'first', '2026-06-15 10:00:00+00', 0, '2026-06-15 11:00:00+00', 0, 3000, 3000, '1 hour')`)
  const rows = new BlockRows()
  for (const b of await buildBlocks(all.map((l) => ({ ...l })))) rows.add(run, 0, b)
  await pool.query(INSERT_BLOCKS, rows.columns)
  const names: string[] = []
  // Each pool its own decoded-block cache.
  const [first, second] = pools.map((p) => new Proxy(p, {
    get (target, key) {
      if (key !== 'query') return Reflect.get(target, key)
      return async (config: pg.QueryConfig, values?: unknown[]) => { names.push(config.name ?? ''); return await target.query(config, values) }
    }
  })) as [pg.Pool, pg.Pool]
  const start = BigInt(DAY) * DAY_NS
  const range = { run, start, end: start + DAY_NS, top: 100, order: 'asc' as const }
  const page = await readRange(first, range, 100)
  t.same(page.map((r) => r.seq), all.slice(0, 100).map((l) => String(l.seq)))
  t.same(names.splice(0), ['blocks-asc-keys1'], 'one statement: the page, with the first payload')
  t.same((await readRange(first, { ...range, order: 'desc' }, 100)).map((r) => r.seq), all.slice(2900).reverse().map((l) => String(l.seq)))
  t.same(names.splice(0), ['blocks-desc-keys1'])
  t.same((await readRange(second, { ...range, top: 2500 }, 2500)).map((r) => r.seq), all.slice(0, 2500).map((l) => String(l.seq)))
  t.same(names.splice(0), ['blocks-asc-keys1', 'block-payload'], 'the second block fetched by its key')
  const after = (page[99] as (typeof page)[number]).position
  t.same((await readRange(first, { ...range, after }, 100)).map((r) => r.seq), all.slice(100, 200).map((l) => String(l.seq)))
  t.same(names.splice(0), ['blocks-asc-keys'], 'a page after a cursor takes keys only (its block is most often cached)')
})

// Lines of many small runs, as a store of them holds: templated messages with numbers and ids in them.
const templated = (i: number): string => [
  `GET /api/v1/items/${i * 7919 % 10007} 200 ${i % 97} ms`,
  `epoch ${i % 13} step ${i} loss=${(1 / (i + 1)).toFixed(6)} lr=0.0003`,
  `{"level":"info","msg":"request done","id":"${(i * 2654435761 % 4294967296).toString(16)}","took":${i % 50}}`,
  `ünïcödé ✓ worker ${i % 5} finished job ${i}`
][i % 4] as string

t.test('version 3: a small block compressed with a stored dictionary reads back byte for byte, smaller than version 2', async (t) => {
  const url = await createTestDatabase(t)
  const pool = createPool(url, 2)
  t.teardown(async () => await pool.end())
  const bytes = trainDictionary(Array.from({ length: 3000 }, (_, i) => ({ msg: templated(i + 100_000), pod: 'p', container: 'main', stream: 'stdout' })))
  t.ok(bytes.length > 0 && bytes.length <= DICTIONARY_BYTES)
  const dictionary = await saveDictionary(pool, bytes)
  t.equal(dictionary.id, dictionaryId(bytes), 'named by its bytes')
  const { rows } = await pool.query<{ bytes: Buffer }>('SELECT bytes FROM block_dictionaries WHERE id = $1', [dictionary.id])
  t.ok(rows[0]?.bytes.equals(bytes), 'stored')
  // Times to the millisecond, and to the nanosecond (the head keeps them in the unit that divides them all).
  for (const [name, lines] of [
    ['milliseconds', Array.from({ length: 40 }, (_, i) => line(i, templated(i)))],
    ['nanoseconds', Array.from({ length: 40 }, (_, i) => ({ ...line(i, templated(i)), t: 36_000_000_000_000 + i * 1_000_003 }))],
    ['one empty line', [line(0, '')]]
  ] as const) {
    const [v3] = await buildBlocks(lines.map((l) => ({ ...l })), 3, dictionary)
    const [v2] = await buildBlocks(lines.map((l) => ({ ...l })))
    const payload = (v3 as BuiltBlock).payload
    t.equal(payload[0], 3, `${name}: version 3`)
    t.equal(payloadLayout(payload), 'v1', 'read whole (no granule table)')
    if (lines.length > 1) t.ok(payload.length < (v2 as BuiltBlock).payload.length * 0.8, `${name}: ${payload.length} bytes against ${(v2 as BuiltBlock).payload.length} for version 2`)
    t.ok((v3 as BuiltBlock).filter.equals((v2 as BuiltBlock).filter), 'the same block filter')
    const d = await decodePayload(payload, (v3 as BuiltBlock).minSeq)
    t.same(Array.from({ length: d.n }, (_, i) => d.msg(i)), lines.map((l) => l.msg), `${name}: every message`)
    t.same(Array.from(d.t), lines.map((l) => l.t), `${name}: every time`)
    t.same(Array.from(d.seq), lines.map((l) => l.seq))
    t.same(Array.from({ length: d.n }, (_, i) => d.labelsOf(i)), lines.map((l) => [l.pod, l.container, l.stream]))
  }
  const big = Array.from({ length: DICT_MAX_LINES + 1 }, (_, i) => line(i, templated(i)))
  const [large] = await buildBlocks(big, 3, dictionary)
  t.ok(blockParts((large as BuiltBlock).payload), 'a block of more than one granule stays version 2')
})

t.test('version 3: a block naming a dictionary the store does not hold fails with a clear error, never wrong lines', async (t) => {
  const url = await createTestDatabase(t)
  const pool = createPool(url, 2)
  t.teardown(async () => await pool.end())
  const unknown = Buffer.from(`a dictionary never stored ${Date.now()} ${Math.random()}`.repeat(50))
  const [block] = await buildBlocks([line(0, 'a dictionary never stored'), line(1, 'b')], 3, { id: dictionaryId(unknown), bytes: unknown })
  await t.rejects(decodePayload((block as BuiltBlock).payload, 0), /compressed with dictionary \d+, which the store does not hold/)
  const remove = addDictionarySource(pool)
  t.teardown(remove)
  await t.rejects(decodePayload((block as BuiltBlock).payload, 0), /which the store does not hold/, 'not in the database either')
  // A row whose bytes do not match its id is not taken.
  await pool.query('INSERT INTO block_dictionaries (id, bytes) VALUES ($1, $2)', [dictionaryId(unknown), Buffer.from('other bytes')])
  await t.rejects(decodePayload((block as BuiltBlock).payload, 0), /which the store does not hold/, 'bytes that do not match the id are refused')
})

t.test('versions 1, 2 and 3 in one run read and search together', async (t) => {
  const url = await createTestDatabase(t)
  const pool = createPool(url, 2)
  t.teardown(async () => await pool.end())
  const dictionary = await saveDictionary(pool, trainDictionary(Array.from({ length: 3000 }, (_, i) => ({ msg: templated(i), pod: 'p', container: 'main', stream: 'stdout' }))))
  const all = Array.from({ length: 3000 }, (_, i) => line(i, i % 400 === 3 ? `found quokka ${i}` : templated(i)))
  const blocks = [
    await v1Block(all.filter((l) => l.seq % 3 === 0)),
    ...await buildBlocks(all.filter((l) => l.seq % 3 === 1).map((l) => ({ ...l }))),
    ...await buildBlocks(all.filter((l) => l.seq % 3 === 2 && l.seq < 1500).map((l) => ({ ...l })), 3, dictionary),
    ...await buildBlocks(all.filter((l) => l.seq % 3 === 2 && l.seq >= 1500).map((l) => ({ ...l })), 3, dictionary)
  ]
  t.same(blocks.map((b) => b.payload[0] === 3), [false, false, true, true], 'a version-1, a version-2 and two version-3 blocks')
  const run = { group: 'g', kind: 'deployment' as const, id: 'mixed3' }
  const rows = new BlockRows()
  for (const b of blocks) rows.add(run, 0, b)
  await pool.query("SELECT log_blocks_ensure_partition('2026-06-15')")
  await pool.query(`INSERT INTO runs (resource_group, run_kind, run_id, first_ts, first_ns, last_ts, last_ns, line_count, next_seq, block_span)
    VALUES ('g', 'deployment', 'mixed3', '2026-06-15 10:00:00+00', 0, '2026-06-15 11:00:00+00', 0, 3000, 3000, $1::interval)`, [blockSpan(blocks)])
  await pool.query(INSERT_BLOCKS, rows.columns)
  const start = BigInt(DAY) * DAY_NS
  const range = { run, start, end: start + DAY_NS, top: 5000, order: 'asc' as const }
  const asc = await readRange(pool, range, 5000)
  t.same(asc.map((r) => r.msg), all.map((l) => l.msg), 'every line once, in order')
  t.same(asc.map((r) => r.seq), all.map((l) => String(l.seq)))
  const desc = await readRange(pool, { ...range, order: 'desc' }, 5000)
  t.same(desc.map((r) => r.msg), all.map((l) => l.msg).reverse())
  const found = await readRange(pool, { ...range, filters: { contains: 'quokka' } }, 5000)
  t.same(found.map((r) => r.seq), all.filter((l) => l.msg.includes('quokka')).map((l) => String(l.seq)), 'a search finds the lines of every version')
})

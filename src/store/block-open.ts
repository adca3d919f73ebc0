// Opening a block: its payload (fetched by the block's key when the page of blocks left it out) decoded
// into columns; a version-2 block's granules are decompressed later, as a read reaches them; a version-3
// block's two streams at once, with the dictionary it names (fetched once: block-dictionary.ts).
import { promisify } from 'node:util'
import zlib from 'node:zlib'
import { decompress } from '@mongodb-js/zstd'
import type pg from 'pg'
import type { RunKey } from '../model.js'
import { blockParts, DecodedBlock, dictPayload } from './block-codec.js'
import { dictionaryBytes } from './block-dictionary.js'

const inflateRaw = promisify(zlib.inflateRaw)

/**
 * One block's payload by its key (the first line's position), from a page that left payloads out; a block
 * that replaced it under the same key (a merge) differs in min_seq, last seq or line count, and is not taken.
 */
const BLOCK_PAYLOAD = `SELECT payload FROM log_blocks WHERE resource_group = $1 AND run_kind = $2 AND run_id = $3
  AND first_ts = $4 AND first_ns = $5 AND first_seq = $6 AND min_seq = $7 AND last_seq = $8 AND line_count = $9`

/** A block's key beyond its run: first line (ts text, ns, seq), min_seq, last seq, line count. */
export type BlockIdentity = [string, number, string, string, string, number]

export const inflate = async (frame: Buffer): Promise<Buffer> => await decompress(frame)

/** A version-3 payload's columns (head and messages end to end), inflated with the dictionary it names. */
export async function dictColumns (payload: Buffer): Promise<Buffer | undefined> {
  const p = dictPayload(payload)
  if (p === undefined) return undefined
  const dictionary = await dictionaryBytes(p.dictionary)
  const [head, messages] = await Promise.all([inflateRaw(p.head, { dictionary }), inflateRaw(p.messages, { dictionary })])
  return Buffer.concat([head, messages])
}

/** A block's payload decoded: a version-1 or 3 block whole, a version-2 block's head (granules load on demand). */
export async function decodeBlock (payload: Buffer, minSeq: number): Promise<DecodedBlock> {
  const columns = await dictColumns(payload)
  if (columns !== undefined) return new DecodedBlock(columns, minSeq)
  const parts = blockParts(payload)
  if (parts === undefined) return new DecodedBlock(await decompress(payload), minSeq)
  return new DecodedBlock(await decompress(parts.head), minSeq, parts)
}

/** A block decoded, its payload fetched first when `payload` is null; undefined: deleted since its page. */
export async function openBlock (db: pg.Pool | pg.PoolClient, run: RunKey, identity: BlockIdentity, minSeq: number, payload: Buffer | null): Promise<DecodedBlock | undefined> {
  if (payload !== null) return await decodeBlock(payload, minSeq)
  const { rows } = await db.query<[Buffer]>({ name: 'block-payload', text: BLOCK_PAYLOAD, values: [run.group, run.kind, run.id, ...identity], rowMode: 'array' })
  return rows[0] === undefined ? undefined : await decodeBlock(rows[0][0], minSeq)
}

/** A payload decoded with every granule loaded (tests and tools; reads load only what they reach). */
export async function decodePayload (payload: Buffer, minSeq: number): Promise<DecodedBlock> {
  const block = await decodeBlock(payload, minSeq)
  for (let g = 0; g * block.granuleLines < block.n; g++) await block.load(g, inflate)
  return block
}

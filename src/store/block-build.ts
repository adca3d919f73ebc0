// Lines into blocks: sorted by (day, t, seq), cut at each UTC day and at BLOCK_LINES lines or BLOCK_BYTES of
// messages; each block's columns but the messages are compressed with zstd as its head, its messages in
// granules of GRANULE_LINES lines compressed one by one, each with a trigram filter, and the block gets a
// trigram filter of all its messages (docs/performance.md: the codec, the sizes and the filters measured).
// Given a dictionary (block-dictionary.ts), a block of one granule is written as version 3 instead: its head
// and its messages as two deflate streams started with the dictionary.
import { promisify } from 'node:util'
import zlib from 'node:zlib'
import type { RunKey } from '../model.js'
import { encodeBlockPayload, encodeDictPayload, encodeHead, labelIndex, timeUnitOf, type BlockColumns, type BlockLine } from './block-codec.js'
import type { Dictionary } from './block-dictionary.js'
import { blockFilters } from './block-filter.js'
import { sqlPosition, type Position } from './block-position.js'
import { compressAt } from './zstd-level.js'

export const BLOCK_LINES = 2048
export const BLOCK_BYTES = 1 << 20
/** Lines a granule holds: the unit a read decompresses (docs/performance.md: 128 to 2,048 measured). */
export const GRANULE_LINES = 1024
const ZSTD_LEVEL = 3
/** Blocks of at most this many lines are written with the dictionary (version 3), when there is one. */
export const DICT_MAX_LINES = GRANULE_LINES
// Measured on the bench's small blocks: 9 is 3 % smaller than 6 at about the same speed (deflate's speed is
// in its matching, about a fifth of zstd -3's: which is why ingest keeps zstd and the merger rewrites).
const DEFLATE_LEVEL = 9

const deflateRaw = promisify(zlib.deflateRaw)

export interface BuiltBlock {
  first: Position
  last: Position
  minSeq: number
  maxSeq: number
  count: number
  filter: Buffer
  payload: Buffer
}

const order = (a: BlockLine, b: BlockLine): number => a.day - b.day || a.t - b.t || a.seq - b.seq

/**
 * Cuts sorted-or-not lines into blocks and compresses them (in parallel, off the event loop); merges pass a
 * higher zstd level. With `dictionary`, blocks of at most DICT_MAX_LINES lines are compressed with it.
 */
export async function buildBlocks (lines: BlockLine[], level = ZSTD_LEVEL, dictionary?: Dictionary): Promise<BuiltBlock[]> {
  lines.sort(order)
  const jobs: Array<Promise<BuiltBlock>> = []
  for (let i = 0; i < lines.length;) {
    const day = (lines[i] as BlockLine).day
    let j = i
    let bytes = 0
    while (j < lines.length && j - i < BLOCK_LINES && bytes < BLOCK_BYTES && (lines[j] as BlockLine).day === day) {
      bytes += (lines[j] as BlockLine).msg.length
      j++
    }
    jobs.push(buildBlock(lines.slice(i, j), level, dictionary))
    i = j
  }
  return await Promise.all(jobs)
}

/**
 * A block's lines as columns, each granule's messages as UTF-8 bytes made once (for the filters, the frames
 * and the length column alike).
 */
function packBlock (lines: BlockLine[]): { columns: BlockColumns, granules: Buffer[], minSeq: number, maxSeq: number } {
  const n = lines.length
  let minSeq = Infinity
  let maxSeq = -Infinity
  for (const l of lines) { if (l.seq < minSeq) minSeq = l.seq; if (l.seq > maxSeq) maxSeq = l.seq }
  const t = new Float64Array(n)
  const seq = new Float64Array(n)
  const label = new Uint32Array(n)
  const lengths = new Uint32Array(n)
  const labels: Array<[string, string, string]> = []
  const keys = new Map<string, number>()
  const granules: Buffer[] = []
  for (let g = 0; g < n; g += GRANULE_LINES) {
    const end = Math.min(n, g + GRANULE_LINES)
    const messages: string[] = new Array(end - g)
    for (let i = g; i < end; i++) {
      const l = lines[i] as BlockLine
      t[i] = l.t
      seq[i] = l.seq - minSeq
      label[i] = labelIndex(labels, keys, l.pod, l.container, l.stream)
      messages[i - g] = l.msg
    }
    // One string of the granule's messages, encoded at once (measured: a third of encoding each message).
    const text = messages.join('')
    const bytes = Buffer.from(text, 'utf8')
    // Text of one-byte characters only (most logs): each message's length in bytes is its length.
    const ascii = bytes.length === text.length
    for (let i = g; i < end; i++) lengths[i] = ascii ? (messages[i - g] as string).length : Buffer.byteLength(messages[i - g] as string, 'utf8')
    granules.push(bytes)
  }
  return { columns: { count: n, day: (lines[0] as BlockLine).day, t, seq, labels, label, lengths }, granules, minSeq, maxSeq }
}

async function buildBlock (lines: BlockLine[], level: number, dictionary: Dictionary | undefined): Promise<BuiltBlock> {
  const { columns, granules, minSeq, maxSeq } = packBlock(lines)
  const first = lines[0] as BlockLine
  const last = lines[lines.length - 1] as BlockLine
  // What a block row holds beside its filter and payload, whatever the payload's version.
  const row = { first: { day: first.day, t: first.t, seq: first.seq }, last: { day: last.day, t: last.t, seq: last.seq }, minSeq, maxSeq, count: lines.length }
  if (dictionary !== undefined && lines.length <= DICT_MAX_LINES) {
    const options = { level: DEFLATE_LEVEL, dictionary: dictionary.bytes }
    const [head, messages] = await Promise.all([deflateRaw(encodeHead({ ...columns, timeUnit: timeUnitOf(columns.t) }), options), deflateRaw(granules[0] as Buffer, options)])
    return { ...row, filter: blockFilters(granules, columns.lengths, GRANULE_LINES).filter, payload: encodeDictPayload({ dictionary: dictionary.id, head, messages }) }
  }
  const frames = Promise.all(granules.map(async (bytes) => await compressAt(bytes, level)))
  const head = compressAt(encodeHead(columns), level)
  // A block of one granule gets no granule filter: its block filter says the same.
  const { filter, granuleFilters } = blockFilters(granules, columns.lengths, GRANULE_LINES)
  const compressed = await frames
  return {
    ...row,
    filter,
    payload: encodeBlockPayload({
      granuleLines: GRANULE_LINES,
      head: await head,
      granules: compressed.map((frame, g) => ({ filter: granuleFilters[g] as Buffer, frame }))
    })
  }
}

/** The longest first-to-last time of the blocks, as an interval literal (runs.block_span), rounded up to the microsecond. */
export function blockSpan (blocks: BuiltBlock[]): string {
  let ns = 0
  for (const b of blocks) ns = Math.max(ns, b.last.t - b.first.t)
  return `${Math.ceil(ns / 1000)} microseconds`
}

/** Sets runs.block_span from the blocks themselves (after blocks were written other than by ingest). */
export const REFRESH_BLOCK_SPANS = `UPDATE runs r SET block_span = s.span FROM (
  SELECT resource_group, run_kind, run_id, max(last_ts - first_ts) + interval '1 microsecond' AS span FROM log_blocks GROUP BY 1, 2, 3) s
  WHERE r.resource_group = s.resource_group AND r.run_kind = s.run_kind AND r.run_id = s.run_id AND r.block_span < s.span`

/** The INSERT's parameter arrays for blocks of runs, each block's seqs shifted by its run's base. */
export class BlockRows {
  readonly columns: unknown[][] = Array.from({ length: 14 }, () => [])

  add (run: RunKey, base: number, b: BuiltBlock): void {
    const [fTs, fNs, fSeq] = sqlPosition({ ...b.first, seq: b.first.seq + base })
    const [lTs, lNs, lSeq] = sqlPosition({ ...b.last, seq: b.last.seq + base })
    const row = [run.group, run.kind, run.id, fTs, fNs, String(fSeq), lTs, lNs, String(lSeq), String(b.minSeq + base), String(b.maxSeq + base), b.count, b.filter, b.payload]
    row.forEach((v, i) => (this.columns[i] as unknown[]).push(v))
  }

  get size (): number { return (this.columns[0] as unknown[]).length }
}

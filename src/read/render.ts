// Renders read lines into the response formats straight from their decoded blocks, as bytes: a message is
// copied from the block's UTF-8 bytes (escaped through JSON.stringify only when it holds a quote, a
// backslash or a control character), a block's label sets' JSON fragments are made once per label set, and
// a second's timestamp text once per second. No string is made per line.
import type { DecodedBlock } from '../store/block-codec.js'
import { dayText } from '../store/block-position.js'
import type { StoredLine } from '../store/stored-line.js'
import { ByteWriter } from './byte-writer.js'
import type { ReadFormat } from './format.js'

/** An item's bytes before and after its msg: `{"container":…,"msg":` and `,"pod":…,"stream":…,"timestamp":"`. */
type Fragments = [Buffer, Buffer]
const fragments = new Map<string, Fragments>()

function fragmentsOf (pod: string, container: string, stream: string): Fragments {
  const key = `${pod}\u0000${container}\u0000${stream}`
  let f = fragments.get(key)
  if (f === undefined) {
    // Labels are a run's few pods and containers; a process serving very many forgets them all now and then.
    if (fragments.size >= 10_000) fragments.clear()
    f = [Buffer.from(`{"container":${JSON.stringify(container)},"msg":`), Buffer.from(`,"pod":${JSON.stringify(pod)},"stream":${JSON.stringify(stream)},"timestamp":"`)]
    fragments.set(key, f)
  }
  return f
}

/**
 * What rendering keeps of a block while the block lives (cached blocks are rendered page after page): its
 * fragments by label index, and per line whether its message is JSON as it is (0: not looked at yet, 1: yes,
 * 2: it needs escaping).
 */
interface BlockRendering { fragments: Fragments[], plain: Uint8Array }
const renderings = new WeakMap<DecodedBlock, BlockRendering>()
function renderingOf (block: DecodedBlock): BlockRendering {
  let r = renderings.get(block)
  if (r === undefined) {
    r = { fragments: block.labels.map(([pod, container, stream]) => fragmentsOf(pod, container, stream)), plain: new Uint8Array(block.n) }
    renderings.set(block, r)
  }
  return r
}

// The last second rendered: its day, second of the day, and text (YYYY-MM-DDTHH:MM:SS.).
let lastDay = NaN
let lastSecond = NaN
let lastSecondText = Buffer.alloc(0)
const pad2 = (n: number): string => (n < 10 ? `0${n}` : String(n))
const TIME_ZONE = Buffer.from('+00:00')

/** The API's timestamp of a line (UTC, +00:00, 3, 6 or 9 fraction digits), as time.ts formatStored gives it. */
function timestampInto (w: ByteWriter, block: DecodedBlock, i: number): void {
  const t = block.t[i] as number
  const second = Math.floor(t / 1e9)
  if (second !== lastSecond || block.day !== lastDay) {
    lastSecondText = Buffer.from(`${dayText(block.day)}T${pad2(Math.floor(second / 3600))}:${pad2(Math.floor(second / 60) % 60)}:${pad2(second % 60)}.`, 'latin1')
    lastDay = block.day
    lastSecond = second
  }
  w.bytes(lastSecondText)
  const fraction = t - second * 1e9
  if (fraction % 1_000_000 === 0) w.digits(fraction / 1_000_000, 3)
  else if (fraction % 1000 === 0) w.digits(fraction / 1000, 6)
  else w.digits(fraction, 9)
  w.bytes(TIME_ZONE)
}

/** One result item as SAP's body has it: {"container","msg","pod","stream","timestamp"}. */
function itemInto (w: ByteWriter, block: DecodedBlock, i: number): void {
  const rendering = renderingOf(block)
  const [before, after] = rendering.fragments[block.label[i] as number] as Fragments
  w.bytes(before)
  const src = block.msgSource(i)
  const at = block.msgOffset(i)
  const end = at + (block.msgStart[i + 1] as number) - (block.msgStart[i] as number)
  w.byte(0x22)
  const plain = rendering.plain[i]
  if (plain === 1) w.bytes(src, at, end)
  else if (plain === 0 && w.jsonSafe(src, at, end)) rendering.plain[i] = 1
  else { rendering.plain[i] = 2; w.utf8(JSON.stringify(block.msg(i)).slice(1, -1)) }
  w.byte(0x22)
  w.bytes(after)
  timestampInto(w, block, i)
  w.byte(0x22)
  w.byte(0x7d)
}

/** `<timestamp> <stream> <msg>`, like `kubectl logs --timestamps` (msg as stored, its own newlines kept). */
function textLineInto (w: ByteWriter, block: DecodedBlock, i: number): void {
  timestampInto(w, block, i)
  w.byte(0x20)
  w.utf8(block.labelsOf(i)[2])
  w.byte(0x20)
  const at = block.msgOffset(i)
  w.bytes(block.msgSource(i), at, at + (block.msgStart[i + 1] as number) - (block.msgStart[i] as number))
  w.byte(0x0a)
}

/** Bytes a page of these lines will take, near enough to size its buffer once. */
function sizeOf (lines: StoredLine[]): number {
  let bytes = 64
  for (const { block, i } of lines) {
    const [before, after] = renderingOf(block).fragments[block.label[i] as number] as Fragments
    bytes += (block.msgStart[i + 1] as number) - (block.msgStart[i] as number) + before.length + after.length + 48
  }
  return bytes
}

/**
 * SAP's body; `nextCursor` only when more lines remain (the one key SAP's clients have not seen). `room`
 * gives the buffer to write it in, of at least the bytes asked (read/page-bodies.ts); the body is a part of it.
 */
export function renderLogsBody (lines: StoredLine[], nextCursor?: string, room?: (bytes: number) => Buffer): Buffer {
  const size = sizeOf(lines)
  const w = new ByteWriter(size, room?.(size))
  w.latin1('{"data":{"result":[')
  for (let k = 0; k < lines.length; k++) {
    if (k > 0) w.byte(0x2c)
    const line = lines[k] as StoredLine
    itemInto(w, line.block, line.i)
  }
  w.latin1(nextCursor === undefined ? ']}}' : `],"nextCursor":"${nextCursor}"}}`)
  return w.take()
}

/**
 * Lines in a streamed format, in chunks of about `chunkBytes`, each rendered when the one before is taken; `idOf` (SSE only) is the cursor that continues
 * after a line.
 */
export function * renderFrames (format: Exclude<ReadFormat, 'json'>, lines: StoredLine[], idOf: (line: StoredLine) => string, chunkBytes = Infinity): Generator<Buffer> {
  const w = new ByteWriter(Math.min(sizeOf(lines), chunkBytes + 4096))
  for (const line of lines) {
    if (format === 'text') {
      textLineInto(w, line.block, line.i)
    } else if (format === 'ndjson') {
      itemInto(w, line.block, line.i)
      w.byte(0x0a)
    } else {
      w.latin1(`id: ${idOf(line)}\ndata: `)
      itemInto(w, line.block, line.i)
      w.latin1('\n\n')
    }
    if (w.length >= chunkBytes) {
      yield w.take()
      w.reserve(chunkBytes + 4096)
    }
  }
  if (w.length > 0) yield w.take()
}

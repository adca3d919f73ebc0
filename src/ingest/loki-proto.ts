// Loki's default push body, as Promtail and Grafana Alloy send it: a logproto.PushRequest in protobuf,
// compressed with snappy's block format. The decompressed size is read from the snappy header and checked
// against INGEST_MAX_BYTES before anything is decompressed.
import protobuf from 'protobufjs'
import { uncompressSync } from 'snappy'
import { errors, isApiError } from '../errors.js'
import { NS_PER_SECOND, type Instant } from '../time.js'
import { CONTAINER_COST, type ItemBudget } from './item-budget.js'
import type { Fields } from './run-mapper.js'

// From grafana/loki pkg/push/push.proto (field numbers as there; hash is unused here).
const PUSH_PROTO = `
syntax = "proto3";
package logproto;
message PushRequest { repeated StreamAdapter streams = 1; }
message StreamAdapter { string labels = 1; repeated EntryAdapter entries = 2; uint64 hash = 3; }
message EntryAdapter { Timestamp timestamp = 1; string line = 2; repeated LabelPairAdapter structuredMetadata = 3; }
message LabelPairAdapter { string name = 1; string value = 2; }
message Timestamp { int64 seconds = 1; int32 nanos = 2; }
`
// google.protobuf.Timestamp has the same fields and numbers as the Timestamp above; on the wire they are one.

export interface LokiStream {
  labels: Fields
  times: Instant[]
  lines: unknown[]
}

export function badEntry (stream: number, entry: number | undefined, problem: string): Error {
  return errors.invalidRequest(`Stream ${stream}${entry === undefined ? '' : ` entry ${entry}`} ${problem}. Nothing was stored.`,
    entry === undefined ? { stream } : { stream, index: entry })
}

export const PushRequest = protobuf.parse(PUSH_PROTO, { keepCase: true }).root.lookupType('logproto.PushRequest')

/** The uncompressed length a snappy block declares: a little-endian base-128 varint at its start. */
function snappyLength (body: Buffer): number {
  let length = 0
  for (let i = 0; i < 5 && i < body.length; i++) {
    const byte = body[i] as number
    length += (byte & 0x7f) * 2 ** (7 * i)
    if ((byte & 0x80) === 0) return length
  }
  throw errors.invalidRequest('The body is not snappy-compressed protobuf (Content-Type application/x-protobuf).')
}

/**
 * The streams of a snappy-compressed PushRequest, read field by field with protobufjs's Reader so each
 * entry counts against `budget` as it is read: 4.9 M empty entries stop at the first past INGEST_MAX_LINES.
 */
export function lokiProtobufStreams (body: Buffer, maxBytes: number, budget: ItemBudget): LokiStream[] {
  const length = snappyLength(body)
  if (length > maxBytes) throw errors.payloadTooLarge(`The decompressed body is larger than ${maxBytes} bytes (INGEST_MAX_BYTES).`)
  const streams: LokiStream[] = []
  try {
    const reader = protobuf.Reader.create(uncompressSync(body, { asBuffer: true }) as Buffer)
    while (reader.pos < reader.len) {
      const tag = reader.uint32()
      if (tag === FIELD_1_BYTES) streams.push(readStream(reader, reader.uint32(), budget, streams.length))
      else reader.skipType(tag & 7)
    }
  } catch (err) {
    if (isApiError(err)) throw err
    throw errors.invalidRequest('The body is not a snappy-compressed logproto.PushRequest.')
  }
  return streams
}

// A length-delimited field's tag: (field number << 3) | 2.
const FIELD_1_BYTES = (1 << 3) | 2
const FIELD_2_BYTES = (2 << 3) | 2
const FIELD_3_BYTES = (3 << 3) | 2
const FIELD_1_VARINT = 1 << 3
const FIELD_2_VARINT = 2 << 3

/** A StreamAdapter of `length` bytes: its labels and entries. */
function readStream (reader: protobuf.Reader, length: number, budget: ItemBudget, s: number): LokiStream {
  budget.values(CONTAINER_COST)
  const end = reader.pos + length
  let labelText = ''
  const times: Instant[] = []
  const lines: unknown[] = []
  while (reader.pos < end) {
    const tag = reader.uint32()
    if (tag === FIELD_1_BYTES) {
      labelText = reader.string()
    } else if (tag === FIELD_2_BYTES) {
      budget.item()
      budget.values(CONTAINER_COST)
      const entry = readEntry(reader, reader.uint32(), budget)
      times.push(entry.time)
      lines.push(entry.line)
    } else {
      reader.skipType(tag & 7)
    }
  }
  const labels = parseLabelSet(labelText)
  if (labels === null) throw badEntry(s, undefined, 'labels are not a label set such as {app="x", pod="y"}')
  return { labels, times, lines }
}

/** An EntryAdapter of `length` bytes: its time and line (structured metadata is counted, not kept). */
function readEntry (reader: protobuf.Reader, length: number, budget: ItemBudget): { time: Instant, line: string } {
  const end = reader.pos + length
  let time = 0n
  let line = ''
  while (reader.pos < end) {
    const tag = reader.uint32()
    if (tag === FIELD_1_BYTES) time = readTimestamp(reader, reader.uint32())
    else if (tag === FIELD_2_BYTES) { line = reader.string(); budget.values(1) } else if (tag === FIELD_3_BYTES) { budget.values(CONTAINER_COST); reader.skipType(2) } else reader.skipType(tag & 7)
  }
  return { time, line }
}

/** A Timestamp of `length` bytes, in nanoseconds since the epoch. */
function readTimestamp (reader: protobuf.Reader, length: number): Instant {
  const end = reader.pos + length
  let seconds = 0
  let nanos = 0
  while (reader.pos < end) {
    const tag = reader.uint32()
    if (tag === FIELD_1_VARINT) {
      const value = reader.int64() as unknown as number | { toNumber: () => number }
      seconds = typeof value === 'number' ? value : value.toNumber()
    } else if (tag === FIELD_2_VARINT) {
      nanos = reader.int32()
    } else {
      reader.skipType(tag & 7)
    }
  }
  return BigInt(seconds) * NS_PER_SECOND + BigInt(nanos)
}

const LABEL_PAIR = /\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*=\s*"((?:[^"\\]|\\.)*)"\s*([,}])/y
const ESCAPES: Record<string, string> = { n: '\n', t: '\t', r: '\r', '\\': '\\', '"': '"' }

/** Parses Prometheus' text form of a label set, {app="x", pod="y"} (Go string escapes), as Promtail sends it. */
export function parseLabelSet (text: string): Fields | null {
  const trimmed = text.trim()
  if (!trimmed.startsWith('{') || !trimmed.endsWith('}')) return null
  const labels: Fields = {}
  if (/^\{\s*\}$/.test(trimmed)) return labels
  LABEL_PAIR.lastIndex = 1
  for (;;) {
    const m = LABEL_PAIR.exec(trimmed)
    if (m === null) return null
    labels[m[1] as string] = (m[2] as string).replace(/\\(.)/g, (_all, c: string) => ESCAPES[c] ?? c)
    if (m[3] === '}') return LABEL_PAIR.lastIndex === trimmed.length ? labels : null
  }
}

// Loki's default push body, as Promtail and Grafana Alloy send it: a logproto.PushRequest in protobuf,
// compressed with snappy's block format. The decompressed size is read from the snappy header and checked
// against INGEST_MAX_BYTES before anything is decompressed.
import protobuf from 'protobufjs'
import { uncompressSync } from 'snappy'
import { errors } from '../errors.js'
import { NS_PER_SECOND, type Instant } from '../time.js'
import { badEntry, parseLabelSet, type LokiStream } from './loki.js'

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

export const PushRequest = protobuf.parse(PUSH_PROTO, { keepCase: true }).root.lookupType('logproto.PushRequest')

interface LongLike { toNumber: () => number }
interface DecodedEntry { timestamp?: { seconds?: number | LongLike, nanos?: number }, line?: string }
interface DecodedStream { labels?: string, entries?: DecodedEntry[] }

/** The uncompressed length a snappy block declares: a little-endian base-128 varint at its start. */
export function snappyLength (body: Buffer): number {
  let length = 0
  for (let i = 0; i < 5 && i < body.length; i++) {
    const byte = body[i] as number
    length += (byte & 0x7f) * 2 ** (7 * i)
    if ((byte & 0x80) === 0) return length
  }
  throw errors.invalidRequest('The body is not snappy-compressed protobuf (Content-Type application/x-protobuf).')
}

export function lokiProtobufStreams (body: Buffer, maxBytes: number): LokiStream[] {
  const length = snappyLength(body)
  if (length > maxBytes) throw errors.payloadTooLarge(`The decompressed body is larger than ${maxBytes} bytes (INGEST_MAX_BYTES).`)
  let decoded: { streams?: DecodedStream[] }
  try {
    decoded = PushRequest.decode(uncompressSync(body, { asBuffer: true }) as Buffer) as { streams?: DecodedStream[] }
  } catch {
    throw errors.invalidRequest('The body is not a snappy-compressed logproto.PushRequest.')
  }
  return (decoded.streams ?? []).map((stream, s) => {
    const labels = parseLabelSet(stream.labels ?? '')
    if (labels === null) throw badEntry(s, undefined, 'labels are not a label set such as {app="x", pod="y"}')
    const entries = stream.entries ?? []
    const times: Instant[] = new Array(entries.length)
    const lines: unknown[] = new Array(entries.length)
    for (let e = 0; e < entries.length; e++) {
      const { timestamp, line } = entries[e] as DecodedEntry
      const seconds = timestamp?.seconds ?? 0
      times[e] = BigInt(typeof seconds === 'number' ? seconds : seconds.toNumber()) * NS_PER_SECOND + BigInt(timestamp?.nanos ?? 0)
      lines[e] = line ?? ''
    }
    return { labels, times, lines }
  })
}

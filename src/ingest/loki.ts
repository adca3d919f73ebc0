// Loki's push API: streams of entries under one label set. The JSON body is
// {"streams":[{"stream":{labels},"values":[["<ns epoch>","<line>", {metadata}?], ...]}]}; the protobuf body
// (src/ingest/loki-proto.ts) decodes to the same streams. A stream's labels name its run once for all entries.
import { errors } from '../errors.js'
import { checkedInstant, checkedText, LABEL_MAX_CHARS, storedLine, type IngestLimits } from './lines.js'
import { TimestampError, type Instant } from '../time.js'
import type { ItemPath } from './json-scan.js'
import type { RecordFields } from './records.js'
import { firstField, type Fields, type RunMapper } from './run-mapper.js'
import { fromEpochNanosText } from './timestamps.js'

export interface LokiStream {
  labels: Fields
  times: Instant[]
  lines: unknown[]
}

export function badEntry (stream: number, entry: number | undefined, problem: string): Error {
  return errors.invalidRequest(`Stream ${stream}${entry === undefined ? '' : ` entry ${entry}`} ${problem}. Nothing was stored.`,
    entry === undefined ? { stream } : { stream, index: entry })
}

/** Where a Loki JSON push body's entries are, for the item budget. */
export const LOKI_ENTRY_ITEMS: ItemPath[] = [['streams', '*', 'values', '*']]

/** The streams of a Loki JSON push body; an entry without a usable timestamp rejects the body. */
export function lokiJsonStreams (body: unknown): LokiStream[] {
  const streams = (body as { streams?: unknown } | null)?.streams
  if (!Array.isArray(streams)) throw errors.invalidRequest('The body must be a Loki push request: {"streams":[{"stream":{...},"values":[["<ns>","<line>"]]}]}.')
  return streams.map((raw: unknown, s) => {
    const { stream: labels, values } = (raw ?? {}) as { stream?: unknown, values?: unknown }
    if (labels === null || typeof labels !== 'object' || Array.isArray(labels)) throw badEntry(s, undefined, 'must have "stream", an object of labels')
    if (!Array.isArray(values)) throw badEntry(s, undefined, 'must have "values", an array of [timestamp, line]')
    const times: Instant[] = new Array(values.length)
    const lines: unknown[] = new Array(values.length)
    for (let e = 0; e < values.length; e++) {
      const value: unknown = values[e]
      if (!Array.isArray(value) || value.length < 2) throw badEntry(s, e, 'must be [timestamp, line] or [timestamp, line, metadata]')
      if (typeof value[0] !== 'string') throw badEntry(s, e, 'timestamp must be a string of nanoseconds since the epoch')
      try {
        times[e] = fromEpochNanosText(value[0])
      } catch (err) {
        if (err instanceof TimestampError) throw badEntry(s, e, `timestamp ${err.message}`)
        throw err
      }
      lines[e] = value[1]
    }
    return { labels: labels as Fields, times, lines }
  })
}

const label = (labels: Fields, fields: RecordFields['pod'], s: number, name: string): string =>
  checkedText(firstField(labels, fields), false, LABEL_MAX_CHARS, (problem) => badEntry(s, undefined, `label ${name} ${problem}`))

/** Hands each stream's entries to its run; a stream that names no run is counted as unmatched, by entries. */
export function mapLokiStreams (streams: LokiStream[], fields: RecordFields, mapper: RunMapper, limits: IngestLimits): void {
  for (let s = 0; s < streams.length; s++) {
    const { labels, times, lines } = streams[s] as LokiStream
    const run = mapper.runOf(labels)
    if (typeof run === 'string') {
      if (times.length > 0) mapper.skip(s, run, times.length)
      continue
    }
    const container = label(labels, fields.container, s, 'container')
    const pod = label(labels, fields.pod, s, 'pod')
    const stream = label(labels, fields.stream, s, 'stream')
    const into = mapper.linesOf(run, labels)
    for (let e = 0; e < times.length; e++) {
      const instant = checkedInstant(() => times[e] as Instant, limits, (problem) => badEntry(s, e, `timestamp ${problem}`))
      const line = checkedText(lines[e], true, limits.lineMaxBytes, (problem) => badEntry(s, e, `line ${problem}`))
      into.push(storedLine(instant, line, container, pod, stream))
    }
  }
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

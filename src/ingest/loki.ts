// Loki's push API: streams of entries under one label set. The JSON body is
// {"streams":[{"stream":{labels},"values":[["<ns epoch>","<line>", {metadata}?], ...]}]}; the protobuf body
// (src/ingest/loki-proto.ts) decodes to the same streams. A stream's labels name its run once for all entries.
import { errors } from '../errors.js'
import { TimestampError, type Instant } from '../time.js'
import { ItemBudget } from './item-budget.js'
import { parseJsonBody, type ItemPath } from './json-scan.js'
import { badEntry, lokiProtobufStreams, type LokiStream } from './loki-proto.js'
import { checkedInstant, checkedText, LABEL_MAX_CHARS, storedLine, type IngestLimits } from './line-checks.js'
import { firstField, type Decoder, type Fields, type RecordFields, RunMapper } from './run-mapper.js'
import { fromEpochNanosText } from './timestamps.js'

/** The decoder of a Loki push body: JSON, or snappy-compressed protobuf. */
export function lokiPush (protobuf: boolean): Decoder {
  return (body, settings) => {
    const mapper = new RunMapper(settings)
    const budget = new ItemBudget(mapper.limits.maxItems, mapper.limits.maxBytes, 'entries')
    const streams = protobuf
      ? lokiProtobufStreams(body, mapper.limits.maxBytes, budget)
      : lokiJsonStreams(parseJsonBody(body, budget, LOKI_ENTRY_ITEMS))
    mapLokiStreams(streams, mapper.fields, mapper, mapper.limits)
    return mapper.result()
  }
}

/** Where a Loki JSON push body's entries are, for the item budget. */
const LOKI_ENTRY_ITEMS: ItemPath[] = [['streams', '*', 'values', '*']]

/** The streams of a Loki JSON push body; an entry without a usable timestamp rejects the body. */
function lokiJsonStreams (body: unknown): LokiStream[] {
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
function mapLokiStreams (streams: LokiStream[], fields: RecordFields, mapper: RunMapper, limits: IngestLimits): void {
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

// OTLP log records to lines of runs. The run and group come from the record's and its resource's
// attributes through the COLLECTOR_* label names (record attributes win); pod and container from
// k8s.pod.name and k8s.container.name; the stream from log.iostream, else stderr for severity ERROR and up.
// A record that names no run or cannot be stored is rejected alone (OTLP's partial success), never stored.
import { ItemBudget } from '../item-budget.js'
import { parseJsonBody } from '../json-scan.js'
import { checkedInstant, checkedText, LABEL_MAX_CHARS, storedLine, type IngestLimits } from '../line-checks.js'
import { type CollectorAnswer, type Decoder, type Fields, RunMapper } from '../run-mapper.js'
import { OTLP_RECORD_ITEMS, otlpJsonRecords } from './json.js'
import { compactJson, type AnyValue, type OtlpRecord } from './model.js'
import { otlpProtobufRecords } from './proto.js'

/** Attribute prefix of pod labels as the Collector's k8sattributes processor names them. */
const POD_LABELS = 'k8s.pod.labels.'
const SEVERITY_ERROR = 17
const ERROR_TEXT = /^(err|error|fatal|crit|critical|alert|emerg|emergency|panic)\b/i

class RejectedRecord extends Error {}

/** The attributes a record's run is looked up in: resource, then record attributes over them, plus pod labels by their own names. */
function runAttributes (record: OtlpRecord): Fields {
  const merged: Fields = {}
  for (const attributes of [record.resource, record.attributes]) {
    for (const [key, value] of Object.entries(attributes)) {
      if (key.startsWith(POD_LABELS)) merged[key.slice(POD_LABELS.length)] ??= value
      merged[key] = value
    }
  }
  return merged
}

const attribute = (record: OtlpRecord, name: string): AnyValue | undefined => record.attributes[name] ?? record.resource[name]

function label (record: OtlpRecord, name: string): string {
  const value = attribute(record, name)
  return checkedText(value === null ? undefined : value, false, LABEL_MAX_CHARS, (problem) => new RejectedRecord(`attribute ${name} ${problem}`))
}

function streamOf (record: OtlpRecord): string {
  const iostream = label(record, 'log.iostream')
  if (iostream !== '') return iostream
  const error = record.severityNumber >= SEVERITY_ERROR || (record.severityNumber === 0 && ERROR_TEXT.test(record.severityText))
  return error ? 'stderr' : 'stdout'
}

function messageOf (body: AnyValue | undefined): string {
  if (body === undefined || body === null) return ''
  return typeof body === 'string' ? body : compactJson(body)
}

/** The decoder of an OTLP/HTTP logs body (protobuf or JSON); it answers OTLP's ExportLogsServiceResponse in JSON. */
export function otlpLogs (protobuf: boolean): Decoder {
  return (body, settings) => {
    const mapper = new RunMapper(settings)
    const { maxItems, maxBytes } = mapper.limits
    const records = protobuf
      ? otlpProtobufRecords(body, maxItems)
      : otlpJsonRecords(parseJsonBody(body, new ItemBudget(maxItems, maxBytes, 'records'), OTLP_RECORD_ITEMS), maxItems)
    mapOtlpRecords(records, mapper, mapper.limits)
    const decoded = mapper.result()
    return { ...decoded, answer: otlpAnswer(decoded.answer) }
  }
}

/** Hands each record to its run, or rejects it (counted and sampled in the mapper's answer). */
function mapOtlpRecords (records: OtlpRecord[], mapper: RunMapper, limits: IngestLimits): void {
  for (let index = 0; index < records.length; index++) {
    const record = records[index] as OtlpRecord
    const attributes = runAttributes(record)
    const run = mapper.runOf(attributes)
    if (typeof run === 'string') {
      mapper.skip(index, run)
      continue
    }
    try {
      // time_unix_nano 0 means unknown: the observed time, else the time it arrived.
      const time = record.timeUnixNano !== 0n ? record.timeUnixNano : record.observedTimeUnixNano !== 0n ? record.observedTimeUnixNano : limits.now
      const instant = checkedInstant(() => time, limits, (problem) => new RejectedRecord(`timestamp ${problem}`))
      const msg = checkedText(messageOf(record.body), true, limits.lineMaxBytes, (problem) => new RejectedRecord(`body ${problem}`))
      mapper.linesOf(run, attributes).push(storedLine(instant, msg, label(record, 'k8s.container.name'), label(record, 'k8s.pod.name'), streamOf(record)))
    } catch (err) {
      if (!(err instanceof RejectedRecord)) throw err
      mapper.skip(index, err.message)
    }
  }
}

/** OTLP's ExportLogsServiceResponse in its JSON mapping: empty when every record was stored. */
export function otlpAnswer (answer: CollectorAnswer): { partialSuccess?: { rejectedLogRecords: string, errorMessage: string } } {
  if (answer.unmatched === 0) return {}
  const samples = answer.unmatchedSamples.map((s) => `record ${s.index}: ${s.reason}`).join('; ')
  return {
    partialSuccess: {
      rejectedLogRecords: String(answer.unmatched),
      errorMessage: `${answer.unmatched} of ${answer.unmatched + answer.accepted} log records were not stored (${samples}${answer.unmatched > answer.unmatchedSamples.length ? '; ...' : ''}).`
    }
  }
}

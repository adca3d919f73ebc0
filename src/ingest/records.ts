// Fluent Bit (http output, json or json_lines) and Vector (http sink, json array or newline-delimited)
// records: flat-ish JSON objects whose fields COLLECTOR_* name. Checked all or nothing, like the native
// endpoint: the first record that cannot be stored rejects the batch with its index.
import { errors } from '../errors.js'
import { ItemBudget } from './item-budget.js'
import { parseJsonBody, parseNdjson, type ItemPath } from './json-scan.js'
import { badItem, checkedInstant, checkedText, LABEL_MAX_CHARS, storedLine, type IngestLimits } from './line-checks.js'
import { firstField, type Decoder, type FieldPath, type Fields, type RecordFields, RunMapper } from './run-mapper.js'
import { parseShipperTimestamp } from './timestamps.js'

const badRecord = (index: number, field: string | undefined, problem: string): Error => badItem('Record', index, field, problem)

const label = (record: Fields, paths: FieldPath[], index: number, name: string): string =>
  checkedText(firstField(record, paths), false, LABEL_MAX_CHARS, (problem) => badRecord(index, name, problem))

/** Where a JSON body's records are (a single object is one record), for the item budget. */
const RECORD_ITEMS: ItemPath[] = [['*']]

/** The records of a body: a JSON array (or one object), or parsed NDJSON. */
function recordsOf (body: unknown): unknown[] {
  if (Array.isArray(body)) return body
  if (body !== null && typeof body === 'object') return [body]
  throw errors.invalidRequest('The body must be a JSON array of records, or records as NDJSON (application/x-ndjson).')
}

/** The decoder of Fluent Bit's and Vector's bodies (a JSON array or NDJSON of records). */
export function shipperRecords (ndjson: boolean): Decoder {
  return (body, settings) => {
    const mapper = new RunMapper(settings)
    const budget = new ItemBudget(mapper.limits.maxItems, mapper.limits.maxBytes, 'records')
    mapRecords(ndjson ? parseNdjson(body, budget) : recordsOf(parseJsonBody(body, budget, RECORD_ITEMS)), mapper.fields, mapper, mapper.limits)
    return mapper.result()
  }
}

/** Checks each record and hands it to its run; unmatched records are counted, not checked further. */
function mapRecords (records: unknown[], fields: RecordFields, mapper: RunMapper, limits: IngestLimits): void {
  for (let index = 0; index < records.length; index++) {
    const raw = records[index]
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw badRecord(index, undefined, 'must be an object')
    const record = raw as Fields
    const run = mapper.runOf(record)
    if (typeof run === 'string') {
      mapper.skip(index, run)
      continue
    }
    // A container runtime's line ends with the newline that ended it; it is not part of the message, nor of its size.
    const message = firstField(record, fields.message)
    const msg = checkedText(typeof message === 'string' && message.endsWith('\n') ? message.slice(0, -1) : message, true,
      limits.lineMaxBytes, (problem) => badRecord(index, 'message', problem))
    const time = firstField(record, fields.timestamp)
    if (time === undefined) throw badRecord(index, 'timestamp', `is required (one of ${fields.timestamp.map((p) => p.join('.')).join(', ')})`)
    const instant = checkedInstant(() => parseShipperTimestamp(time), limits, (problem) => badRecord(index, 'timestamp', problem))
    mapper.linesOf(run, record).push(storedLine(instant, msg, label(record, fields.container, index, 'container'),
      label(record, fields.pod, index, 'pod'), label(record, fields.stream, index, 'stream')))
  }
}

// OTLP/HTTP protobuf bodies (opentelemetry-proto, collector/logs/v1 ExportLogsServiceRequest), read field
// by field with protobufjs' Reader: records are counted as they are reached, so a body past INGEST_MAX_LINES
// stops decoding at the first record too many. Unknown fields are skipped, as proto3 requires.
import protobuf from 'protobufjs'
import { errors } from '../../errors.js'
import { isApiError } from './model.js'
import { RecordBudget, type AnyValue, type KeyValues, type OtlpRecord } from './model.js'

type Reader = protobuf.Reader
const WIRE_LEN = 2
const WIRE_I64 = 1
const WIRE_VARINT = 0

class Malformed extends Error {}

/** Calls `onField(field, wireType)` for each field until `end`; the callback reads or skips the value. */
function fields (r: Reader, end: number, onField: (field: number, wire: number) => boolean): void {
  while (r.pos < end) {
    const tag = r.uint32()
    if (!onField(tag >>> 3, tag & 7)) r.skipType(tag & 7)
  }
  if (r.pos !== end) throw new Malformed()
}

/** The end of a length-delimited field that starts here. */
function endOf (r: Reader): number {
  const length = r.uint32()
  const end = r.pos + length
  if (end > r.len) throw new Malformed()
  return end
}

function uint64 (r: Reader): bigint {
  const low = r.fixed32()
  const high = r.fixed32()
  return (BigInt(high) << 32n) | BigInt(low)
}

function varint64 (r: Reader): bigint {
  let value = 0n
  for (let shift = 0n; shift < 70n; shift += 7n) {
    if (r.pos >= r.len) throw new Malformed()
    const byte = r.buf[r.pos++] as number
    value |= BigInt(byte & 0x7f) << shift
    if (byte < 0x80) return BigInt.asIntN(64, value)
  }
  throw new Malformed()
}

function anyValue (r: Reader, end: number): AnyValue {
  let value: AnyValue = null
  fields(r, end, (field, wire) => {
    if (field === 1 && wire === WIRE_LEN) value = r.string()
    else if (field === 2 && wire === WIRE_VARINT) value = r.bool()
    else if (field === 3 && wire === WIRE_VARINT) value = varint64(r)
    else if (field === 4 && wire === WIRE_I64) value = r.double()
    else if (field === 5 && wire === WIRE_LEN) value = repeatedValues(r, endOf(r))
    else if (field === 6 && wire === WIRE_LEN) value = keyValues(r, endOf(r), {})
    else if (field === 7 && wire === WIRE_LEN) value = r.bytes()
    else return false
    return true
  })
  return value
}

function repeatedValues (r: Reader, end: number): AnyValue[] {
  const values: AnyValue[] = []
  fields(r, end, (field, wire) => {
    if (field !== 1 || wire !== WIRE_LEN) return false
    values.push(anyValue(r, endOf(r)))
    return true
  })
  return values
}

/** The key/value pairs of a KeyValueList or a Resource (field 1 of both is `repeated KeyValue`), into `into`. */
function keyValues (r: Reader, end: number, into: KeyValues): KeyValues {
  fields(r, end, (field, wire) => {
    if (field !== 1 || wire !== WIRE_LEN) return false
    keyValue(r, endOf(r), into)
    return true
  })
  return into
}

function keyValue (r: Reader, end: number, into: KeyValues): void {
  let key = ''
  let value: AnyValue = null
  fields(r, end, (field, wire) => {
    if (field === 1 && wire === WIRE_LEN) key = r.string()
    else if (field === 2 && wire === WIRE_LEN) value = anyValue(r, endOf(r))
    else return false
    return true
  })
  into[key] = value
}

function logRecord (r: Reader, end: number, resourceAttributes: KeyValues): OtlpRecord {
  const record: OtlpRecord = { resource: resourceAttributes, attributes: {}, timeUnixNano: 0n, observedTimeUnixNano: 0n, severityNumber: 0, severityText: '', body: undefined }
  fields(r, end, (field, wire) => {
    if (field === 1 && wire === WIRE_I64) record.timeUnixNano = uint64(r)
    else if (field === 11 && wire === WIRE_I64) record.observedTimeUnixNano = uint64(r)
    else if (field === 2 && wire === WIRE_VARINT) record.severityNumber = r.int32()
    else if (field === 3 && wire === WIRE_LEN) record.severityText = r.string()
    else if (field === 5 && wire === WIRE_LEN) record.body = anyValue(r, endOf(r))
    else if (field === 6 && wire === WIRE_LEN) keyValue(r, endOf(r), record.attributes)
    else return false
    return true
  })
  return record
}

function scopeLogs (r: Reader, end: number, resourceAttributes: KeyValues, budget: RecordBudget, into: OtlpRecord[]): void {
  fields(r, end, (field, wire) => {
    if (field !== 2 || wire !== WIRE_LEN) return false
    budget.take()
    into.push(logRecord(r, endOf(r), resourceAttributes))
    return true
  })
}

function resourceLogs (r: Reader, end: number, budget: RecordBudget, into: OtlpRecord[]): void {
  // The resource may come after its scope logs on the wire: records take it once it is known.
  const resourceAttributes: KeyValues = {}
  fields(r, end, (field, wire) => {
    if (field === 1 && wire === WIRE_LEN) keyValues(r, endOf(r), resourceAttributes)
    else if (field === 2 && wire === WIRE_LEN) scopeLogs(r, endOf(r), resourceAttributes, budget, into)
    else return false
    return true
  })
}

/** The log records of an ExportLogsServiceRequest in protobuf; a malformed body is a 400. */
export function otlpProtobufRecords (body: Buffer, maxRecords: number): OtlpRecord[] {
  const budget = new RecordBudget(maxRecords)
  const records: OtlpRecord[] = []
  const r = protobuf.Reader.create(body)
  try {
    fields(r, r.len, (field, wire) => {
      if (field !== 1 || wire !== WIRE_LEN) return false
      resourceLogs(r, endOf(r), budget, records)
      return true
    })
  } catch (err) {
    if (isApiError(err)) throw err
    // Malformed here, or protobufjs' own errors for a truncated field or an unknown wire type.
    throw errors.invalidRequest('The body is not an OTLP ExportLogsServiceRequest in protobuf (Content-Type application/x-protobuf).')
  }
  return records
}

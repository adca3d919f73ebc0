// OTLP/HTTP JSON bodies (OTLP's JSON mapping of ExportLogsServiceRequest): lowerCamelCase keys (the proto
// names are accepted too, as protobuf's JSON parsers do), int64 as strings or numbers, bytes as base64 and
// trace ids as hex (neither is stored). Records are counted as they are reached, like the protobuf decoder.
import { errors } from '../../errors.js'
import type { ItemPath } from '../json-scan.js'
import { RecordBudget, type AnyValue, type KeyValues, type OtlpRecord } from './model.js'

type Json = Record<string, unknown>

const bad = (where: string, problem: string): Error =>
  errors.invalidRequest(`The body is not an OTLP ExportLogsServiceRequest in JSON: ${where} ${problem}.`, { field: where })

/** The value of a field under its JSON name or its proto name. */
function field (object: Json, camel: string, snake: string): unknown {
  return object[camel] ?? object[snake]
}

function objectAt (value: unknown, where: string): Json {
  if (value === undefined || value === null) return {}
  if (typeof value !== 'object' || Array.isArray(value)) throw bad(where, 'must be an object')
  return value as Json
}

function arrayAt (value: unknown, where: string): unknown[] {
  if (value === undefined || value === null) return []
  if (!Array.isArray(value)) throw bad(where, 'must be an array')
  return value
}

const INT64 = /^-?\d{1,20}$/

function int64 (value: unknown, where: string): bigint {
  if (typeof value === 'number' && Number.isSafeInteger(value)) return BigInt(value)
  if (typeof value === 'string' && INT64.test(value)) return BigInt(value)
  if (value === undefined || value === null) return 0n
  throw bad(where, 'must be an integer, as a string or a number')
}

function uint64 (value: unknown, where: string): bigint {
  const n = int64(value, where)
  if (n < 0n || n >= 2n ** 64n) throw bad(where, 'must be an unsigned 64-bit integer')
  return n
}

function anyValue (raw: unknown, where: string): AnyValue {
  const value = objectAt(raw, where)
  const string = field(value, 'stringValue', 'string_value')
  if (string !== undefined) {
    if (typeof string !== 'string') throw bad(`${where}.stringValue`, 'must be a string')
    return string
  }
  const bool = field(value, 'boolValue', 'bool_value')
  if (bool !== undefined) {
    if (typeof bool !== 'boolean') throw bad(`${where}.boolValue`, 'must be true or false')
    return bool
  }
  const int = field(value, 'intValue', 'int_value')
  if (int !== undefined) {
    const n = int64(int, `${where}.intValue`)
    if (n < -(2n ** 63n) || n >= 2n ** 63n) throw bad(`${where}.intValue`, 'must be a signed 64-bit integer')
    return n
  }
  const double = field(value, 'doubleValue', 'double_value')
  if (double !== undefined) {
    if (typeof double === 'number') return double
    if (double === 'NaN' || double === 'Infinity' || double === '-Infinity') return Number(double)
    throw bad(`${where}.doubleValue`, 'must be a number')
  }
  const array = field(value, 'arrayValue', 'array_value')
  if (array !== undefined) return arrayAt(objectAt(array, where).values, `${where}.arrayValue.values`).map((v, i) => anyValue(v, `${where}.arrayValue.values[${i}]`))
  const kvlist = field(value, 'kvlistValue', 'kvlist_value')
  if (kvlist !== undefined) return keyValues(objectAt(kvlist, where).values, `${where}.kvlistValue.values`)
  const bytes = field(value, 'bytesValue', 'bytes_value')
  if (bytes !== undefined) {
    if (typeof bytes !== 'string') throw bad(`${where}.bytesValue`, 'must be base64 text')
    return Buffer.from(bytes, 'base64')
  }
  return null
}

function keyValues (raw: unknown, where: string): KeyValues {
  const into: KeyValues = {}
  arrayAt(raw, where).forEach((pair, i) => {
    const kv = objectAt(pair, `${where}[${i}]`)
    if (typeof kv.key !== 'string') throw bad(`${where}[${i}].key`, 'must be a string')
    into[kv.key] = anyValue(kv.value, `${where}[${i}].value`)
  })
  return into
}

function severityNumber (value: unknown, where: string): number {
  if (value === undefined || value === null) return 0
  if (typeof value === 'number' && Number.isInteger(value)) return value
  // Enums may be written by name: SEVERITY_NUMBER_ERROR is 17, the first of each level is 1, 5, 9, 13, 17, 21.
  const level = typeof value === 'string' ? /^SEVERITY_NUMBER_(TRACE|DEBUG|INFO|WARN|ERROR|FATAL)([2-4])?$/.exec(value) : null
  if (level === null) throw bad(where, 'must be a SeverityNumber')
  return ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'FATAL'].indexOf(level[1] as string) * 4 + Number(level[2] ?? 1)
}

function logRecord (raw: unknown, where: string, resource: KeyValues): OtlpRecord {
  const record = objectAt(raw, where)
  const body = field(record, 'body', 'body')
  const severityText = field(record, 'severityText', 'severity_text') ?? ''
  if (typeof severityText !== 'string') throw bad(`${where}.severityText`, 'must be a string')
  return {
    resource,
    attributes: keyValues(field(record, 'attributes', 'attributes'), `${where}.attributes`),
    timeUnixNano: uint64(field(record, 'timeUnixNano', 'time_unix_nano'), `${where}.timeUnixNano`),
    observedTimeUnixNano: uint64(field(record, 'observedTimeUnixNano', 'observed_time_unix_nano'), `${where}.observedTimeUnixNano`),
    severityNumber: severityNumber(field(record, 'severityNumber', 'severity_number'), `${where}.severityNumber`),
    severityText,
    body: body === undefined || body === null ? undefined : anyValue(body, `${where}.body`)
  }
}

/** Where the log records sit in OTLP's JSON (camelCase or the proto's snake_case names), for the scan before parsing. */
export const OTLP_RECORD_ITEMS: ItemPath[] = [
  ['resourceLogs', '*', 'scopeLogs', '*', 'logRecords', '*'],
  ['resource_logs', '*', 'scope_logs', '*', 'log_records', '*']
]

/** The log records of an ExportLogsServiceRequest in JSON (already parsed). */
export function otlpJsonRecords (body: unknown, maxRecords: number): OtlpRecord[] {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw bad('the body', 'must be an object with resourceLogs')
  const budget = new RecordBudget(maxRecords)
  const records: OtlpRecord[] = []
  arrayAt(field(body as Json, 'resourceLogs', 'resource_logs'), 'resourceLogs').forEach((rawResource, r) => {
    const resourceLogs = objectAt(rawResource, `resourceLogs[${r}]`)
    const resource = keyValues(objectAt(resourceLogs.resource, `resourceLogs[${r}].resource`).attributes, `resourceLogs[${r}].resource.attributes`)
    arrayAt(field(resourceLogs, 'scopeLogs', 'scope_logs'), `resourceLogs[${r}].scopeLogs`).forEach((rawScope, s) => {
      const where = `resourceLogs[${r}].scopeLogs[${s}]`
      arrayAt(field(objectAt(rawScope, where), 'logRecords', 'log_records'), `${where}.logRecords`).forEach((rawRecord, l) => {
        budget.take()
        records.push(logRecord(rawRecord, `${where}.logRecords[${l}]`, resource))
      })
    })
  })
  return records
}

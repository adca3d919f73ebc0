// OTLP log records as both decoders (protobuf, JSON) hand them over: one flat record per LogRecord with
// its resource's attributes beside it, values kept exactly (int64 as bigint).
import { errors, type ApiError } from '../../errors.js'

export type AnyValue = string | boolean | bigint | number | Uint8Array | AnyValue[] | KeyValues | null
export interface KeyValues { [key: string]: AnyValue }

export interface OtlpRecord {
  /** The resource's attributes (shared by the records of one resource). */
  resource: KeyValues
  attributes: KeyValues
  timeUnixNano: bigint
  observedTimeUnixNano: bigint
  severityNumber: number
  severityText: string
  /** undefined when the record has no body. */
  body: AnyValue | undefined
}

/** Counts records while a body is decoded: the one past INGEST_MAX_LINES stops decoding with 413. */
export class RecordBudget {
  private count = 0
  constructor (private readonly maxRecords: number) {}

  take (): void {
    this.count++
    if (this.count > this.maxRecords) {
      throw errors.payloadTooLarge(`The request has more than ${this.maxRecords} log records; at most ${this.maxRecords} are accepted in one request (INGEST_MAX_LINES).`,
        { maxLines: this.maxRecords })
    }
  }
}

const DEPTH_LIMIT = 64

/** Compact JSON of a value: int64 exact as digits, bytes as base64 (OTLP's JSON mapping). */
export function compactJson (value: AnyValue, depth = 0): string {
  if (depth > DEPTH_LIMIT) throw errors.invalidRequest(`A log record body nests deeper than ${DEPTH_LIMIT} levels.`)
  if (value === null) return 'null'
  if (typeof value === 'bigint') return value.toString()
  if (typeof value === 'number') return Number.isFinite(value) ? JSON.stringify(value) : JSON.stringify(String(value))
  if (typeof value === 'string' || typeof value === 'boolean') return JSON.stringify(value)
  if (value instanceof Uint8Array) return JSON.stringify(Buffer.from(value).toString('base64'))
  if (Array.isArray(value)) return `[${value.map((v) => compactJson(v, depth + 1)).join(',')}]`
  return `{${Object.entries(value).map(([k, v]) => `${JSON.stringify(k)}:${compactJson(v, depth + 1)}`).join(',')}}`
}

/** An error of the catalogue (the record budget's 413), as opposed to a decoder's complaint. */
export const isApiError = (err: unknown): err is ApiError => typeof (err as ApiError)?.statusCode === 'number' && typeof (err as ApiError).code === 'string'

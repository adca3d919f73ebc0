// OTLP/HTTP answers in protobuf: ExportLogsServiceResponse on success, google.rpc.Status on errors.
import protobuf from 'protobufjs'
import type { otlpAnswer } from './map.js'

export function exportLogsResponse (answer: ReturnType<typeof otlpAnswer>): Buffer {
  const w = protobuf.Writer.create()
  const partial = answer.partialSuccess
  if (partial !== undefined) {
    // partial_success = 1 { int64 rejected_log_records = 1; string error_message = 2 }
    w.uint32(10).fork().uint32(8).int64(Number(partial.rejectedLogRecords)).uint32(18).string(partial.errorMessage).ldelim()
  }
  return Buffer.from(w.finish())
}

/** google.rpc.Status { int32 code = 1; string message = 2 }. */
export function rpcStatus (code: number, message: string): Buffer {
  return Buffer.from(protobuf.Writer.create().uint32(8).int32(code).uint32(18).string(message).finish())
}

// The gRPC code OTLP/HTTP puts in Status for an HTTP status.
const GRPC_CODES: Record<number, number> = { 400: 3, 401: 16, 403: 7, 404: 5, 409: 10, 413: 11, 415: 3, 429: 8, 500: 13, 503: 14 }

export const grpcCodeOf = (httpStatus: number): number => GRPC_CODES[httpStatus] ?? (httpStatus >= 500 ? 13 : 3)

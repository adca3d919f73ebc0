// An independent encoder of OTLP logs requests for tests (protobufjs reflection over the .proto text of
// opentelemetry-proto), so the service's hand-written decoder is checked against the schema.
import protobuf from 'protobufjs'

const OTLP_PROTO = `
syntax = "proto3";
package otlp;
message ExportLogsServiceRequest { repeated ResourceLogs resource_logs = 1; }
message ExportLogsServiceResponse { ExportLogsPartialSuccess partial_success = 1; }
message ExportLogsPartialSuccess { int64 rejected_log_records = 1; string error_message = 2; }
message Status { int32 code = 1; string message = 2; }
message ResourceLogs { Resource resource = 1; repeated ScopeLogs scope_logs = 2; string schema_url = 3; }
message Resource { repeated KeyValue attributes = 1; uint32 dropped_attributes_count = 2; }
message ScopeLogs { InstrumentationScope scope = 1; repeated LogRecord log_records = 2; string schema_url = 3; }
message InstrumentationScope { string name = 1; string version = 2; }
message LogRecord {
  fixed64 time_unix_nano = 1; fixed64 observed_time_unix_nano = 11; int32 severity_number = 2; string severity_text = 3;
  AnyValue body = 5; repeated KeyValue attributes = 6; uint32 dropped_attributes_count = 7; fixed32 flags = 8;
  bytes trace_id = 9; bytes span_id = 10; string event_name = 12;
}
message KeyValue { string key = 1; AnyValue value = 2; }
message AnyValue {
  oneof value { string string_value = 1; bool bool_value = 2; int64 int_value = 3; double double_value = 4;
    ArrayValue array_value = 5; KeyValueList kvlist_value = 6; bytes bytes_value = 7; }
}
message ArrayValue { repeated AnyValue values = 1; }
message KeyValueList { repeated KeyValue values = 1; }
`

const root = protobuf.parse(OTLP_PROTO).root
export const ExportLogsServiceRequest = root.lookupType('otlp.ExportLogsServiceRequest')
export const ExportLogsServiceResponse = root.lookupType('otlp.ExportLogsServiceResponse')
export const RpcStatus = root.lookupType('otlp.Status')

/** Encodes a request written in OTLP's JSON mapping (camelCase, int64 as strings). */
export function encodeLogsRequest (json: unknown): Buffer {
  const message = ExportLogsServiceRequest.fromObject(json as Record<string, unknown>)
  return Buffer.from(ExportLogsServiceRequest.encode(message).finish())
}

export const attr = (key: string, value: string) => ({ key, value: { stringValue: value } })

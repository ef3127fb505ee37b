/**
 * OTLP protobuf (the default of every OTel SDK, the Collector's `otlp_http` exporter and its
 * Kafka exporter's `otlp_proto` encoding) → the very object the OTLP/JSON mapping gives, so one
 * decoder (`sources/otlp.ts`) turns both encodings into the same events: lowerCamelCase names,
 * trace and span ids as lowercase hex (the OTLP/JSON deviation from proto3 JSON), 64-bit integers
 * as decimal strings, enums as integers, `bytesValue` as base64.
 */
import { ExportTraceServiceRequest } from './proto.ts';

const JSON_WHITESPACE = new Set([0x09, 0x0a, 0x0d]);

/**
 * True when the (inflated) body is binary protobuf rather than JSON text. An
 * ExportTraceServiceRequest starts with field 1 (`resource_spans`, tag 0x0A), and every span's
 * `span_id` tag (0x12) or length bytes put control characters in it that JSON text never holds
 * outside `\t \n \r`. A JSON body starting with a newline has none of them.
 */
export function looksLikeOtlpProtobuf(bytes: Uint8Array): boolean {
  if (bytes.length < 2 || bytes[0] !== 0x0a) return false;
  const scan = Math.min(bytes.length, 4096);
  for (let i = 1; i < scan; i++) {
    const b = bytes[i]!;
    if (b < 0x20 && !JSON_WHITESPACE.has(b)) return true;
  }
  return false;
}

/**
 * Decodes an ExportTraceServiceRequest into its OTLP/JSON form. Throws (with protobufjs' reason:
 * offsets and wire types, never payload bytes) when the bytes are not one.
 */
export function decodeTraceRequestProtobuf(bytes: Uint8Array): Record<string, unknown> {
  const message = ExportTraceServiceRequest.decode(bytes);
  const request = ExportTraceServiceRequest.toObject(message, { longs: String, enums: Number, bytes: String });
  for (const rs of list(request.resourceSpans))
    for (const ss of list(rs.scopeSpans))
      for (const span of list(ss.spans)) {
        hexIds(span);
        for (const link of list(span.links)) hexIds(link);
      }
  return request;
}

function list(v: unknown): Record<string, unknown>[] {
  return Array.isArray(v) ? (v as Record<string, unknown>[]) : [];
}

/** protobufjs gives bytes as base64; OTLP/JSON writes trace and span ids as hex. */
function hexIds(o: Record<string, unknown>): void {
  for (const k of ['traceId', 'spanId', 'parentSpanId'])
    if (typeof o[k] === 'string') o[k] = Buffer.from(o[k] as string, 'base64').toString('hex');
}

/**
 * The inverse: an OTLP/JSON request → protobuf bytes with the same generated code (hex ids back to
 * bytes). Causeway never sends OTLP; tests and the bench use it to make protobuf twins of JSON.
 */
export function encodeTraceRequestProtobuf(request: Record<string, unknown>): Uint8Array {
  const copy = structuredClone(request);
  for (const rs of list(copy.resourceSpans))
    for (const ss of list(rs.scopeSpans))
      for (const span of list(ss.spans)) {
        bytesIds(span);
        for (const link of list(span.links)) bytesIds(link);
      }
  return ExportTraceServiceRequest.encode(ExportTraceServiceRequest.fromObject(copy)).finish();
}

function bytesIds(o: Record<string, unknown>): void {
  for (const k of ['traceId', 'spanId', 'parentSpanId'])
    if (typeof o[k] === 'string') o[k] = Buffer.from(o[k] as string, 'hex');
}

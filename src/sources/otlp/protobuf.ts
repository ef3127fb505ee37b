/**
 * OTLP protobuf (the default of every OTel SDK, the Collector's `otlp_http` exporter and its
 * Kafka exporter's `otlp_proto` encoding) → the very object the OTLP/JSON mapping gives, so one
 * decoder (`sources/otlp.ts`) turns both encodings into the same events: lowerCamelCase names,
 * trace and span ids as lowercase hex (the OTLP/JSON deviation from proto3 JSON), 64-bit integers
 * as decimal strings, enums as integers, `bytesValue` as base64.
 */
import protobuf from 'protobufjs';
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
  return jsonMapping(ExportTraceServiceRequest.decode(bytes)) as Record<string, unknown>;
}

/** Fields OTLP/JSON writes as hex rather than proto3 JSON's base64 (Span and Span.Link ids). */
const HEX_IDS = new Set(['traceId', 'spanId', 'parentSpanId']);

/**
 * A decoded message → what protobufjs' `toObject({longs: String, enums: Number, bytes: String})`
 * gives, with hex ids, in one pass. The generated classes keep unset fields on the prototype and
 * set ones as own properties, so own keys are exactly the fields on the wire (plus empty repeated
 * fields, which toObject leaves out as well); the oneof getter lives on the prototype too.
 */
function jsonMapping(value: unknown, key?: string): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (value instanceof Uint8Array) {
    const buffer = Buffer.from(value.buffer, value.byteOffset, value.byteLength);
    return buffer.toString(key !== undefined && HEX_IDS.has(key) ? 'hex' : 'base64');
  }
  if (Array.isArray(value)) return value.map((v) => jsonMapping(v));
  if (isLong(value)) return longToString(value);
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(value)) {
    const v = (value as Record<string, unknown>)[k];
    if (v === null || v === undefined || (Array.isArray(v) && v.length === 0)) continue;
    out[k] = jsonMapping(v, k);
  }
  return out;
}

/** protobufjs decodes 64-bit fields to `Long` (from the `long` package it depends on). */
const isLong = (v: object): v is protobuf.Long =>
  (protobuf.util.Long as unknown as { isLong(v: unknown): boolean }).isLong(v);

/** 64-bit integers as decimal strings (proto3 JSON), through BigInt: Long's own toString divides. */
function longToString(l: protobuf.Long): string {
  const bits = (BigInt(l.high >>> 0) << 32n) | BigInt(l.low >>> 0);
  return (l.unsigned ? bits : BigInt.asIntN(64, bits)).toString();
}

function list(v: unknown): Record<string, unknown>[] {
  return Array.isArray(v) ? (v as Record<string, unknown>[]) : [];
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

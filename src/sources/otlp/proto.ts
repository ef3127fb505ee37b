/**
 * The OTLP protobuf messages Causeway reads and writes, from the official definitions:
 * - `ExportTraceServiceRequest` / `ExportTraceServiceResponse`: the protobufjs code that the
 *   OpenTelemetry JS project generates from opentelemetry-proto and ships in
 *   `@opentelemetry/otlp-transformer` (0.216.0 is the last release that ships it with decoders;
 *   later releases hand-encode requests and read no requests at all).
 * - `google.rpc.Status`: the error body OTLP/HTTP prescribes for failures (googleapis
 *   `google/rpc/status.proto`: `int32 code = 1; string message = 2; repeated google.protobuf.Any
 *   details = 3;`), declared through protobufjs reflection; a test checks it against the
 *   published `status.proto`.
 */
import otlpRoot from '@opentelemetry/otlp-transformer/build/src/generated/root.js';
import protobuf from 'protobufjs';

/** The parts of a protobufjs generated message class that Causeway uses. */
export interface ProtoMessageType {
  decode(bytes: Uint8Array): object;
  encode(message: object): { finish(): Uint8Array };
  fromObject(object: Record<string, unknown>): object;
  toObject(message: object, options: protobuf.IConversionOptions): Record<string, unknown>;
}

interface OtlpTraceCollector {
  ExportTraceServiceRequest: ProtoMessageType;
  ExportTraceServiceResponse: ProtoMessageType;
}

const collector = (
  otlpRoot as unknown as { opentelemetry: { proto: { collector: { trace: { v1: OtlpTraceCollector } } } } }
).opentelemetry.proto.collector.trace.v1;

/** `opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest`. */
export const ExportTraceServiceRequest: ProtoMessageType = collector.ExportTraceServiceRequest;
/** `opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse`. */
export const ExportTraceServiceResponse: ProtoMessageType = collector.ExportTraceServiceResponse;

/** `google.rpc.Status` (details are never sent: our message says everything). */
export const RpcStatus = new protobuf.Type('Status')
  .add(new protobuf.Field('code', 1, 'int32'))
  .add(new protobuf.Field('message', 2, 'string'))
  .add(new protobuf.Field('details', 3, 'google.protobuf.Any', 'repeated'));
new protobuf.Root()
  .addJSON(protobuf.common.get('google/protobuf/any.proto')!.nested!)
  .define('google.rpc')
  .add(RpcStatus);

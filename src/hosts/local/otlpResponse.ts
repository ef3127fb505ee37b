/**
 * OTLP/HTTP answers (opentelemetry-proto `docs/specification.md`, OTLP/HTTP): a request is
 * answered in its own encoding, because a client parses the body by the Content-Type it sent
 * (the Collector reads error bodies as protobuf `google.rpc.Status` only, and logs their message).
 * - success: 200 with an `ExportTraceServiceResponse`, with `partialSuccess` when some spans were
 *   rejected (the client keeps the rest and logs our reason instead of dropping the batch);
 * - failure: 4xx/5xx with a `google.rpc.Status` whose message names what is wrong and the fix.
 * Pure: headers and pipeline counts in, status + content type + bytes out.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { DeadLetter } from '../../ingest/deadLetter.ts';
import type { BatchReport } from '../../common/report.ts';
import { ExportTraceServiceResponse, RpcStatus } from '../../sources/otlp/proto.ts';

/** The two OTLP/HTTP encodings. */
export type OtlpEncoding = 'json' | 'protobuf';

/** What to send back: status, Content-Type and body. */
export interface OtlpAnswer {
  status: number;
  contentType: string;
  body: string | Buffer;
}

/** The request's encoding, or the answer that refuses it. */
export interface OtlpNegotiation {
  encoding: OtlpEncoding;
  refusal?: OtlpAnswer;
}

const CONTENT_TYPE: Record<OtlpEncoding, string> = { json: 'application/json', protobuf: 'application/x-protobuf' };

/** gRPC codes for the Status body (google/rpc/code.proto), by HTTP status. */
const RPC_CODE: Record<number, number> = { 400: 3, 404: 5, 405: 12, 413: 3, 415: 3, 429: 8, 500: 13, 503: 14 };

/** Longest errorMessage / Status message sent back (the client logs it whole). */
const MAX_MESSAGE = 2000;
/** Rejection details quoted in a message; the rest are counted. */
const DETAILS_QUOTED = 3;

/**
 * Reads Content-Type and Content-Encoding. JSON when no Content-Type is sent (a hand-written curl);
 * anything but JSON or protobuf, or a compression other than gzip, is refused with 415 in the
 * encoding the client accepts.
 */
export function negotiateOtlp(headers: IncomingHttpHeaders): OtlpNegotiation {
  const type = mediaType(headers['content-type']);
  const encoding = type === undefined ? 'json' : encodingOf(type);
  if (!encoding) {
    const accepted = encodingOf(mediaType(headers.accept) ?? '') ?? 'json';
    return {
      encoding: accepted,
      refusal: otlpStatus(
        accepted,
        415,
        'OTLP/HTTP accepts Content-Type application/x-protobuf or application/json; send one of them',
      ),
    };
  }
  const compression = String(headers['content-encoding'] ?? 'identity')
    .trim()
    .toLowerCase();
  if (compression !== 'gzip' && compression !== 'identity' && compression !== '')
    return {
      encoding,
      refusal: otlpStatus(
        encoding,
        415,
        'this Content-Encoding is not supported; send gzip or uncompressed bodies (Collector exporter compression: gzip)',
      ),
    };
  return { encoding };
}

/** A failure: `google.rpc.Status` in the request's encoding. */
export function otlpStatus(encoding: OtlpEncoding, status: number, message: string): OtlpAnswer {
  const code = RPC_CODE[status] ?? 2; // 2 = UNKNOWN
  const text = truncate(message);
  if (encoding === 'json')
    return { status, contentType: CONTENT_TYPE.json, body: JSON.stringify({ code, message: text }) };
  const body = Buffer.from(RpcStatus.encode(RpcStatus.fromObject({ code, message: text })).finish());
  return { status, contentType: CONTENT_TYPE.protobuf, body };
}

/**
 * The answer to an export that went through the pipeline. Spans dropped on purpose (no agent or
 * MCP attributes) count as accepted; rejected spans are reported as a partial success, naming
 * each reason (field and shape, never a value). A body nothing could be read from is a 400.
 */
export function otlpExportAnswer(
  encoding: OtlpEncoding,
  records: BatchReport,
  deadLetters: readonly DeadLetter[],
): OtlpAnswer {
  const rejected = records.counts.rejected;
  const accepted = records.counts.delivered + records.counts.dropped;
  if (rejected > 0 && accepted === 0)
    return otlpStatus(encoding, 400, `nothing in the export could be decoded: ${describe(rejected, deadLetters)}`);
  const partialSuccess =
    rejected > 0
      ? {
          rejectedSpans: rejected,
          errorMessage: `${rejected} of ${rejected + accepted} spans rejected: ${describe(rejected, deadLetters)}`,
        }
      : undefined;
  if (encoding === 'json')
    return {
      status: 200,
      contentType: CONTENT_TYPE.json,
      // proto3 JSON writes int64 as a decimal string.
      body: JSON.stringify(
        partialSuccess ? { partialSuccess: { ...partialSuccess, rejectedSpans: String(rejected) } } : {},
      ),
    };
  const message = ExportTraceServiceResponse.fromObject(partialSuccess ? { partialSuccess } : {});
  return {
    status: 200,
    contentType: CONTENT_TYPE.protobuf,
    body: Buffer.from(ExportTraceServiceResponse.encode(message).finish()),
  };
}

/** `record 3: … (schema-mismatch ×2); span 9 is … bytes (too-large); …` from the dead letters' reasons. */
function describe(rejected: number, deadLetters: readonly DeadLetter[]): string {
  const shown = deadLetters.slice(0, DETAILS_QUOTED);
  const quoted = shown.map((d) => `${d.reason} (${d.reasonCode}${(d.count ?? 1) > 1 ? ` ×${d.count}` : ''})`);
  const rest = rejected - shown.reduce((n, d) => n + (d.count ?? 1), 0);
  return truncate(quoted.join('; ') + (rest > 0 ? `; and ${rest} more` : ''));
}

function truncate(text: string): string {
  return text.length <= MAX_MESSAGE ? text : text.slice(0, MAX_MESSAGE - 1) + '…';
}

function mediaType(header: string | string[] | undefined): string | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  if (value === undefined || value.trim() === '') return undefined;
  return value.split(';')[0]!.trim().toLowerCase();
}

function encodingOf(type: string): OtlpEncoding | undefined {
  if (type === 'application/x-protobuf' || type === 'application/protobuf') return 'protobuf';
  if (type === 'application/json') return 'json';
  return undefined;
}

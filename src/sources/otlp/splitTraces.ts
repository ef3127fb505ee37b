/**
 * One OTLP export request → one record per span. A Collector batch (8,192 spans by default) is an
 * envelope, not a record: the per-record limits (`limits.maxRecordBytes`, `limits.maxDepth`) apply
 * to each span, so one oversized span is rejected alone and the rest of the export goes on. Each
 * record is itself a well-formed ExportTraceServiceRequest holding one span under its own resource
 * and scope (shared objects, not copies), so the OTLP decoder needs no second entry point.
 */
import type { EnvelopeLimits, Unwrapped } from '../envelope.ts';
import { serialise, valueExceedsDepth } from '../jsonText.ts';

/** An OTLP traces request in the JSON mapping (or decoded from protobuf into it). */
export interface OtlpTracesRequest {
  resourceSpans: unknown[];
  [key: string]: unknown;
}

/** True for an object whose `resourceSpans` is an array: what the OTLP source detects. */
export function isOtlpTracesRequest(value: unknown): value is OtlpTracesRequest {
  return (
    value !== null &&
    typeof value === 'object' &&
    !Array.isArray(value) &&
    Array.isArray((value as { resourceSpans?: unknown }).resourceSpans)
  );
}

export interface SplitOptions {
  /** Bytes of the encoded request; spans are measured one by one only when it could hold one too large. */
  bodyBytes: number;
  /** Measure every span whatever the body size (protobuf: a span's JSON form outgrows its wire form). */
  measure?: boolean;
  /** The request's text nests deeper than `limits.maxDepth`: find the spans that do. */
  deep?: boolean;
  /** Position every record gets (a JSON Lines line); spans are numbered 1, 2, … from the request when absent. */
  position?: number;
}

/** The depth the one-span request adds around a span: request, resourceSpans, rs, scopeSpans, ss, spans. */
const WRAPPER_DEPTH = 6;

/** Appends one record per span (or a rejection) of `request` to `out`. */
export function splitTraces(
  request: OtlpTracesRequest,
  options: SplitOptions,
  limits: EnvelopeLimits,
  out: Unwrapped,
): void {
  const total = countSpans(request);
  const measure = options.measure || options.deep || options.bodyBytes > limits.maxRecordBytes;
  const approxSize = Math.round(options.bodyBytes / Math.max(1, total));
  let n = 0;
  let added = 0;
  const add = (record: Record<string, unknown>, span?: unknown, wrapperTooDeep = false) => {
    const position = options.position ?? ++n;
    added++;
    if (!out.budget.take()) return;
    if (!measure) {
      out.records.push({ value: record, size: approxSize, position });
      return;
    }
    const m = measureValue(
      span ?? record,
      span ? limits.maxDepth - WRAPPER_DEPTH : limits.maxDepth,
      limits.maxRecordBytes,
    );
    if (m.tooDeep || wrapperTooDeep) {
      out.rejections.push({
        reason: 'too-deep',
        detail: `span ${position} nests deeper than ${limits.maxDepth} levels with its request around it (limits.maxDepth)`,
        // Never serialised: a span nested past the stack would overflow it.
        text: '',
        position,
      });
      return;
    }
    // Characters undercount UTF-8 bytes by at most 3×: only a span that may be too large is serialised.
    const text = m.chars * 3 > limits.maxRecordBytes ? serialise(span ?? record) : undefined;
    const size = text === undefined ? m.chars : Buffer.byteLength(text);
    if (text !== undefined && size > limits.maxRecordBytes) {
      out.rejections.push({
        reason: 'too-large',
        detail: `span ${position} is ${size} bytes; the limit is ${limits.maxRecordBytes} (limits.maxRecordBytes)`,
        text,
        position,
      });
      return;
    }
    out.records.push({ value: record, size, position });
  };

  for (const rs of request.resourceSpans) {
    const resourceSpans = plain(rs);
    const scopeSpansList = resourceSpans?.scopeSpans;
    if (!resourceSpans || (scopeSpansList !== undefined && !Array.isArray(scopeSpansList))) {
      // Malformed: handed on whole, so the decoder's schema check names what is wrong.
      add({ resourceSpans: [rs] });
      continue;
    }
    // Depth is counted from the request: the resource sits at level 4, a scope at 6, a span at 7.
    const resourceTooDeep = measure && valueExceedsDepth(resourceSpans.resource, limits.maxDepth - 3);
    for (const ss of (scopeSpansList as unknown[] | undefined) ?? []) {
      const scopeSpans = plain(ss);
      const spans = scopeSpans?.spans;
      if (!scopeSpans || (spans !== undefined && !Array.isArray(spans))) {
        add({ resourceSpans: [{ ...resourceOf(resourceSpans), scopeSpans: [ss] }] });
        continue;
      }
      const tooDeep = resourceTooDeep || (measure && valueExceedsDepth(scopeSpans.scope, limits.maxDepth - 5));
      for (const span of (spans as unknown[] | undefined) ?? [])
        add(
          {
            resourceSpans: [{ ...resourceOf(resourceSpans), scopeSpans: [{ ...scopeOf(scopeSpans), spans: [span] }] }],
          },
          span,
          tooDeep,
        );
    }
  }
  // An export with no span in it still ends with a status.
  if (!added)
    out.drops.push({ reason: 'empty', detail: 'the OTLP export holds no spans', position: options.position ?? 1 });
}

function plain(v: unknown): Record<string, unknown> | undefined {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}

function resourceOf(rs: Record<string, unknown>): Record<string, unknown> {
  return rs.schemaUrl === undefined ? { resource: rs.resource } : { resource: rs.resource, schemaUrl: rs.schemaUrl };
}

function scopeOf(ss: Record<string, unknown>): Record<string, unknown> {
  return ss.schemaUrl === undefined ? { scope: ss.scope } : { scope: ss.scope, schemaUrl: ss.schemaUrl };
}

function countSpans(request: OtlpTracesRequest): number {
  let n = 0;
  for (const rs of request.resourceSpans) {
    const list = plain(rs)?.scopeSpans;
    if (!Array.isArray(list)) continue;
    for (const ss of list) {
      const spans = plain(ss)?.spans;
      if (Array.isArray(spans)) n += spans.length;
    }
  }
  return n;
}

/**
 * About the length of a value's JSON text (strings and keys counted exactly, numbers and
 * punctuation roughly), and whether it nests deeper than `maxDepth`, without serialising it. Stops
 * early once the length passes 3 × `maxChars` or the depth passes the limit.
 */
export function measureValue(value: unknown, maxDepth: number, maxChars: number): { chars: number; tooDeep: boolean } {
  const state = { chars: 0, tooDeep: false };
  const budget = maxChars * 3;
  const walk = (v: unknown, depth: number): void => {
    if (typeof v === 'string') state.chars += v.length + 2;
    else if (v === null || typeof v !== 'object') state.chars += 8;
    else if (depth > maxDepth) state.tooDeep = true;
    else if (Array.isArray(v)) {
      state.chars += 2;
      for (let i = 0; i < v.length && !state.tooDeep && state.chars <= budget; i++) walk(v[i], depth + 1);
    } else {
      state.chars += 2;
      for (const k in v) {
        if (state.tooDeep || state.chars > budget) return;
        state.chars += k.length + 4;
        walk((v as Record<string, unknown>)[k], depth + 1);
      }
    }
  };
  walk(value, 1);
  return state;
}

export { valueExceedsDepth } from '../jsonText.ts';

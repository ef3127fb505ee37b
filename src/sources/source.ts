/**
 * The contract every source (one per product) implements: detect its records, decode them into
 * RuntimeEvents. Pure: no I/O, no clock, no state.
 */
import type { RuntimeEvent } from '../model/event.ts';
import type { ReasonCode } from '../common/status.ts';
import type { TimeLimits, TimeWindow } from '../common/timeWindow.ts';

export interface DecodeContext {
  /** Cluster for sources that name none (from the input's configuration). */
  cluster: string;
  redaction: { excerpts: boolean; excerptLength: number };
  /** AKS clusters by resource name or id (lower-cased) → the cluster name the sensors use (`cloud.clusterNames`). */
  aksClusterNames?: Readonly<Record<string, string>>;
  /** The sane range of event times and the arrival clock; the default range at a stopped clock when absent. */
  time?: DecodeTime;
}

/** Event-time bounds for one body, read once from the injected clock. */
export interface DecodeTime {
  window: TimeWindow;
  limits: Partial<TimeLimits>;
  /** When the body arrived (the clock): the time of a notice that carries no usable one. */
  arrival: number;
}

/** A part of a record that ends without becoming an event (counted, with its reason). */
export interface DecodeDrop {
  reason: ReasonCode;
  detail: string;
}

export interface DecodeResult {
  events: RuntimeEvent[];
  drops: DecodeDrop[];
  /**
   * Parts of a record that fans out (one alert of an envelope of many) rejected on their own, so
   * their neighbours go on; counted and dead-lettered by stage ①.
   */
  rejects?: DecodeDrop[];
}

export interface Source {
  /** Product name, e.g. `tetragon`. */
  readonly name: string;
  /** True when the record is this product's. Checked in registry order; cheap. */
  detect(record: Record<string, unknown>): boolean;
  /**
   * Decodes one record (which may fan out into many events). Throws PermanentError with a
   * reason code (e.g. `schema-mismatch`) when the record is this product's but malformed.
   */
  decode(record: Record<string, unknown>, ctx: DecodeContext): DecodeResult;
}

/** Helpers for reading untyped JSON without `any`. */
export type Json = Record<string, unknown>;

export function obj(v: unknown): Json | undefined {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : undefined;
}

export function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : typeof v === 'number' ? String(v) : undefined;
}

export function num(v: unknown): number | undefined {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'string' && /^-?\d+(\.\d+)?$/.test(v)) return Number(v);
  return undefined;
}

export function arr(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

/** Drops undefined values so events stay compact (and snapshots small). */
export function compact<T extends object>(o: T): T {
  for (const k of Object.keys(o) as (keyof T)[]) if (o[k] === undefined) delete o[k];
  return o;
}

export function result(events: RuntimeEvent[], drops: DecodeDrop[] = []): DecodeResult {
  return { events, drops };
}

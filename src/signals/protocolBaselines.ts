/**
 * Protocol-layer baselines for stateful rules that need a count or a norm rather than a set:
 * `burst` (probing: JSON-RPC errors, denials from one client or session within a window), `varies`
 * (a session id used from a client address it never had) and `outlier` (an argument length or a
 * response size far above its tool's running mean). One instance per workload, bounded: each map
 * holds at most MAX_KEYS keys (oldest out first, evictions counted).
 */
import { BoundedMap } from '../common/boundedMap.ts';
import { describeEvent } from '../model/describe.ts';
import type { RuntimeEvent } from '../model/event.ts';
import { fieldGetter, type FieldGetter } from './match.ts';
import type { RuleDefinition } from './rulePack.ts';

const MAX_KEYS = 1024;
/** Values remembered per `varies` key (a session's client addresses). */
const MAX_VALUES = 8;

/** The part of a compiled rule a protocol condition reads. */
export interface ProtocolRule {
  def: RuleDefinition;
  keyGetters: FieldGetter[];
}

interface Burst {
  /** Times in the window, each with the value it counts (one per event, or the `distinct` fields). */
  hits: [number, string][];
  firedAt?: number;
}

interface Mean {
  n: number;
  mean: number;
}

/** A workload's counters as snapshot data (absent from snapshots made before they were kept). */
export interface ProtocolSnapshot {
  bursts: [string, Burst][];
  values: [string, string[]][];
  means: [string, Mean][];
}

/** The counters of one workload. */
export class ProtocolState {
  readonly bursts = new BoundedMap<string, Burst>(MAX_KEYS);
  readonly values = new BoundedMap<string, string[]>(MAX_KEYS);
  readonly means = new BoundedMap<string, Mean>(MAX_KEYS);

  get evictions(): number {
    return this.bursts.evictions + this.values.evictions + this.means.evictions;
  }

  /** Undefined when nothing was counted (most workloads serve no MCP traffic). */
  snapshot(): ProtocolSnapshot | undefined {
    if (!this.bursts.size && !this.values.size && !this.means.size) return undefined;
    return { bursts: this.bursts.toArray(), values: this.values.toArray(), means: this.means.toArray() };
  }

  /**
   * Takes counters back from a snapshot, each entry checked for the shape this module writes (a
   * snapshot altered at rest loses the entries that are not, never the partition).
   */
  restore(s: ProtocolSnapshot): void {
    for (const [k, b] of entries<Partial<Burst> | undefined>(s.bursts))
      if (Array.isArray(b?.hits) && b.hits.length && b.hits.every(isHit))
        this.bursts.set(k, { hits: b.hits.slice(-MAX_HITS), firedAt: finite(b.firedAt) });
    for (const [k, v] of entries<unknown>(s.values))
      if (Array.isArray(v) && v.length && v.every((x) => typeof x === 'string'))
        this.values.set(k, v.slice(0, MAX_VALUES));
    for (const [k, m] of entries<Partial<Mean> | undefined>(s.means)) {
      const n = finite(m?.n);
      const mean = finite(m?.mean);
      if (n !== undefined && mean !== undefined) this.means.set(k, { n, mean });
    }
  }
}

/** Hits kept per burst key after a restore (the live bound is 4 × the rule's count). */
const MAX_HITS = 256;

function entries<V>(list: unknown): [string, V][] {
  if (!Array.isArray(list)) return [];
  return list.filter((e): e is [string, V] => Array.isArray(e) && typeof e[0] === 'string').slice(-MAX_KEYS);
}

function isHit(h: unknown): h is [number, string] {
  return Array.isArray(h) && finite(h[0]) !== undefined && typeof h[1] === 'string';
}

function finite(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

const valueGetters = new Map<string, FieldGetter>();
const getterFor = (field: string) => {
  let g = valueGetters.get(field);
  if (!g) valueGetters.set(field, (g = fieldGetter(field)));
  return g;
};

/** The reason the rule's protocol condition fires on the event, or undefined. */
export function protocolCondition(rule: ProtocolRule, event: RuntimeEvent, state: ProtocolState): string | undefined {
  const c = rule.def.condition!;
  const key = `${rule.def.id}|${rule.keyGetters.map((g) => String(g(event) ?? '')).join('|')}`;
  if (c.burst) {
    const value = c.burst.distinct
      ? c.burst.distinct.map((f) => String(getterFor(f)(event) ?? '')).join('|')
      : event.id;
    const n = burst(state, key, event.time, value, c.burst.count, c.burst.withinSeconds * 1000);
    const what = c.burst.distinct ? `distinct ${keyName(c.burst.distinct)} values` : 'events';
    return n
      ? `${describeEvent(event)} (${n} ${what} within ${c.burst.withinSeconds} s from one ${keyName(c.burst.key)})`
      : undefined;
  }
  if (c.varies) {
    const value = getterFor(c.varies.value)(event);
    if (value === undefined || value === '') return undefined;
    const known = state.values.get(key);
    if (!known) {
      state.values.set(key, [String(value)]);
      return undefined;
    }
    if (known.includes(String(value))) return undefined;
    if (known.length < MAX_VALUES) known.push(String(value));
    return `${describeEvent(event)} (${keyName(c.varies.key)} seen before from ${known.length - 1} other ${c.varies.value.split('.').pop()} value${known.length > 2 ? 's' : ''})`;
  }
  if (c.outlier) {
    const value = Number(getterFor(c.outlier.value)(event));
    if (!Number.isFinite(value) || value < 0) return undefined;
    const m = state.means.get(key) ?? { n: 0, mean: 0 };
    const typical = m.mean;
    const fires =
      m.n >= c.outlier.minSamples && value >= (c.outlier.atLeast ?? 0) && value > typical * c.outlier.factor;
    m.n++;
    m.mean += (value - m.mean) / m.n;
    state.means.set(key, m);
    return fires
      ? `${describeEvent(event)} (${c.outlier.value} ${Math.round(value)} against a mean of ${Math.round(typical)} over ${m.n - 1} calls)`
      : undefined;
  }
  return undefined;
}

/** Counts the event; the count of distinct values when it reaches `count` within the window (once per window). */
function burst(
  state: ProtocolState,
  key: string,
  time: number,
  value: string,
  count: number,
  windowMs: number,
): number | undefined {
  let b = state.bursts.get(key);
  if (!b) state.bursts.set(key, (b = { hits: [] }));
  b.hits.push([time, value]);
  b.hits = b.hits.filter(([t]) => t >= time - windowMs && t <= time + windowMs);
  // Bounded: far more hits than the threshold say nothing more.
  if (b.hits.length > 4 * count) b.hits.splice(0, b.hits.length - 4 * count);
  const n = new Set(b.hits.map(([, v]) => v)).size;
  if (n < count) return undefined;
  if (b.firedAt !== undefined && Math.abs(time - b.firedAt) <= windowMs) return undefined;
  b.firedAt = time;
  return n;
}

function keyName(fields: readonly string[]): string {
  return fields.map((f) => f.split('.').pop()).join('/');
}

const states = new WeakMap<object, ProtocolState>();

/** The owner's counters as snapshot data, without making an empty state for an owner that has none. */
export function protocolSnapshotOf(owner: object): ProtocolSnapshot | undefined {
  return states.get(owner)?.snapshot();
}

/**
 * The protocol state of an owner (a workload's state), held beside it and written into its
 * snapshot (workload/snapshot.ts), so a new partition owner keeps the sessions' addresses, the
 * tools' running means and the bursts under way.
 */
export function protocolStateOf(owner: object): ProtocolState {
  let s = states.get(owner);
  if (!s) states.set(owner, (s = new ProtocolState()));
  return s;
}

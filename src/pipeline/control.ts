/**
 * Control messages ride the internal hubs with the data, so they are ordered with it:
 * - `tick` (the timer): workload partitions release what waited past the parking timeout in a
 *   workload gone quiet; story partitions close idle stories.
 * - `flush` (end of input): workload partitions release parked events and forward the flush to
 *   every story partition after their own episodes; story partitions write held updates.
 * A flush marker put on several input partitions (`causeway flush`) carries an id and how many
 * there are (`of`); a workload partition flushes once it has the marker from every one of them
 * (`from`), so no input partition still behind gets its parked events released early.
 */

/** The timer, broadcast on both internal hubs. */
export interface TickMessage {
  control: 'tick';
  now: number;
}

/** End of input. */
export interface FlushMessage {
  control: 'flush';
  id?: string;
  of?: number;
  from?: string;
}

export type ControlMessage = TickMessage | FlushMessage;

export const FLUSH: FlushMessage = { control: 'flush' };

export function isControl(m: unknown): m is ControlMessage {
  if (typeof m !== 'object' || m === null) return false;
  const c = (m as { control?: unknown }).control;
  const now = (m as TickMessage).now;
  return (c === 'tick' && typeof now === 'number' && Number.isFinite(now)) || c === 'flush';
}

/** A batch split into runs of data messages and single control messages, in order. */
export interface Run<T> {
  messages: T[];
  control?: ControlMessage;
}

export function runsOf<T>(messages: readonly (T | ControlMessage)[]): Run<T>[] {
  const out: Run<T>[] = [];
  let current: T[] = [];
  for (const m of messages) {
    if (!isControl(m)) {
      current.push(m);
      continue;
    }
    if (current.length) out.push({ messages: current });
    out.push({ messages: [], control: m });
    current = [];
  }
  if (current.length) out.push({ messages: current });
  return out;
}

/** An end-of-input marker on an input hub: `{"control":"flush"}`, optionally with `id` and `of`. */
export function flushMarker(body: Buffer | string): FlushMessage | undefined {
  if (body.length > 200) return undefined;
  try {
    const v = JSON.parse(body.toString()) as Partial<FlushMessage> | null;
    if (typeof v !== 'object' || v === null || v.control !== 'flush') return undefined;
    if (Object.keys(v).some((k) => !['control', 'id', 'of'].includes(k))) return undefined;
    if (v.id === undefined && v.of === undefined) return FLUSH;
    if (typeof v.id !== 'string' || !Number.isInteger(v.of) || v.of! <= 0) return undefined;
    return { control: 'flush', id: v.id.slice(0, 64), of: v.of };
  } catch {
    return undefined;
  }
}

/**
 * End-of-input markers gathered so far by one workload partition, by marker id: the input
 * partitions they came from. Saved with the partition's snapshot.
 */
export class FlushGathering {
  private readonly byId: Map<string, Set<string>>;

  constructor(saved: readonly [string, string[]][] = []) {
    this.byId = new Map(saved.map(([id, from]) => [id, new Set(from)]));
  }

  /** Whether this flush completes its marker (a plain flush needs no gathering). */
  complete(c: FlushMessage): boolean {
    if (!c.id || !c.of) return true;
    const from = this.byId.get(c.id) ?? new Set<string>();
    from.add(c.from ?? '');
    if (from.size < c.of) {
      this.byId.set(c.id, from);
      return false;
    }
    this.byId.delete(c.id);
    return true;
  }

  get size(): number {
    return this.byId.size;
  }

  toJSON(): [string, string[]][] {
    return [...this.byId].map(([id, from]) => [id, [...from]]);
  }
}

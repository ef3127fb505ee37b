/**
 * Defender payloads change key case between surfaces (PascalCase export, camelCase ARM, Log
 * Analytics columns); Elastic's pipeline lowercases every key for the same reason. This reads
 * keys case-insensitively without copying the object.
 */
import type { Json } from '../source.ts';

const views = new WeakMap<object, Map<string, unknown>>();

export function ci(o: Json | undefined): Map<string, unknown> {
  if (!o) return new Map();
  let view = views.get(o);
  if (!view) {
    view = new Map();
    for (const [k, v] of Object.entries(o)) {
      const key = k.toLowerCase();
      if (!view.has(key)) view.set(key, v);
    }
    views.set(o, view);
  }
  return view;
}

/** The first present value among several key spellings (already lower-case). */
export function pick(view: Map<string, unknown>, ...keys: string[]): unknown {
  for (const k of keys) {
    const v = view.get(k);
    if (v !== undefined && v !== null && v !== '') return v;
  }
  return undefined;
}

/** Log Analytics columns such as Entities and ExtendedProperties are JSON held in strings. */
export function jsonValue(v: unknown): unknown {
  if (typeof v !== 'string') return v;
  const t = v.trim();
  if (!(t.startsWith('{') || t.startsWith('['))) return v;
  try {
    return JSON.parse(t);
  } catch {
    return v;
  }
}

/**
 * Row columns within their byte budgets (STORY_ROW_BUDGET): the last guard of the row budget, after
 * repeated events were grouped. What a column cannot hold is left out, and counted by the caller.
 */
import { singleLine } from './escape.ts';
import { STORY_ROW_BUDGET } from './storyBudget.ts';

/**
 * Keeps items, in priority order, while their JSON fits `maxBytes`; returns them in their original
 * order and how many were left out. The last guard of the budget: after grouping it rarely drops any.
 */
export function fitBytes<T>(
  items: readonly T[],
  maxBytes: number,
  priority?: (a: T, b: T) => number,
): {
  items: T[];
  leftOut: number;
} {
  const order = items.map((item, i) => ({ item, i, bytes: Buffer.byteLength(JSON.stringify(item)) + 1 }));
  let total = 2;
  for (const o of order) total += o.bytes;
  if (total <= maxBytes) return { items: [...items], leftOut: 0 };
  const ranked = priority ? [...order].sort((a, b) => priority(a.item, b.item) || a.i - b.i) : order;
  const chosen = new Set<number>();
  total = 2;
  for (const o of ranked) {
    if (total + o.bytes > maxBytes) continue;
    total += o.bytes;
    chosen.add(o.i);
  }
  return { items: items.filter((_, i) => chosen.has(i)), leftOut: items.length - chosen.size };
}

/** A list column kept within its byte budget (sorted values; the first ones stay). */
export function boundedList(values: readonly string[], maxBytes: number = STORY_ROW_BUDGET.listBytes): string[] {
  return fitBytes(
    values.map((v) =>
      v.length > STORY_ROW_BUDGET.maxEntityChars ? singleLine(v, STORY_ROW_BUDGET.maxEntityChars) : v,
    ),
    maxBytes,
    () => 0,
  ).items;
}

/**
 * Entities within budget: at most maxEntityValues per kind (values of shown events first), each
 * value bounded, and fewer per kind until the whole fits entitiesBytes. Returns what was left out.
 */
export function boundedEntities(
  all: Record<string, string[]>,
  shown: Record<string, string[]>,
): { entities: Record<string, string[]>; leftOut: Record<string, number> } {
  const ranked = Object.fromEntries(
    Object.entries(all).map(([kind, values]) => {
      const first = new Set(shown[kind] ?? []);
      const order = [...values].sort((a, b) => Number(first.has(b)) - Number(first.has(a)) || (a < b ? -1 : 1));
      return [
        kind,
        order.map((v) =>
          v.length > STORY_ROW_BUDGET.maxEntityChars ? singleLine(v, STORY_ROW_BUDGET.maxEntityChars) : v,
        ),
      ];
    }),
  );
  for (const cap of [STORY_ROW_BUDGET.maxEntityValues, 20, 10, 5, 2, 1]) {
    const entities = Object.fromEntries(
      Object.entries(ranked).map(([k, v]) => [k, [...new Set(v.slice(0, cap))].sort()]),
    );
    if (Buffer.byteLength(JSON.stringify(entities)) <= STORY_ROW_BUDGET.entitiesBytes || cap === 1) {
      const leftOut: Record<string, number> = {};
      for (const [k, v] of Object.entries(all))
        if (v.length > entities[k]!.length) leftOut[k] = v.length - entities[k]!.length;
      return { entities, leftOut };
    }
  }
  /* c8 ignore next */
  return { entities: {}, leftOut: {} };
}

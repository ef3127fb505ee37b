/** Greedy split into batches whose summed size stays within `maxBytes`; an oversize item goes alone. */
export function sizedBatches<T>(items: readonly T[], sizeOf: (item: T) => number, maxBytes: number, base = 0): T[][] {
  const batches: T[][] = [];
  let current: T[] = [];
  let size = base;
  for (const item of items) {
    const n = sizeOf(item);
    if (current.length && size + n > maxBytes) {
      batches.push(current);
      current = [];
      size = base;
    }
    current.push(item);
    size += n;
  }
  if (current.length) batches.push(current);
  return batches;
}

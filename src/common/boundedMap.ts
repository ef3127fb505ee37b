/**
 * A Map with a size cap; past it the oldest entry (by insertion) goes. Every eviction is counted
 * (bounded state, DESIGN §2: never unbounded growth, evictions show in health rows).
 * Insertion order rather than strict LRU: re-inserting on every read costs a Map delete and
 * insert per event on the hot path, and the entries here (processes, dedupe ids, episodes) age
 * in insertion order anyway.
 */
export class BoundedMap<K, V> {
  private readonly map = new Map<K, V>();
  evictions = 0;

  constructor(
    readonly cap: number,
    private readonly onEvict?: (key: K, value: V) => void,
  ) {}

  get size(): number {
    return this.map.size;
  }

  get(key: K): V | undefined {
    return this.map.get(key);
  }

  has(key: K): boolean {
    return this.map.has(key);
  }

  set(key: K, value: V): void {
    this.map.set(key, value);
    while (this.map.size > this.cap) {
      const oldest = this.map.keys().next().value as K;
      const v = this.map.get(oldest) as V;
      this.map.delete(oldest);
      this.evictions++;
      this.onEvict?.(oldest, v);
    }
  }

  /** Makes an entry the newest (the last to go), where recent use matters more than insertion. */
  touch(key: K): void {
    const v = this.map.get(key);
    if (v === undefined) return;
    this.map.delete(key);
    this.map.set(key, v);
  }

  delete(key: K): boolean {
    return this.map.delete(key);
  }

  values(): IterableIterator<V> {
    return this.map.values();
  }

  entries(): IterableIterator<[K, V]> {
    return this.map.entries();
  }

  keys(): IterableIterator<K> {
    return this.map.keys();
  }

  /** Oldest first. */
  toArray(): [K, V][] {
    return [...this.map.entries()];
  }
}

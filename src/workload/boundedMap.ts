/**
 * A Map with a size cap and least-recently-used eviction. Every eviction is counted (bounded
 * state, DESIGN §2: never unbounded growth, evictions show in health rows).
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

  /** Reads and marks as recently used. */
  touch(key: K): V | undefined {
    const v = this.map.get(key);
    if (v !== undefined) {
      this.map.delete(key);
      this.map.set(key, v);
    }
    return v;
  }

  set(key: K, value: V): void {
    if (this.map.has(key)) this.map.delete(key);
    this.map.set(key, value);
    while (this.map.size > this.cap) {
      const oldest = this.map.keys().next().value as K;
      const v = this.map.get(oldest) as V;
      this.map.delete(oldest);
      this.evictions++;
      this.onEvict?.(oldest, v);
    }
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

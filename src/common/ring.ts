/** A fixed-capacity buffer of the most recent items; the oldest falls out (counted). */
export class Ring<T> {
  private items: T[] = [];
  dropped = 0;

  constructor(readonly cap: number) {}

  push(item: T): void {
    this.items.push(item);
    if (this.items.length > this.cap * 2) this.trim();
  }

  private trim(): void {
    const excess = this.items.length - this.cap;
    if (excess > 0) {
      this.items = this.items.slice(excess);
      this.dropped += excess;
    }
  }

  /** Drops items for which `keep` is false (time-based expiry). */
  retain(keep: (item: T) => boolean): void {
    this.trim();
    const before = this.items.length;
    this.items = this.items.filter(keep);
    void before;
  }

  toArray(): T[] {
    this.trim();
    return this.items;
  }

  static from<T>(items: T[], cap: number): Ring<T> {
    const r = new Ring<T>(cap);
    r.items = items.slice(-cap);
    return r;
  }
}

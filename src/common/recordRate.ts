/**
 * Records per second per input, as a token bucket that may go into debt: a body is admitted while
 * its input has budget left, its records are charged after it is read, and an input that sent
 * more than its rate waits (HTTP 429 with Retry-After) until the debt is paid back. The bucket
 * holds at most one second of records, so a quiet input cannot save up a flood.
 */
export class RecordRate {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    private readonly perSecond: number,
    private readonly clock: () => number = Date.now,
  ) {}

  /** Milliseconds until `input` may send again; 0 when it may now. */
  waitMs(input: string): number {
    const b = this.refill(input);
    return b.tokens > 0 ? 0 : Math.ceil(((1 - b.tokens) / this.perSecond) * 1000);
  }

  /** Charges `records` to `input`. */
  charge(input: string, records: number): void {
    this.refill(input).tokens -= records;
  }

  private refill(input: string): { tokens: number; at: number } {
    const now = this.clock();
    let b = this.buckets.get(input);
    if (!b) this.buckets.set(input, (b = { tokens: this.perSecond, at: now }));
    b.tokens = Math.min(this.perSecond, b.tokens + ((now - b.at) / 1000) * this.perSecond);
    b.at = now;
    return b;
  }
}

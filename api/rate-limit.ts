/**
 * Per-client request rate limit: a token bucket per key (the authenticated principal, else the
 * remote address), so one noisy or hostile client cannot starve the others or brute-force tokens.
 * The table of buckets is bounded: when full, the least recently used key is dropped, so a flood
 * of new addresses costs bounded memory (a dropped key merely starts again with a full bucket).
 */
export interface RateLimitOptions {
  /** Requests allowed in a burst. */
  burst: number;
  /** Sustained requests per second. */
  perSecond: number;
  /** Most keys tracked at once. */
  maxKeys?: number;
}

interface Bucket {
  tokens: number;
  at: number;
}

export class RateLimiter {
  // A Map iterates in insertion order: re-inserting on use keeps the least recently used first.
  private readonly buckets = new Map<string, Bucket>();
  private readonly maxKeys: number;

  constructor(
    private readonly options: RateLimitOptions,
    private readonly now: () => number = Date.now,
  ) {
    this.maxKeys = options.maxKeys ?? 10_000;
  }

  /** Takes one token for `key`; returns 0 when allowed, else the seconds until the next token. */
  take(key: string): number {
    const t = this.now();
    const b = this.buckets.get(key) ?? { tokens: this.options.burst, at: t };
    this.buckets.delete(key);
    b.tokens = Math.min(this.options.burst, b.tokens + ((t - b.at) / 1000) * this.options.perSecond);
    b.at = t;
    let wait = 0;
    if (b.tokens >= 1) b.tokens -= 1;
    else wait = Math.max(1, Math.ceil((1 - b.tokens) / this.options.perSecond));
    this.buckets.set(key, b);
    if (this.buckets.size > this.maxKeys) {
      const oldest = this.buckets.keys().next().value;
      if (oldest !== undefined) this.buckets.delete(oldest);
    }
    return wait;
  }

  get size(): number {
    return this.buckets.size;
  }
}

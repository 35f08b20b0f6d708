/**
 * Committed values kept as objects (opt-in per key-value store, `decodedCacheMaxBytes`), for state
 * whose decoding dominates a processor; oldest dropped first past the budget. `take` hands an
 * object out and forgets it: the caller may mutate it, and only a committed `put` may bring it
 * back, so an aborted commit can never leave its writes in here.
 */
export class DecodedCache<V> {
  private readonly map = new Map<string, { value: V; bytes: number }>();
  private bytes = 0;

  constructor(private readonly maxBytes: number) {}

  has(id: string): boolean {
    return this.map.has(id);
  }

  take(id: string): V | undefined {
    const e = this.map.get(id);
    if (e === undefined) return undefined;
    this.map.delete(id);
    this.bytes -= e.bytes;
    return e.value;
  }

  set(id: string, value: V, bytes: number): void {
    this.delete(id);
    if (bytes > this.maxBytes) return;
    this.map.set(id, { value, bytes });
    this.bytes += bytes;
    if (this.bytes <= this.maxBytes) return;
    // Map iterates in insertion order: oldest first, down to 90% so the next sets do not evict again.
    for (const [k, e] of this.map) {
      if (this.bytes <= this.maxBytes * 0.9 || k === id) break;
      this.map.delete(k);
      this.bytes -= e.bytes;
    }
  }

  delete(id: string): void {
    const e = this.map.get(id);
    if (e === undefined) return;
    this.map.delete(id);
    this.bytes -= e.bytes;
  }

  clear(): void {
    this.map.clear();
    this.bytes = 0;
  }
}

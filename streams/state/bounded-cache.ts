/**
 * Committed values as bytes (the read cache of both store kinds), bounded by entry count and by
 * total bytes: host states of ~100 KB would otherwise let 50 000 cached entries take gigabytes.
 * Bytes, not objects: a processor that mutates an object it read cannot corrupt the committed copy.
 */
export class BoundedCache {
  private readonly map = new Map<string, Buffer | null>();
  private bytes = 0;

  constructor(
    private readonly max: number,
    private readonly maxBytes: number = Number.POSITIVE_INFINITY,
  ) {}

  get(id: string): Buffer | null | undefined {
    return this.map.get(id);
  }

  set(id: string, value: Buffer | null): void {
    this.delete(id);
    this.map.set(id, value);
    this.bytes += value?.length ?? 0;
    if (this.map.size > this.max) {
      // Map iterates in insertion order: drop the oldest tenth in one go.
      let drop = Math.max(1, Math.floor(this.max / 10));
      for (const k of this.map.keys()) {
        this.delete(k);
        if (--drop <= 0) break;
      }
    }
    if (this.bytes > this.maxBytes) {
      // Oldest first, down to 90% of the budget so the next few sets do not evict again.
      for (const k of this.map.keys()) {
        if (this.bytes <= this.maxBytes * 0.9 || k === id) break;
        this.delete(k);
      }
    }
  }

  delete(id: string): void {
    const v = this.map.get(id);
    if (v === undefined) return;
    this.bytes -= v?.length ?? 0;
    this.map.delete(id);
  }

  clear(): void {
    this.map.clear();
    this.bytes = 0;
  }

  keys(): IterableIterator<string> {
    return this.map.keys();
  }
}

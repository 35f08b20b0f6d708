/**
 * The byte-level store under the typed layers: one interface, two implementations (in-memory here,
 * RocksDB in rocksdb-store.ts), the same conformance tests. Keys order by their bytes.
 */

export interface BytesEntry {
  key: Buffer;
  value: Buffer;
}

/** One atomic batch: puts (value) and deletes (value null), then optional range deletions. */
export interface BytesBatch {
  writes: { key: Buffer; value: Buffer | null }[];
  /** [from, to) ranges to delete, used for window retention. */
  deleteRanges?: { from: Buffer; to: Buffer }[];
}

export interface BytesStore {
  get(key: Buffer): Promise<Buffer | undefined>;
  /** Several keys in one round trip (RocksDB: one read batch), results in the keys' order. */
  getMany(keys: readonly Buffer[]): Promise<(Buffer | undefined)[]>;
  write(batch: BytesBatch): Promise<void>;
  /** Entries with from <= key < to, ascending. */
  range(from?: Buffer, to?: Buffer): AsyncIterableIterator<BytesEntry>;
  /** The greatest key, if any. */
  lastKey(): Promise<Buffer | undefined>;
  close(): Promise<void>;
}

/** latin1 maps each byte to one UTF-16 unit, so string order equals byte order. */
const id = (b: Buffer): string => b.toString('latin1');

export class MemoryBytesStore implements BytesStore {
  private readonly data = new Map<string, Buffer>();
  private sorted: string[] | undefined;

  async get(key: Buffer): Promise<Buffer | undefined> {
    return this.data.get(id(key));
  }

  async getMany(keys: readonly Buffer[]): Promise<(Buffer | undefined)[]> {
    return keys.map((k) => this.data.get(id(k)));
  }

  async write(batch: BytesBatch): Promise<void> {
    for (const w of batch.writes) {
      const k = id(w.key);
      if (w.value === null) {
        if (this.data.delete(k)) this.sorted = undefined;
      } else {
        if (!this.data.has(k)) this.sorted = undefined;
        this.data.set(k, Buffer.from(w.value));
      }
    }
    for (const r of batch.deleteRanges ?? []) {
      const from = id(r.from);
      const to = id(r.to);
      for (const k of this.keys()) {
        if (k >= from && k < to) this.data.delete(k);
      }
      this.sorted = undefined;
    }
  }

  private keys(): string[] {
    this.sorted ??= [...this.data.keys()].sort();
    return this.sorted;
  }

  async *range(from?: Buffer, to?: Buffer): AsyncIterableIterator<BytesEntry> {
    const lo = from === undefined ? undefined : id(from);
    const hi = to === undefined ? undefined : id(to);
    // Snapshot the key list so writes during iteration do not disturb it.
    for (const k of [...this.keys()]) {
      if (lo !== undefined && k < lo) continue;
      if (hi !== undefined && k >= hi) break;
      const v = this.data.get(k);
      if (v !== undefined) yield { key: Buffer.from(k, 'latin1'), value: v };
    }
  }

  async lastKey(): Promise<Buffer | undefined> {
    const keys = this.keys();
    const k = keys[keys.length - 1];
    return k === undefined ? undefined : Buffer.from(k, 'latin1');
  }

  get size(): number {
    return this.data.size;
  }

  async close(): Promise<void> {
    // Nothing to release; the data lives as long as the object.
  }
}

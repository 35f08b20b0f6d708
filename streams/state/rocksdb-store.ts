/**
 * RocksDB byte store (rocksdb-native). One database directory per store per task, so a task's state
 * can be dropped or restored on its own.
 */
import { mkdir, rm } from 'node:fs/promises';
import RocksDB from 'rocksdb-native';
import { ForeshadowError } from '../runtime/errors.js';
import type { BytesBatch, BytesEntry, BytesStore } from './bytes-store.js';

/**
 * Memory knobs of one store's database. RocksDB's defaults (two 64 MiB memtables per database) suit
 * one big database; a process here opens one per store per task, and the memtables alone took
 * ~700 MiB of a 100k-host pipeline's RSS. The changelog, not the memtable, is what makes a write
 * durable, so small memtables cost only more (cheap, small) flushes.
 */
export interface RocksDbTuning {
  /** Memtable size before a flush (default 4 MiB). */
  writeBufferBytes?: number;
  /** Memtables per database, the active one included (default 2). */
  maxWriteBuffers?: number;
  /**
   * Keep RocksDB's per-database block cache (default false: one per database, ~10 MiB each once
   * warm, ~125 MiB of a 100k-host pipeline). Off, reads of state not in the store's own cache go
   * through the OS page cache, which does not count against the process.
   */
  blockCache?: boolean;
}

export const DEFAULT_ROCKSDB_TUNING: Required<RocksDbTuning> = {
  writeBufferBytes: 4 * 1024 * 1024,
  maxWriteBuffers: 2,
  blockCache: false,
};

function rocksDbOptions(tuning: RocksDbTuning): Record<string, unknown> {
  const t = { ...DEFAULT_ROCKSDB_TUNING, ...tuning };
  return {
    writeBufferSize: t.writeBufferBytes,
    maxWriteBufferNumber: t.maxWriteBuffers,
    blockCache: t.blockCache,
    // Index and filter blocks live in the block cache when there is one; RocksDB refuses the
    // combination of caching them with no cache.
    tableCacheIndexAndFilterBlocks: t.blockCache,
  };
}

export class RocksDbBytesStore implements BytesStore {
  private closed = false;

  private constructor(
    private readonly db: RocksDB,
    readonly path: string,
  ) {}

  static async open(path: string, tuning: RocksDbTuning = {}): Promise<RocksDbBytesStore> {
    await mkdir(path, { recursive: true });
    const db = new RocksDB(path, rocksDbOptions(tuning));
    try {
      await db.ready();
    } catch (cause: unknown) {
      throw new ForeshadowError('STORE_FAILED', `cannot open RocksDB at ${path}`, { cause, context: { path } });
    }
    return new RocksDbBytesStore(db, path);
  }

  static async destroy(path: string): Promise<void> {
    await rm(path, { recursive: true, force: true });
  }

  private check(): void {
    if (this.closed) throw new ForeshadowError('STORE_CLOSED', `store at ${this.path} is closed`);
  }

  async get(key: Buffer): Promise<Buffer | undefined> {
    this.check();
    // autoDestroy releases the batch handle; a live handle makes db.close() wait forever.
    const r = this.db.read({ autoDestroy: true });
    const p = r.get(key);
    r.tryFlush();
    const v = await p;
    return v ?? undefined;
  }

  /**
   * One read batch for all keys: a batch of a few hundred gets costs ~10 µs a key here against
   * ~95 µs for a batch per key (a native handle, a thread-pool hop and a promise each).
   */
  async getMany(keys: readonly Buffer[]): Promise<(Buffer | undefined)[]> {
    this.check();
    if (keys.length === 0) return [];
    const r = this.db.read({ autoDestroy: true });
    const pending = keys.map((k) => r.get(k));
    r.tryFlush();
    return (await Promise.all(pending)).map((v) => v ?? undefined);
  }

  async write(batch: BytesBatch): Promise<void> {
    this.check();
    if (batch.writes.length === 0 && (batch.deleteRanges?.length ?? 0) === 0) return;
    const w = this.db.write({ autoDestroy: true });
    for (const e of batch.writes) {
      if (e.value === null) w.delete(e.key);
      else w.put(e.key, e.value);
    }
    for (const r of batch.deleteRanges ?? []) w.deleteRange(r.from, r.to);
    await w.flush();
  }

  async *range(from?: Buffer, to?: Buffer): AsyncIterableIterator<BytesEntry> {
    this.check();
    const range: { gte?: Buffer; lt?: Buffer } = {};
    if (from) range.gte = from;
    if (to) range.lt = to;
    // A larger prefetch than the default 8 entries: ranges here are scans, not peeks.
    for await (const e of this.db.iterator(range, { capacity: 512 })) yield { key: e.key, value: e.value };
  }

  async lastKey(): Promise<Buffer | undefined> {
    this.check();
    for await (const e of this.db.iterator({}, { reverse: true, limit: 1, values: false })) return e.key;
    return undefined;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.db.close();
  }
}

/**
 * The caching + changelogging window store over a byte store: values per (key, window start),
 * byte keys ordered by window start (`window-key.ts`) so that retention, which drops every window
 * older than the newest start minus `retentionMs`, is one range deletion at commit. Reads look in
 * the write cache, then the committed-bytes cache, then what was read ahead, and only then in the
 * byte store. See `managed-store.ts` for the commit steps.
 */
import { BoundedCache } from './bounded-cache.js';
import type { BytesStore } from './bytes-store.js';
import { windowCacheId, windowCacheIdStart } from './cache-id.js';
import type { ChangelogEntry, ManagedStore } from './managed-store.js';
import { mergeUncommitted } from './merged-range.js';
import { ReadAhead } from './read-ahead.js';
import type { KeyValue, WindowedKey, WindowStore } from './store.js';
import type { StorePhase } from './store-commit-state.js';
import type { PrefetchInput, WindowStoreSpec } from './store-spec.js';
import { decodeWindowKey, encodeWindowKey, windowStartBound } from './window-key.js';
import { WriteCache } from './write-cache.js';

export class CachedWindowStore<K, V> implements WindowStore<K, V>, ManagedStore {
  readonly name: string;
  readonly windowSizeMs: number;
  readonly retentionMs: number;
  private readonly writes: WriteCache<K, V>;
  private readonly clean: BoundedCache;
  /** Newest window start ever put: windows older than this minus retention are expired. */
  private maxStart = Number.NEGATIVE_INFINITY;
  private droppedBelow = Number.NEGATIVE_INFINITY;
  /**
   * Newest window start the byte store can hold. A fetch of a newer window (the common case: the
   * current window of a key) is answered without a disk read.
   */
  private persistedMaxStart = Number.NEGATIVE_INFINITY;
  /** Newest window start of the prepared commit, which raises `persistedMaxStart` when applied. */
  private preparedMaxStart = Number.NEGATIVE_INFINITY;
  private readonly ahead = new ReadAhead();

  constructor(
    readonly spec: WindowStoreSpec<K, V>,
    readonly bytes: BytesStore,
    private readonly topicForSerde = `${spec.name}-store`,
  ) {
    this.name = spec.name;
    this.windowSizeMs = spec.windowSizeMs;
    this.retentionMs = spec.retentionMs;
    this.writes = new WriteCache(spec.name);
    this.clean = new BoundedCache(spec.cacheMaxEntries, spec.cacheMaxBytes);
  }

  get phase(): StorePhase {
    return this.writes.phase;
  }

  private expired(start: number): boolean {
    return start < this.maxStart - this.retentionMs;
  }

  private async keyBytes(key: K): Promise<Buffer> {
    return this.spec.keySerde.serialize(this.topicForSerde, key);
  }

  /** The byte-store key of a key's window. */
  private async windowKeyBytes(key: K, windowStart: number): Promise<Buffer> {
    return encodeWindowKey(windowStart, await this.keyBytes(key));
  }

  async fetch(key: K, windowStart: number): Promise<V | undefined> {
    this.writes.check('read');
    if (this.expired(windowStart)) return undefined;
    const id = windowCacheId(windowStart, key);
    const d = this.writes.get(id);
    if (d) return d.value;
    let raw = this.clean.get(id);
    if (raw === undefined) {
      if (windowStart > this.persistedMaxStart) return undefined;
      raw = await this.ahead.read(this.bytes, id, () => this.windowKeyBytes(key, windowStart));
      this.clean.set(id, raw);
    }
    return raw === null ? undefined : this.spec.valueSerde.deserialize(this.topicForSerde, raw);
  }

  async prefetch(records: readonly PrefetchInput[]): Promise<void> {
    this.writes.check('read');
    const guess = this.spec.prefetchWindow;
    await this.ahead.load(this.bytes, records, (r) => {
      const w = guess?.(r);
      // Windows newer than anything persisted are answered without a read anyway.
      if (w === undefined || this.expired(w.windowStart) || w.windowStart > this.persistedMaxStart) return undefined;
      const id = windowCacheId(w.windowStart, w.key);
      if (this.writes.has(id) || this.clean.get(id) !== undefined) return undefined;
      return [id, () => this.windowKeyBytes(w.key, w.windowStart)];
    });
  }

  put(key: K, windowStart: number, value: V): void {
    this.writes.touch();
    if (windowStart > this.maxStart) this.maxStart = windowStart;
    // A write to an expired window is dropped, as the window no longer exists.
    if (this.expired(windowStart)) return;
    const v = value === null ? undefined : value;
    this.writes.put(windowCacheId(windowStart, key), { key, value: v, start: windowStart });
  }

  fetchRange(key: K, fromStart: number, toStart: number): AsyncIterableIterator<KeyValue<WindowedKey<K>, V>> {
    this.writes.check('read');
    return this.scan(fromStart, toStart, key);
  }

  fetchAll(fromStart: number, toStart: number): AsyncIterableIterator<KeyValue<WindowedKey<K>, V>> {
    this.writes.check('read');
    return this.scan(fromStart, toStart);
  }

  private async *scan(
    fromStart: number,
    toStart: number,
    only?: K,
  ): AsyncIterableIterator<KeyValue<WindowedKey<K>, V>> {
    const from = Math.max(fromStart, this.maxStart - this.retentionMs);
    if (from > toStart) return;
    const onlyBytes = only === undefined ? undefined : await this.keyBytes(only);
    const size = this.windowSizeMs;
    const pending: { key: Buffer; item: KeyValue<WindowedKey<K>, V> | undefined }[] = [];
    for (const d of this.writes.values()) {
      if (d.start < from || d.start > toStart) continue;
      const kb = await this.windowKeyBytes(d.key, d.start);
      if (onlyBytes && !kb.subarray(8).equals(onlyBytes)) continue;
      const item =
        d.value === undefined
          ? undefined
          : { key: { key: d.key, start: d.start, end: d.start + size }, value: d.value };
      pending.push({ key: kb, item });
    }
    const stored = this.bytes.range(windowStartBound(from), windowStartBound(toStart + 1));
    yield* mergeUncommitted(pending, stored, async (e) => {
      const { start, keyBytes } = decodeWindowKey(e.key);
      if (onlyBytes && !keyBytes.equals(onlyBytes)) return undefined;
      return {
        key: { key: await this.spec.keySerde.deserialize(this.topicForSerde, keyBytes), start, end: start + size },
        value: await this.spec.valueSerde.deserialize(this.topicForSerde, e.value),
      };
    });
  }

  dirtyCount(): number {
    return this.writes.size;
  }

  prepareCommit(): Promise<ChangelogEntry[]> {
    return this.writes.prepare(async (writes) => {
      const entries: ChangelogEntry[] = [];
      const ids: { id: string; value: Buffer | null }[] = [];
      let maxStart = Number.NEGATIVE_INFINITY;
      for (const [id, d] of writes) {
        if (this.expired(d.start)) continue;
        if (d.start > maxStart) maxStart = d.start;
        const key = await this.windowKeyBytes(d.key, d.start);
        const value = d.value === undefined ? null : await this.spec.valueSerde.serialize(this.topicForSerde, d.value);
        entries.push({ key, value });
        ids.push({ id, value });
      }
      this.preparedMaxStart = maxStart;
      return { batch: { writes: entries, deleteRanges: this.retentionRanges() }, ids };
    });
  }

  private retentionRanges(): { from: Buffer; to: Buffer }[] {
    const below = this.maxStart - this.retentionMs;
    if (!Number.isFinite(below) || below <= this.droppedBelow) return [];
    return [{ from: windowStartBound(Number.MIN_SAFE_INTEGER), to: windowStartBound(below) }];
  }

  private dropExpiredFromCache(): void {
    const below = this.maxStart - this.retentionMs;
    this.droppedBelow = below;
    for (const id of [...this.clean.keys()]) {
      if (windowCacheIdStart(id) < below) this.clean.delete(id);
    }
  }

  async applyCommit(): Promise<void> {
    const { batch, ids } = this.writes.beginApply();
    const dropping = (batch.deleteRanges?.length ?? 0) > 0;
    // Raised before the write: a crash mid-write loses the process, and with it this bound.
    if (this.preparedMaxStart > this.persistedMaxStart) this.persistedMaxStart = this.preparedMaxStart;
    try {
      await this.bytes.write(batch);
    } catch (err: unknown) {
      this.writes.applyFailed();
      throw err;
    }
    this.ahead.invalidate(ids);
    for (const p of ids) this.clean.set(p.id, p.value);
    this.writes.applied();
    if (dropping) this.dropExpiredFromCache();
  }

  abort(): void {
    this.writes.abort();
  }

  async restore(entries: ChangelogEntry[]): Promise<void> {
    this.writes.check('restore');
    for (const e of entries) {
      const { start } = decodeWindowKey(e.key);
      if (start > this.maxStart) this.maxStart = start;
      if (start > this.persistedMaxStart) this.persistedMaxStart = start;
    }
    const live = entries.filter((e) => !this.expired(decodeWindowKey(e.key).start));
    await this.bytes.write({ writes: live, deleteRanges: this.retentionRanges() });
    this.ahead.invalidate();
    this.droppedBelow = this.maxStart - this.retentionMs;
    this.clean.clear();
  }

  /** Re-learn the newest window start from the byte store after opening existing state. */
  async loadBounds(): Promise<void> {
    this.writes.check('restore');
    const last = await this.bytes.lastKey();
    if (!last) return;
    const { start } = decodeWindowKey(last);
    this.maxStart = Math.max(this.maxStart, start);
    this.persistedMaxStart = Math.max(this.persistedMaxStart, start);
  }

  async close(): Promise<void> {
    if (this.writes.close()) await this.bytes.close();
  }
}

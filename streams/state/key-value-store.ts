/**
 * The caching + changelogging key-value store over a byte store. Writes are synchronous and land in
 * the write cache; reads look in the write cache, then in the committed-object cache (opt-in,
 * `decodedCacheMaxBytes`), then in the committed-bytes cache, then in what was read ahead, and only
 * then in the byte store. See `managed-store.ts` for the commit steps.
 */

import { BoundedCache } from './bounded-cache.js';
import type { BytesStore } from './bytes-store.js';
import { cacheId } from './cache-id.js';
import { DecodedCache } from './decoded-cache.js';
import type { ChangelogEntry, ManagedStore } from './managed-store.js';
import { mergeUncommitted } from './merged-range.js';
import { ReadAhead } from './read-ahead.js';
import type { KeyValue, KeyValueStore } from './store.js';
import type { StorePhase } from './store-commit-state.js';
import type { KeyValueStoreSpec, PrefetchInput } from './store-spec.js';
import { WriteCache } from './write-cache.js';

export class CachedKeyValueStore<K, V> implements KeyValueStore<K, V>, ManagedStore {
  readonly name: string;
  private readonly writes: WriteCache<K, V>;
  private readonly clean: BoundedCache;
  private readonly decoded: DecodedCache<V> | undefined;
  private readonly ahead = new ReadAhead();

  constructor(
    readonly spec: KeyValueStoreSpec<K, V>,
    readonly bytes: BytesStore,
    private readonly topicForSerde = `${spec.name}-store`,
  ) {
    this.name = spec.name;
    this.writes = new WriteCache(spec.name);
    this.clean = new BoundedCache(spec.cacheMaxEntries, spec.cacheMaxBytes);
    this.decoded = spec.decodedCacheMaxBytes > 0 ? new DecodedCache<V>(spec.decodedCacheMaxBytes) : undefined;
  }

  get phase(): StorePhase {
    return this.writes.phase;
  }

  private keyBytes(key: K): Buffer | Promise<Buffer> {
    return this.spec.keySerde.serialize(this.topicForSerde, key);
  }

  async get(key: K): Promise<V | undefined> {
    this.writes.check('read');
    const id = cacheId(key);
    const d = this.writes.get(id);
    if (d) return d.value;
    const kept = this.decoded?.take(id);
    if (kept !== undefined) return kept;
    let raw = this.clean.get(id);
    if (raw === undefined) {
      raw = await this.ahead.read(this.bytes, id, () => this.keyBytes(key));
      this.clean.set(id, raw);
    }
    return raw === null ? undefined : this.spec.valueSerde.deserialize(this.topicForSerde, raw);
  }

  async prefetch(records: readonly PrefetchInput[]): Promise<void> {
    this.writes.check('read');
    const guess = this.spec.prefetchKey;
    await this.ahead.load(this.bytes, records, (r) => {
      const key = guess?.(r);
      if (key === undefined) return undefined;
      const id = cacheId(key);
      if (this.writes.has(id) || this.decoded?.has(id) || this.clean.get(id) !== undefined) return undefined;
      return [id, () => this.keyBytes(key)];
    });
  }

  put(key: K, value: V): void {
    if (value === undefined || value === null) {
      this.delete(key);
      return;
    }
    this.writes.put(cacheId(key), { key, value, start: 0 });
  }

  delete(key: K): void {
    this.writes.put(cacheId(key), { key, value: undefined, start: 0 });
  }

  range(from?: K, to?: K): AsyncIterableIterator<KeyValue<K, V>> {
    this.writes.check('read');
    return this.merged(from, to);
  }

  all(): AsyncIterableIterator<KeyValue<K, V>> {
    return this.range();
  }

  private async *merged(from?: K, to?: K): AsyncIterableIterator<KeyValue<K, V>> {
    const lo = from === undefined ? undefined : await this.keyBytes(from);
    const hi = to === undefined ? undefined : await this.keyBytes(to);
    const pending: { key: Buffer; item: KeyValue<K, V> | undefined }[] = [];
    for (const d of this.writes.values()) {
      const kb = await this.keyBytes(d.key);
      if (lo && Buffer.compare(kb, lo) < 0) continue;
      if (hi && Buffer.compare(kb, hi) >= 0) continue;
      pending.push({ key: kb, item: d.value === undefined ? undefined : { key: d.key, value: d.value } });
    }
    yield* mergeUncommitted(pending, this.bytes.range(lo, hi), async (e) => ({
      key: await this.spec.keySerde.deserialize(this.topicForSerde, e.key),
      value: await this.spec.valueSerde.deserialize(this.topicForSerde, e.value),
    }));
  }

  dirtyCount(): number {
    return this.writes.size;
  }

  prepareCommit(): Promise<ChangelogEntry[]> {
    return this.writes.prepare(async (writes) => {
      const entries: ChangelogEntry[] = [];
      const ids: { id: string; value: Buffer | null }[] = [];
      for (const [id, d] of writes) {
        const key = await this.keyBytes(d.key);
        const value = d.value === undefined ? null : await this.spec.valueSerde.serialize(this.topicForSerde, d.value);
        entries.push({ key, value });
        ids.push({ id, value });
      }
      return { batch: { writes: entries }, ids };
    });
  }

  async applyCommit(): Promise<void> {
    const { batch, ids } = this.writes.beginApply();
    try {
      await this.bytes.write(batch);
    } catch (err: unknown) {
      this.writes.applyFailed();
      throw err;
    }
    // After the write: a read that overlapped it may have seen either side.
    this.ahead.invalidate(ids);
    for (const p of ids) {
      this.clean.set(p.id, p.value);
      if (!this.decoded) continue;
      // The object just serialised is the committed value: keep it decoded too. Its bytes stay in
      // the byte cache (usually far smaller), for when the object is evicted or handed out.
      const value = p.value === null ? undefined : this.writes.get(p.id)?.value;
      if (value !== undefined && p.value !== null)
        this.decoded.set(p.id, value, this.spec.decodedSize?.(value, p.value.length) ?? 2 * p.value.length);
      else this.decoded.delete(p.id);
    }
    this.writes.applied();
  }

  abort(): void {
    // Kept objects are committed values nobody holds (a `get` takes them out): they stay valid.
    this.writes.abort();
  }

  async restore(entries: ChangelogEntry[]): Promise<void> {
    this.writes.check('restore');
    await this.bytes.write({ writes: entries });
    this.ahead.invalidate();
    this.clean.clear();
    this.decoded?.clear();
  }

  async close(): Promise<void> {
    if (this.writes.close()) await this.bytes.close();
  }
}

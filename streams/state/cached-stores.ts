/**
 * The caching + changelogging layer over a byte store. Writes are synchronous and land in a dirty
 * map; a commit runs in three steps driven by the task:
 *   1. `prepareCommit()` serialises the dirty entries into changelog records (sent by the runner in
 *      the same transaction as outputs and offsets);
 *   2. `applyCommit()` — only after the commit succeeded — writes them to the byte store;
 *   3. `abort()` — after a failed commit — drops them, which rewinds the store to the last commit.
 * So the byte store only ever holds committed state, which is what makes the rewind sound.
 *
 * A bounded read cache keeps committed values as bytes (not objects): a processor that mutates an
 * object it read cannot corrupt the committed copy. Key-value stores may opt into also keeping
 * committed values as objects (`decodedCacheMaxBytes`), handed out at most once per commit each,
 * for state whose decoding dominates a processor (see DecodedCache).
 */
import { ForeshadowError } from '../runtime/errors.js';
import type { BytesBatch, BytesStore } from './bytes-store.js';
import type { KeyValue, KeyValueStore, WindowedKey, WindowStore } from './store.js';
import type { KeyValueStoreSpec, PrefetchInput, StoreSpec, WindowStoreSpec } from './store-spec.js';

export interface ChangelogEntry {
  key: Buffer;
  value: Buffer | null;
}

/** What the task runner needs from every store, whatever its kind. */
export interface ManagedStore {
  readonly name: string;
  readonly spec: StoreSpec;
  readonly bytes: BytesStore;
  /** Number of uncommitted writes. */
  dirtyCount(): number;
  prepareCommit(): Promise<ChangelogEntry[]>;
  applyCommit(): Promise<void>;
  abort(): void;
  /**
   * Read ahead, in one byte-store round trip, the committed values the spec's prefetch guess names
   * for these records and that no cache holds; each is handed to the next read of its key once.
   * What an earlier call read ahead and nobody read is dropped, so memory stays bounded by one run
   * of records.
   */
  prefetch(records: readonly PrefetchInput[]): Promise<void>;
  /** Apply changelog records read during restore straight to the byte store. */
  restore(entries: ChangelogEntry[]): Promise<void>;
  close(): Promise<void>;
}

/** A cache identity for a typed key; strings, the common case, avoid JSON work. */
function identity(key: unknown): string {
  if (typeof key === 'string') return `s${key}`;
  if (typeof key === 'number') return `n${key}`;
  if (Buffer.isBuffer(key)) return `b${key.toString('latin1')}`;
  return `j${JSON.stringify(key)}`;
}

function checkOpen(closed: boolean, name: string): void {
  if (closed) throw new ForeshadowError('STORE_CLOSED', `store ${name} is closed`);
}

/**
 * Committed values as bytes, bounded by entry count and by total bytes: host states of ~100 KB
 * would otherwise let 50 000 cached entries take gigabytes.
 */
class BoundedCache {
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

/**
 * Committed values kept as objects (opt-in per store, `decodedCacheMaxBytes`), oldest dropped first
 * past the budget. `take` hands an object out and forgets it: the caller may mutate it, and only a
 * committed `put` may bring it back, so an aborted commit can never leave its writes in here.
 */
class DecodedCache<V> {
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

/**
 * Committed values read ahead for the records about to be processed (see `ManagedStore.prefetch`).
 * A commit or restore that lands while a read is in flight may have changed what it read, so its
 * results are then dropped (`generation`, bumped once the write is done); a commit also drops what
 * it supersedes.
 */
class ReadAhead {
  private values = new Map<string, Buffer | null>();
  private generation = 0;

  /**
   * Reads in one batch what `pick` names for these records (an id and how to make its key bytes;
   * undefined skips the record), once per id, and drops what the previous run read.
   */
  async load(
    bytes: BytesStore,
    records: readonly PrefetchInput[],
    pick: (r: PrefetchInput) => [id: string, keyBytes: () => Buffer | Promise<Buffer>] | undefined,
  ): Promise<void> {
    this.values = new Map();
    const generation = this.generation;
    const wanted = new Map<string, Buffer>();
    for (const r of records) {
      const p = pick(r);
      if (p !== undefined && !wanted.has(p[0])) wanted.set(p[0], await p[1]());
    }
    if (wanted.size === 0) return;
    const found = await bytes.getMany([...wanted.values()]);
    if (generation !== this.generation) return;
    let i = 0;
    for (const id of wanted.keys()) this.values.set(id, found[i++] ?? null);
  }

  /**
   * A committed value no cache holds: what was read ahead for the id (taken once; null means known
   * absent, so no second read), else one byte-store read.
   */
  async read(bytes: BytesStore, id: string, keyBytes: () => Buffer | Promise<Buffer>): Promise<Buffer | null> {
    const v = this.values.get(id);
    if (v === undefined) return (await bytes.get(await keyBytes())) ?? null;
    this.values.delete(id);
    return v;
  }

  /** Committed state changed for these ids (undefined: for any id). */
  invalidate(ids?: readonly { id: string }[]): void {
    this.generation++;
    if (ids === undefined) this.values = new Map();
    else for (const { id } of ids) this.values.delete(id);
  }
}

interface Dirty<K, V> {
  key: K;
  value: V | undefined;
  start: number;
}

export class CachedKeyValueStore<K, V> implements KeyValueStore<K, V>, ManagedStore {
  readonly name: string;
  private dirty = new Map<string, Dirty<K, V>>();
  private prepared: BytesBatch | undefined;
  private preparedIds: { id: string; value: Buffer | null }[] = [];
  private readonly clean: BoundedCache;
  private readonly decoded: DecodedCache<V> | undefined;
  private readonly ahead = new ReadAhead();
  private closed = false;

  constructor(
    readonly spec: KeyValueStoreSpec<K, V>,
    readonly bytes: BytesStore,
    private readonly topicForSerde = `${spec.name}-store`,
  ) {
    this.name = spec.name;
    this.clean = new BoundedCache(spec.cacheMaxEntries, spec.cacheMaxBytes);
    this.decoded = spec.decodedCacheMaxBytes > 0 ? new DecodedCache<V>(spec.decodedCacheMaxBytes) : undefined;
  }

  private keyBytes(key: K): Buffer | Promise<Buffer> {
    return this.spec.keySerde.serialize(this.topicForSerde, key);
  }

  async get(key: K): Promise<V | undefined> {
    checkOpen(this.closed, this.name);
    const id = identity(key);
    const d = this.dirty.get(id);
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
    checkOpen(this.closed, this.name);
    const guess = this.spec.prefetchKey;
    await this.ahead.load(this.bytes, records, (r) => {
      const key = guess?.(r);
      if (key === undefined) return undefined;
      const id = identity(key);
      if (this.dirty.has(id) || this.decoded?.has(id) || this.clean.get(id) !== undefined) return undefined;
      return [id, () => this.keyBytes(key)];
    });
  }

  put(key: K, value: V): void {
    checkOpen(this.closed, this.name);
    if (value === undefined || value === null) {
      this.delete(key);
      return;
    }
    this.dirty.set(identity(key), { key, value, start: 0 });
  }

  delete(key: K): void {
    checkOpen(this.closed, this.name);
    this.dirty.set(identity(key), { key, value: undefined, start: 0 });
  }

  range(from?: K, to?: K): AsyncIterableIterator<KeyValue<K, V>> {
    checkOpen(this.closed, this.name);
    return this.merged(from, to);
  }

  all(): AsyncIterableIterator<KeyValue<K, V>> {
    return this.range();
  }

  private async *merged(from?: K, to?: K): AsyncIterableIterator<KeyValue<K, V>> {
    const lo = from === undefined ? undefined : await this.keyBytes(from);
    const hi = to === undefined ? undefined : await this.keyBytes(to);
    const pending: { kb: Buffer; d: Dirty<K, V> }[] = [];
    for (const d of this.dirty.values()) {
      const kb = await this.keyBytes(d.key);
      if (lo && Buffer.compare(kb, lo) < 0) continue;
      if (hi && Buffer.compare(kb, hi) >= 0) continue;
      pending.push({ kb, d });
    }
    pending.sort((a, b) => Buffer.compare(a.kb, b.kb));
    const shadowed = new Set(pending.map((p) => p.kb.toString('latin1')));
    let i = 0;
    for await (const e of this.bytes.range(lo, hi)) {
      while (i < pending.length && Buffer.compare(pending[i]!.kb, e.key) < 0) {
        const p = pending[i++]!;
        if (p.d.value !== undefined) yield { key: p.d.key, value: p.d.value };
      }
      if (shadowed.has(e.key.toString('latin1'))) continue;
      yield {
        key: await this.spec.keySerde.deserialize(this.topicForSerde, e.key),
        value: await this.spec.valueSerde.deserialize(this.topicForSerde, e.value),
      };
    }
    while (i < pending.length) {
      const p = pending[i++]!;
      if (p.d.value !== undefined) yield { key: p.d.key, value: p.d.value };
    }
  }

  dirtyCount(): number {
    return this.dirty.size;
  }

  async prepareCommit(): Promise<ChangelogEntry[]> {
    const entries: ChangelogEntry[] = [];
    this.preparedIds = [];
    for (const [id, d] of this.dirty) {
      const key = await this.keyBytes(d.key);
      const value = d.value === undefined ? null : await this.spec.valueSerde.serialize(this.topicForSerde, d.value);
      entries.push({ key, value });
      this.preparedIds.push({ id, value });
    }
    this.prepared = { writes: entries };
    return entries;
  }

  async applyCommit(): Promise<void> {
    if (!this.prepared) return;
    await this.bytes.write(this.prepared);
    // After the write: a read that overlapped it may have seen either side.
    this.ahead.invalidate(this.preparedIds);
    for (const p of this.preparedIds) {
      this.clean.set(p.id, p.value);
      if (!this.decoded) continue;
      // The object just serialised is the committed value: keep it decoded too. Its bytes stay in
      // the byte cache (usually far smaller), for when the object is evicted or handed out.
      const value = p.value === null ? undefined : this.dirty.get(p.id)?.value;
      if (value !== undefined && p.value !== null)
        this.decoded.set(p.id, value, this.spec.decodedSize?.(value, p.value.length) ?? 2 * p.value.length);
      else this.decoded.delete(p.id);
    }
    // The task does not process while it commits, so everything dirty was prepared.
    this.dirty = new Map();
    this.prepared = undefined;
    this.preparedIds = [];
  }

  abort(): void {
    // Kept objects are committed values nobody holds (a `get` takes them out): they stay valid.
    this.dirty = new Map();
    this.prepared = undefined;
    this.preparedIds = [];
  }

  async restore(entries: ChangelogEntry[]): Promise<void> {
    await this.bytes.write({ writes: entries });
    this.ahead.invalidate();
    this.clean.clear();
    this.decoded?.clear();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.bytes.close();
  }
}

const SIGN = 2n ** 63n;

/** Window keys order by window start first, so retention is one range deletion. */
export function encodeWindowKey(start: number, keyBytes: Buffer): Buffer {
  const b = Buffer.allocUnsafe(8 + keyBytes.length);
  b.writeBigUInt64BE(BigInt(start) + SIGN, 0);
  keyBytes.copy(b, 8);
  return b;
}

export function decodeWindowKey(b: Buffer): { start: number; keyBytes: Buffer } {
  return { start: Number(b.readBigUInt64BE(0) - SIGN), keyBytes: b.subarray(8) };
}

function startBound(start: number): Buffer {
  const b = Buffer.allocUnsafe(8);
  b.writeBigUInt64BE(BigInt(start) + SIGN, 0);
  return b;
}

export class CachedWindowStore<K, V> implements WindowStore<K, V>, ManagedStore {
  readonly name: string;
  readonly windowSizeMs: number;
  readonly retentionMs: number;
  private dirty = new Map<string, Dirty<K, V>>();
  private prepared: BytesBatch | undefined;
  private preparedIds: { id: string; value: Buffer | null }[] = [];
  private readonly clean: BoundedCache;
  /** Newest window start ever put: windows older than this minus retention are expired. */
  private maxStart = Number.NEGATIVE_INFINITY;
  private droppedBelow = Number.NEGATIVE_INFINITY;
  /**
   * Newest window start the byte store can hold. A fetch of a newer window (the common case: the
   * current window of a key) is answered without a disk read.
   */
  private persistedMaxStart = Number.NEGATIVE_INFINITY;
  private readonly ahead = new ReadAhead();
  private closed = false;

  constructor(
    readonly spec: WindowStoreSpec<K, V>,
    readonly bytes: BytesStore,
    private readonly topicForSerde = `${spec.name}-store`,
  ) {
    this.name = spec.name;
    this.windowSizeMs = spec.windowSizeMs;
    this.retentionMs = spec.retentionMs;
    this.clean = new BoundedCache(spec.cacheMaxEntries, spec.cacheMaxBytes);
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
    checkOpen(this.closed, this.name);
    if (this.expired(windowStart)) return undefined;
    const id = `${windowStart}@${identity(key)}`;
    const d = this.dirty.get(id);
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
    checkOpen(this.closed, this.name);
    const guess = this.spec.prefetchWindow;
    await this.ahead.load(this.bytes, records, (r) => {
      const w = guess?.(r);
      // Windows newer than anything persisted are answered without a read anyway.
      if (w === undefined || this.expired(w.windowStart) || w.windowStart > this.persistedMaxStart) return undefined;
      const id = `${w.windowStart}@${identity(w.key)}`;
      if (this.dirty.has(id) || this.clean.get(id) !== undefined) return undefined;
      return [id, () => this.windowKeyBytes(w.key, w.windowStart)];
    });
  }

  put(key: K, windowStart: number, value: V): void {
    checkOpen(this.closed, this.name);
    if (windowStart > this.maxStart) this.maxStart = windowStart;
    // A write to an expired window is dropped, as the window no longer exists.
    if (this.expired(windowStart)) return;
    const v = value === null ? undefined : value;
    this.dirty.set(`${windowStart}@${identity(key)}`, { key, value: v, start: windowStart });
  }

  fetchRange(key: K, fromStart: number, toStart: number): AsyncIterableIterator<KeyValue<WindowedKey<K>, V>> {
    checkOpen(this.closed, this.name);
    return this.scan(fromStart, toStart, key);
  }

  fetchAll(fromStart: number, toStart: number): AsyncIterableIterator<KeyValue<WindowedKey<K>, V>> {
    checkOpen(this.closed, this.name);
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
    const pending: { kb: Buffer; d: Dirty<K, V> }[] = [];
    for (const d of this.dirty.values()) {
      if (d.start < from || d.start > toStart) continue;
      const kb = await this.windowKeyBytes(d.key, d.start);
      if (onlyBytes && !kb.subarray(8).equals(onlyBytes)) continue;
      pending.push({ kb, d });
    }
    pending.sort((a, b) => Buffer.compare(a.kb, b.kb));
    const shadowed = new Set(pending.map((p) => p.kb.toString('latin1')));
    const size = this.windowSizeMs;
    const emit = (d: Dirty<K, V>): KeyValue<WindowedKey<K>, V> | undefined =>
      d.value === undefined ? undefined : { key: { key: d.key, start: d.start, end: d.start + size }, value: d.value };
    let i = 0;
    for await (const e of this.bytes.range(startBound(from), startBound(toStart + 1))) {
      while (i < pending.length && Buffer.compare(pending[i]!.kb, e.key) < 0) {
        const out = emit(pending[i++]!.d);
        if (out) yield out;
      }
      if (shadowed.has(e.key.toString('latin1'))) continue;
      const { start, keyBytes } = decodeWindowKey(e.key);
      if (onlyBytes && !keyBytes.equals(onlyBytes)) continue;
      yield {
        key: { key: await this.spec.keySerde.deserialize(this.topicForSerde, keyBytes), start, end: start + size },
        value: await this.spec.valueSerde.deserialize(this.topicForSerde, e.value),
      };
    }
    while (i < pending.length) {
      const out = emit(pending[i++]!.d);
      if (out) yield out;
    }
  }

  dirtyCount(): number {
    return this.dirty.size;
  }

  private preparedMaxStart = Number.NEGATIVE_INFINITY;

  async prepareCommit(): Promise<ChangelogEntry[]> {
    const entries: ChangelogEntry[] = [];
    this.preparedIds = [];
    this.preparedMaxStart = Number.NEGATIVE_INFINITY;
    for (const [id, d] of this.dirty) {
      if (this.expired(d.start)) continue;
      if (d.start > this.preparedMaxStart) this.preparedMaxStart = d.start;
      const key = await this.windowKeyBytes(d.key, d.start);
      const value = d.value === undefined ? null : await this.spec.valueSerde.serialize(this.topicForSerde, d.value);
      entries.push({ key, value });
      this.preparedIds.push({ id, value });
    }
    this.prepared = { writes: entries, deleteRanges: this.retentionRanges() };
    return entries;
  }

  private retentionRanges(): { from: Buffer; to: Buffer }[] {
    const below = this.maxStart - this.retentionMs;
    if (!Number.isFinite(below) || below <= this.droppedBelow) return [];
    return [{ from: startBound(Number.MIN_SAFE_INTEGER), to: startBound(below) }];
  }

  private dropExpiredFromCache(): void {
    const below = this.maxStart - this.retentionMs;
    this.droppedBelow = below;
    for (const id of [...this.clean.keys()]) {
      const start = Number(id.slice(0, id.indexOf('@')));
      if (start < below) this.clean.delete(id);
    }
  }

  async applyCommit(): Promise<void> {
    if (!this.prepared) return;
    const dropping = (this.prepared.deleteRanges?.length ?? 0) > 0;
    // Raised before the write: a crash mid-write loses the process, and with it this bound.
    if (this.preparedMaxStart > this.persistedMaxStart) this.persistedMaxStart = this.preparedMaxStart;
    await this.bytes.write(this.prepared);
    this.ahead.invalidate(this.preparedIds);
    for (const p of this.preparedIds) this.clean.set(p.id, p.value);
    // The task does not process while it commits, so everything dirty was prepared.
    this.dirty = new Map();
    if (dropping) this.dropExpiredFromCache();
    this.prepared = undefined;
    this.preparedIds = [];
  }

  abort(): void {
    this.dirty = new Map();
    this.prepared = undefined;
    this.preparedIds = [];
  }

  async restore(entries: ChangelogEntry[]): Promise<void> {
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
    const last = await this.bytes.lastKey();
    if (!last) return;
    const { start } = decodeWindowKey(last);
    this.maxStart = Math.max(this.maxStart, start);
    this.persistedMaxStart = Math.max(this.persistedMaxStart, start);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.bytes.close();
  }
}

export function createManagedStore(spec: StoreSpec, bytes: BytesStore): ManagedStore {
  return spec.kind === 'key-value' ? new CachedKeyValueStore(spec, bytes) : new CachedWindowStore(spec, bytes);
}

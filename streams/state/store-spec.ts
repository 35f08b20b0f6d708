/**
 * Store specifications: what a topology declares. The runner turns a spec into a store per task
 * (RocksDB when `persistent`, memory otherwise) wrapped by the caching + changelogging layer.
 * The name fixes the changelog topic `<applicationId>-<name>-changelog`: renaming is a migration.
 */
import { ForeshadowError } from '../runtime/errors.js';
import type { Serde } from '../runtime/serdes.js';

/** What a store's prefetch sees of an input record before it is deserialised. */
export interface PrefetchInput {
  topic: string;
  key: Buffer | null;
  /** The Kafka record timestamp. */
  timestamp: number;
}

/**
 * The common prefetch guess: the store is keyed by the input record's UTF-8 key (a lenient decode:
 * a key the string serde would refuse only costs a wasted read).
 */
export function recordKeyString(record: PrefetchInput): string | undefined {
  return record.key === null ? undefined : record.key.toString('utf8');
}

export interface KeyValueStoreSpec<K, V> {
  readonly kind: 'key-value';
  readonly name: string;
  readonly keySerde: Serde<K>;
  readonly valueSerde: Serde<V>;
  /** RocksDB under the Kafka runner (default true); always memory under the test driver. */
  readonly persistent: boolean;
  /** Write a changelog topic (default true); without it the store cannot be restored. */
  readonly changelog: boolean;
  /**
   * Upper bound of clean (already committed) entries kept deserialisable in memory. Cache bounds
   * are per store per app instance: the runner gives each task its share (see `taskShare`), so an
   * app's memory does not grow with the partition count.
   */
  readonly cacheMaxEntries: number;
  /** Upper bound of the bytes of those entries (default 32 MiB per store per app instance). */
  readonly cacheMaxBytes: number;
  /**
   * Budget (per store per app instance) of committed values kept as objects, so a `get` of a value
   * written by an earlier commit skips its deserialisation; 0 (default) keeps bytes only. For values whose
   * decoding is a processor's main cost. A kept object is handed out by `get` at most once and
   * comes back only through `put`, so a caller's uncommitted mutations never reach it; the
   * processor must not keep references to values across records.
   */
  readonly decodedCacheMaxBytes: number;
  /** Estimated memory of a kept object (default: twice its encoded size). */
  decodedSize?(value: V, encodedBytes: number): number;
  /**
   * The key a processor will read for an input record, guessed from its raw form, so the runner
   * can fetch a run of records' state in one round trip before processing them. A wrong guess
   * costs only a wasted read; undefined skips the record.
   */
  prefetchKey?(record: PrefetchInput): K | undefined;
}

export interface WindowStoreSpec<K, V> {
  readonly kind: 'window';
  readonly name: string;
  readonly keySerde: Serde<K>;
  readonly valueSerde: Serde<V>;
  readonly windowSizeMs: number;
  /** Windows that start more than this before the newest window are dropped (disk bound). */
  readonly retentionMs: number;
  readonly persistent: boolean;
  readonly changelog: boolean;
  readonly cacheMaxEntries: number;
  readonly cacheMaxBytes: number;
  /** As `KeyValueStoreSpec.prefetchKey`, for the window a processor will fetch. */
  prefetchWindow?(record: PrefetchInput): { key: K; windowStart: number } | undefined;
}

export type StoreSpec = KeyValueStoreSpec<unknown, unknown> | WindowStoreSpec<unknown, unknown>;

export interface StoreOptions<K, V> {
  keySerde: Serde<K>;
  valueSerde: Serde<V>;
  persistent?: boolean;
  changelog?: boolean;
  cacheMaxEntries?: number;
  cacheMaxBytes?: number;
}

export interface KeyValueStoreOptions<K, V> extends StoreOptions<K, V> {
  decodedCacheMaxBytes?: number;
  decodedSize?(value: V, encodedBytes: number): number;
  prefetchKey?(record: PrefetchInput): K | undefined;
}

export interface WindowStoreOptions<K, V> extends StoreOptions<K, V> {
  windowSizeMs: number;
  retentionMs: number;
  prefetchWindow?(record: PrefetchInput): { key: K; windowStart: number } | undefined;
}

const DEFAULT_CACHE_MAX_BYTES = 32 * 1024 * 1024;

const STORE_NAME = /^[a-zA-Z0-9._-]+$/;

function checkName(name: string): void {
  if (!STORE_NAME.test(name)) {
    throw new ForeshadowError('CONFIG_INVALID', `store name "${name}" must match ${STORE_NAME} (it names a topic)`);
  }
}

export function keyValueStoreSpec<K, V>(name: string, options: KeyValueStoreOptions<K, V>): KeyValueStoreSpec<K, V> {
  checkName(name);
  return {
    kind: 'key-value',
    name,
    keySerde: options.keySerde,
    valueSerde: options.valueSerde,
    persistent: options.persistent ?? true,
    changelog: options.changelog ?? true,
    cacheMaxEntries: options.cacheMaxEntries ?? 50_000,
    cacheMaxBytes: options.cacheMaxBytes ?? DEFAULT_CACHE_MAX_BYTES,
    decodedCacheMaxBytes: options.decodedCacheMaxBytes ?? 0,
    ...(options.decodedSize ? { decodedSize: options.decodedSize } : {}),
    ...(options.prefetchKey ? { prefetchKey: options.prefetchKey } : {}),
  };
}

export function windowStoreSpec<K, V>(name: string, options: WindowStoreOptions<K, V>): WindowStoreSpec<K, V> {
  checkName(name);
  if (options.retentionMs < options.windowSizeMs) {
    throw new ForeshadowError('CONFIG_INVALID', `store ${name}: retention must be at least the window size`);
  }
  return {
    kind: 'window',
    name,
    keySerde: options.keySerde,
    valueSerde: options.valueSerde,
    windowSizeMs: options.windowSizeMs,
    retentionMs: options.retentionMs,
    persistent: options.persistent ?? true,
    changelog: options.changelog ?? true,
    cacheMaxEntries: options.cacheMaxEntries ?? 50_000,
    cacheMaxBytes: options.cacheMaxBytes ?? DEFAULT_CACHE_MAX_BYTES,
    ...(options.prefetchWindow ? { prefetchWindow: options.prefetchWindow } : {}),
  };
}

/**
 * One task's share of a spec's per-instance cache budgets: an instance runs at most one task per
 * partition, so each gets 1/partitions of every bound (at least one entry and 64 KiB, so a cache
 * still works on a topic with very many partitions).
 */
export function taskShare<S extends StoreSpec>(spec: S, partitions: number): S {
  if (partitions <= 1) return spec;
  const bytes = (b: number): number => (b <= 0 ? b : Math.max(64 * 1024, Math.floor(b / partitions)));
  const scaled = {
    ...spec,
    cacheMaxEntries: Math.max(1, Math.ceil(spec.cacheMaxEntries / partitions)),
    cacheMaxBytes: bytes(spec.cacheMaxBytes),
  };
  if (spec.kind === 'key-value') return { ...scaled, decodedCacheMaxBytes: bytes(spec.decodedCacheMaxBytes) } as S;
  return scaled;
}

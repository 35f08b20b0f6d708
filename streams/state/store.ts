/**
 * State store contracts. Implementations: in-memory (tests, small state) and RocksDB (default);
 * both sit under the changelogging and caching layers and pass the same conformance suite.
 * Every store is named explicitly: the name fixes its changelog topic, so a rename is a migration.
 *
 * Reads are async because RocksDB reads are (the write cache answers hits without I/O); writes are
 * synchronous because they only enter the task's write cache, which is flushed to RocksDB and to
 * the changelog topic at each commit.
 */
export interface KeyValue<K, V> {
  key: K;
  value: V;
}

export interface KeyValueStore<K, V> {
  readonly name: string;
  get(key: K): Promise<V | undefined>;
  put(key: K, value: V): void;
  delete(key: K): void;
  /** Entries with from <= key < to in serialised-key order; both bounds optional. */
  range(from?: K, to?: K): AsyncIterableIterator<KeyValue<K, V>>;
  all(): AsyncIterableIterator<KeyValue<K, V>>;
}

export interface WindowedKey<K> {
  key: K;
  /** Window start, epoch ms (inclusive). */
  start: number;
  /** Window end, epoch ms (exclusive). */
  end: number;
}

export interface WindowStore<K, V> {
  readonly name: string;
  readonly windowSizeMs: number;
  readonly retentionMs: number;
  fetch(key: K, windowStart: number): Promise<V | undefined>;
  put(key: K, windowStart: number, value: V): void;
  /** Windows of `key` whose start lies in [fromStart, toStart]. */
  fetchRange(key: K, fromStart: number, toStart: number): AsyncIterableIterator<KeyValue<WindowedKey<K>, V>>;
  /** Every window of every key whose start lies in [fromStart, toStart]. */
  fetchAll(fromStart: number, toStart: number): AsyncIterableIterator<KeyValue<WindowedKey<K>, V>>;
}

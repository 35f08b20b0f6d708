/**
 * What the task runner needs from every store, whatever its kind, and the factory that wraps a byte
 * store (RocksDB or memory) in the caching + changelogging layer its spec asks for.
 *
 * A commit runs in three steps driven by the task (see `StoreCommitState` for the phases):
 *   1. `prepareCommit()` serialises the uncommitted writes into changelog records (sent by the
 *      runner in the same transaction as outputs and offsets);
 *   2. `applyCommit()`, only after the commit succeeded, writes them to the byte store;
 *   3. `abort()`, after a failed commit, drops them, which rewinds the store to the last commit.
 * So the byte store only ever holds committed state, which is what makes the rewind sound.
 */
import type { BytesStore } from './bytes-store.js';
import { CachedKeyValueStore } from './key-value-store.js';
import type { StorePhase } from './store-commit-state.js';
import type { PrefetchInput, StoreSpec } from './store-spec.js';
import { CachedWindowStore } from './window-store.js';

export interface ChangelogEntry {
  key: Buffer;
  value: Buffer | null;
}

export interface ManagedStore {
  readonly name: string;
  readonly spec: StoreSpec;
  readonly bytes: BytesStore;
  /** Where the store is in its commit cycle. */
  readonly phase: StorePhase;
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

export function createManagedStore(spec: StoreSpec, bytes: BytesStore): ManagedStore {
  return spec.kind === 'key-value' ? new CachedKeyValueStore(spec, bytes) : new CachedWindowStore(spec, bytes);
}

/**
 * The write cache of a store: its uncommitted writes, by cache id, held as objects until the
 * commit (so repeated puts of one key within a commit interval become one changelog record), and
 * the commit state machine that says when they may be read, written, prepared, applied or dropped.
 */
import type { BytesBatch } from './bytes-store.js';
import type { ChangelogEntry } from './managed-store.js';
import { StoreCommitState, type StoreOperation, type StorePhase } from './store-commit-state.js';

/** One uncommitted write; `value` undefined deletes. `start` is the window start (0 for key-value). */
export interface UncommittedWrite<K, V> {
  key: K;
  value: V | undefined;
  start: number;
}

/** The encoded value a prepared write commits, by cache id (null: a delete). */
export interface PreparedWrite {
  id: string;
  value: Buffer | null;
}

export interface PreparedCommit {
  batch: BytesBatch;
  ids: PreparedWrite[];
}

export class WriteCache<K, V> {
  private writes = new Map<string, UncommittedWrite<K, V>>();
  private prepared: PreparedCommit | undefined;
  private readonly state: StoreCommitState;

  constructor(store: string) {
    this.state = new StoreCommitState(store);
  }

  get phase(): StorePhase {
    return this.state.phase;
  }

  get size(): number {
    return this.writes.size;
  }

  /** Throws unless the store may do `operation` now (reads, read-aheads, restores). */
  check(operation: Extract<StoreOperation, 'read' | 'restore'>): void {
    this.state.enter(operation);
  }

  get(id: string): UncommittedWrite<K, V> | undefined {
    return this.writes.get(id);
  }

  has(id: string): boolean {
    return this.writes.has(id);
  }

  values(): IterableIterator<UncommittedWrite<K, V>> {
    return this.writes.values();
  }

  put(id: string, write: UncommittedWrite<K, V>): void {
    this.state.enter('write');
    this.writes.set(id, write);
  }

  /** Marks the store written to without holding a write (a put to an expired window is dropped). */
  touch(): void {
    this.state.enter('write');
  }

  /**
   * Step 1: `build` turns the uncommitted writes into the byte batch to apply and the changelog
   * records to send (the batch's writes). The phase moves only once that succeeded.
   */
  async prepare(
    build: (writes: ReadonlyMap<string, UncommittedWrite<K, V>>) => Promise<PreparedCommit>,
  ): Promise<ChangelogEntry[]> {
    this.state.check('prepare');
    const prepared = await build(this.writes);
    this.state.enter('prepare');
    this.prepared = prepared;
    return prepared.batch.writes;
  }

  /** Step 2 begins: the prepared commit, to write to the byte store. */
  beginApply(): PreparedCommit {
    this.state.enter('apply');
    return this.prepared!;
  }

  /** Step 2 done: the byte store holds the commit; the writes are dropped. */
  applied(): void {
    this.state.enter('applied');
    // The task does not process while it commits, so everything uncommitted was prepared.
    this.writes = new Map();
    this.prepared = undefined;
  }

  /** The byte store refused the commit: the store is behind its changelog until restored. */
  applyFailed(): void {
    this.state.enter('apply-failed');
  }

  /** Drop everything uncommitted: the store reads as of the last commit again. */
  abort(): void {
    this.state.enter('abort');
    this.writes = new Map();
    this.prepared = undefined;
  }

  /** True the first time: the caller then releases what it holds. */
  close(): boolean {
    const first = this.state.phase !== 'closed';
    this.state.enter('close');
    this.writes = new Map();
    this.prepared = undefined;
    return first;
  }
}

/**
 * Committed values read ahead for the records about to be processed (see `ManagedStore.prefetch`).
 * A commit or restore that lands while a read is in flight may have changed what it read, so its
 * results are then dropped (`generation`, bumped once the write is done); a commit also drops what
 * it supersedes.
 */
import type { BytesStore } from './bytes-store.js';
import type { PrefetchInput } from './store-spec.js';

export class ReadAhead {
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

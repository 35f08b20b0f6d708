/**
 * Range reads of a cached store: the uncommitted writes (in memory) merged, in byte-key order, into
 * the committed entries of the byte store. An uncommitted write shadows the committed entry of its
 * key; an uncommitted delete (`item` undefined) hides it and yields nothing.
 */
import type { BytesEntry } from './bytes-store.js';

export interface PendingItem<T> {
  /** The write's byte-store key. */
  key: Buffer;
  /** What to yield for it; undefined for a delete. */
  item: T | undefined;
}

export async function* mergeUncommitted<T>(
  pending: PendingItem<T>[],
  stored: AsyncIterable<BytesEntry>,
  /** A committed entry as an item; undefined skips it (e.g. another key's window). */
  decode: (entry: BytesEntry) => Promise<T | undefined>,
): AsyncIterableIterator<T> {
  pending.sort((a, b) => Buffer.compare(a.key, b.key));
  const shadowed = new Set(pending.map((p) => p.key.toString('latin1')));
  let i = 0;
  for await (const e of stored) {
    while (i < pending.length && Buffer.compare(pending[i]!.key, e.key) < 0) {
      const out = pending[i++]!.item;
      if (out !== undefined) yield out;
    }
    if (shadowed.has(e.key.toString('latin1'))) continue;
    const out = await decode(e);
    if (out !== undefined) yield out;
  }
  while (i < pending.length) {
    const out = pending[i++]!.item;
    if (out !== undefined) yield out;
  }
}

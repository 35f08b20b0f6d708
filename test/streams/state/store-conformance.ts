/**
 * One conformance suite for every byte store and for the typed caching layer above it, run against
 * the in-memory store (unit) and RocksDB (unit too: it is an embedded library, not a service).
 */
import { describe, expect, it } from 'vitest';
import { jsonSerde, stringSerde } from '../../../streams/runtime/serdes.js';
import type { BytesStore } from '../../../streams/state/bytes-store.js';
import { CachedKeyValueStore } from '../../../streams/state/key-value-store.js';
import { keyValueStoreSpec, windowStoreSpec } from '../../../streams/state/store-spec.js';
import { CachedWindowStore } from '../../../streams/state/window-store.js';

const b = (s: string): Buffer => Buffer.from(s);

async function collect<T>(it: AsyncIterableIterator<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

export function storeConformance(label: string, open: () => Promise<BytesStore>): void {
  describe(`${label} byte store`, () => {
    it('puts, gets, deletes and ranges in byte order', async () => {
      const s = await open();
      await s.write({
        writes: [
          { key: b('b'), value: b('2') },
          { key: b('a'), value: b('1') },
          { key: b('c'), value: b('3') },
        ],
      });
      expect((await s.get(b('a')))?.toString()).toBe('1');
      await s.write({ writes: [{ key: b('a'), value: null }] });
      expect(await s.get(b('a'))).toBeUndefined();
      const all = (await collect(s.range())).map((e) => e.key.toString());
      expect(all).toEqual(['b', 'c']);
      expect((await collect(s.range(b('b'), b('c')))).map((e) => e.value.toString())).toEqual(['2']);
      expect((await s.lastKey())?.toString()).toBe('c');
      await s.write({ writes: [], deleteRanges: [{ from: b('a'), to: b('c') }] });
      expect((await collect(s.range())).map((e) => e.key.toString())).toEqual(['c']);
      await s.close();
    });

    it('reads several keys in one call, in order, absent ones undefined', async () => {
      const s = await open();
      await s.write({ writes: [1, 2, 3].map((i) => ({ key: b(`k${i}`), value: b(`v${i}`) })) });
      const got = await s.getMany([b('k3'), b('nope'), b('k1'), b('k3')]);
      expect(got.map((v) => v?.toString())).toEqual(['v3', undefined, 'v1', 'v3']);
      expect(await s.getMany([])).toEqual([]);
      await s.close();
    });
  });

  describe(`${label} cached key-value store`, () => {
    it('serves uncommitted writes, commits them, and rewinds on abort', async () => {
      const bytes = await open();
      const kv = new CachedKeyValueStore(
        keyValueStoreSpec('kv', { keySerde: stringSerde, valueSerde: jsonSerde<{ n: number }>() }),
        bytes,
      );
      kv.put('x', { n: 1 });
      kv.put('y', { n: 2 });
      expect(await kv.get('x')).toEqual({ n: 1 });
      expect(await bytes.get(b('x'))).toBeUndefined();
      const changelog = await kv.prepareCommit();
      expect(changelog.map((e) => e.key.toString()).sort()).toEqual(['x', 'y']);
      await kv.applyCommit();
      expect((await bytes.get(b('x')))?.toString()).toBe('{"n":1}');

      kv.put('x', { n: 99 });
      kv.delete('y');
      kv.put('z', { n: 3 });
      expect((await collect(kv.all())).map((e) => [e.key, e.value.n])).toEqual([
        ['x', 99],
        ['z', 3],
      ]);
      kv.abort();
      expect(await kv.get('x')).toEqual({ n: 1 });
      expect(await kv.get('y')).toEqual({ n: 2 });
      expect(await kv.get('z')).toBeUndefined();
      await kv.close();
    });

    it('never lets a mutated read object leak into committed state', async () => {
      const kv = new CachedKeyValueStore(
        keyValueStoreSpec('kv', { keySerde: stringSerde, valueSerde: jsonSerde<{ n: number }>() }),
        await open(),
      );
      kv.put('x', { n: 1 });
      await kv.prepareCommit();
      await kv.applyCommit();
      const v = await kv.get('x');
      if (v) v.n = 42;
      expect(await kv.get('x')).toEqual({ n: 1 });
      await kv.close();
    });
  });

  describe(`${label} cached window store`, () => {
    it('fetches by key and window, ranges by start, drops windows past retention', async () => {
      const bytes = await open();
      const ws = new CachedWindowStore(
        windowStoreSpec('ws', {
          keySerde: stringSerde,
          valueSerde: jsonSerde<number>(),
          windowSizeMs: 10,
          retentionMs: 20,
        }),
        bytes,
      );
      ws.put('a', 0, 1);
      ws.put('b', 0, 2);
      ws.put('a', 10, 3);
      await ws.prepareCommit();
      await ws.applyCommit();
      ws.put('a', 20, 4);
      expect(await ws.fetch('a', 10)).toBe(3);
      expect((await collect(ws.fetchRange('a', 0, 20))).map((e) => [e.key.start, e.key.end, e.value])).toEqual([
        [0, 10, 1],
        [10, 20, 3],
        [20, 30, 4],
      ]);
      expect((await collect(ws.fetchAll(0, 0))).map((e) => e.key.key)).toEqual(['a', 'b']);
      await ws.prepareCommit();
      await ws.applyCommit();
      // Newest start 40: windows starting before 20 are expired and gone from disk.
      ws.put('c', 40, 5);
      const changelog = await ws.prepareCommit();
      await ws.applyCommit();
      expect(changelog).toHaveLength(1);
      expect(await ws.fetch('a', 10)).toBeUndefined();
      expect((await collect(bytes.range())).length).toBe(2);
      ws.put('a', 0, 100);
      expect(await ws.fetch('a', 0)).toBeUndefined();
      await ws.close();
    });
  });
}

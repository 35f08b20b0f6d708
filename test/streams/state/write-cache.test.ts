import { describe, expect, it } from 'vitest';
import { jsonSerde, packedJsonSerde, stringSerde } from '../../../streams/runtime/serdes.js';
import { keyValueStoreSpec, windowStoreSpec } from '../../../streams/runtime/topology.js';
import { MemoryBytesStore } from '../../../streams/state/bytes-store.js';
import { CachedKeyValueStore } from '../../../streams/state/key-value-store.js';
import { CachedWindowStore } from '../../../streams/state/window-store.js';

describe('write cache', () => {
  it('coalesces repeated puts of one key within a commit interval into one changelog record', async () => {
    const store = new CachedKeyValueStore(
      keyValueStoreSpec<string, { n: number }>('s', { keySerde: stringSerde, valueSerde: jsonSerde() }),
      new MemoryBytesStore(),
    );
    for (let i = 0; i < 1_000; i++) store.put(`host-${i % 10}`, { n: i });
    const entries = await store.prepareCommit();
    expect(entries).toHaveLength(10);
    // The record is the last value put.
    const last = entries.find((e) => e.key.toString() === 'host-3');
    expect(JSON.parse(last!.value!.toString())).toEqual({ n: 993 });
    await store.applyCommit();
    // A put after the commit starts a new interval: one record again, not accumulated history.
    store.put('host-3', { n: 1 });
    store.put('host-3', { n: 2 });
    expect(await store.prepareCommit()).toHaveLength(1);
  });

  it('coalesces window-store puts per (key, window)', async () => {
    const store = new CachedWindowStore(
      windowStoreSpec<string, number>('w', {
        keySerde: stringSerde,
        valueSerde: jsonSerde(),
        windowSizeMs: 1_000,
        retentionMs: 60_000,
      }),
      new MemoryBytesStore(),
    );
    for (let i = 0; i < 100; i++) store.put('k', 1_000 * (i % 2), i);
    expect(await store.prepareCommit()).toHaveLength(2);
  });
});

describe('packedJsonSerde', () => {
  const serde = packedJsonSerde<unknown>();
  it('round-trips state objects exactly and is smaller than JSON', async () => {
    const ring = Array.from({ length: 288 }, (_, i) => Math.sin(i) * 1e3 + 1 / 3);
    const value = {
      host: 'h-1',
      metrics: { cpu: { ring, head: 5, small: [1, 2, 3], visits: new Array(168).fill(0) } },
      pending: [{ t: 1, x: { a: 0.5 } }],
      none: null,
    };
    const bytes = await serde.serialize('t', value);
    expect(await serde.deserialize('t', bytes)).toEqual(value);
    expect(bytes.length).toBeLessThan(Buffer.byteLength(JSON.stringify(value)) / 2);
  });

  it('reads values written as plain JSON (no changelog migration needed)', async () => {
    const value = { a: [1, 2, 3, 4, 5, 6, 7, 8, 9], b: 'x' };
    expect(await serde.deserialize('t', Buffer.from(JSON.stringify(value)))).toEqual(value);
  });

  it('rejects truncated data instead of inventing numbers', async () => {
    const bytes = await serde.serialize('t', { a: Array.from({ length: 20 }, (_, i) => i) });
    expect(() => serde.deserialize('t', bytes.subarray(0, bytes.length - 3))).toThrow();
  });
});

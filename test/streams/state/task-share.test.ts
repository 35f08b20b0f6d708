import { describe, expect, it } from 'vitest';
import { jsonSerde, stringSerde } from '../../../streams/runtime/serdes.js';
import { keyValueStoreSpec, taskShare, windowStoreSpec } from '../../../streams/state/store-spec.js';

describe('taskShare', () => {
  const kv = keyValueStoreSpec<string, number>('kv', {
    keySerde: stringSerde,
    valueSerde: jsonSerde<number>(),
    cacheMaxEntries: 1_000,
    cacheMaxBytes: 60 * 1024 * 1024,
    decodedCacheMaxBytes: 48 * 1024 * 1024,
  });

  it("splits an instance's cache budgets evenly across its tasks", () => {
    const s = taskShare(kv, 6);
    expect(s.cacheMaxEntries).toBe(167);
    expect(s.cacheMaxBytes).toBe(10 * 1024 * 1024);
    expect(s.decodedCacheMaxBytes).toBe(8 * 1024 * 1024);
    expect(s.name).toBe('kv');
    // The spec itself is shared by every task: never changed in place.
    expect(kv.cacheMaxBytes).toBe(60 * 1024 * 1024);
  });

  it('keeps a working cache on topics with very many partitions', () => {
    const s = taskShare(kv, 100_000);
    expect(s.cacheMaxEntries).toBe(1);
    expect(s.cacheMaxBytes).toBe(64 * 1024);
    expect(s.decodedCacheMaxBytes).toBe(64 * 1024);
  });

  it('leaves a disabled decoded cache disabled and a single task whole', () => {
    const plain = keyValueStoreSpec<string, number>('p', { keySerde: stringSerde, valueSerde: jsonSerde<number>() });
    expect(taskShare(plain, 4).decodedCacheMaxBytes).toBe(0);
    expect(taskShare(kv, 1)).toBe(kv);
  });

  it('splits window store budgets too', () => {
    const w = windowStoreSpec<string, number>('w', {
      keySerde: stringSerde,
      valueSerde: jsonSerde<number>(),
      windowSizeMs: 1_000,
      retentionMs: 10_000,
    });
    const s = taskShare(w, 4);
    expect(s.kind).toBe('window');
    expect(s.cacheMaxBytes).toBe(8 * 1024 * 1024);
    expect(s.windowSizeMs).toBe(1_000);
  });
});

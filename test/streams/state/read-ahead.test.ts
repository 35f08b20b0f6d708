import { describe, expect, it } from 'vitest';
import { buildHostBaselineTopology } from '../../../streams/processors/host-baseline/topology.js';
import { jsonSerde, stringSerde } from '../../../streams/runtime/serdes.js';
import { StreamTask } from '../../../streams/runtime/task.js';
import { keyValueStoreSpec, recordKeyString, Topology, windowStoreSpec } from '../../../streams/runtime/topology.js';
import { MemoryBytesStore } from '../../../streams/state/bytes-store.js';
import { CachedKeyValueStore } from '../../../streams/state/key-value-store.js';
import { createManagedStore } from '../../../streams/state/managed-store.js';
import type { PrefetchInput } from '../../../streams/state/store-spec.js';
import { CachedWindowStore } from '../../../streams/state/window-store.js';

/** A memory byte store that counts its reads, and can hold a batch read until released. */
class CountingStore extends MemoryBytesStore {
  gets = 0;
  batches = 0;
  hold: Promise<void> | undefined;

  override async get(key: Buffer): Promise<Buffer | undefined> {
    this.gets++;
    return super.get(key);
  }

  override async getMany(keys: readonly Buffer[]): Promise<(Buffer | undefined)[]> {
    this.batches++;
    const found = await super.getMany(keys);
    await this.hold;
    return found;
  }
}

const HOUR = 3_600_000;
const rec = (key: string | null, timestamp = 0, topic = 'samples'): PrefetchInput => ({
  topic,
  key: key === null ? null : Buffer.from(key),
  timestamp,
});

function kvStore(bytes: CountingStore, cacheMaxEntries = 50_000): CachedKeyValueStore<string, { n: number }> {
  return new CachedKeyValueStore(
    keyValueStoreSpec<string, { n: number }>('s', {
      keySerde: stringSerde,
      valueSerde: jsonSerde<{ n: number }>(),
      cacheMaxEntries,
      prefetchKey: recordKeyString,
    }),
    bytes,
  );
}

async function seed(bytes: CountingStore, values: Record<string, number>): Promise<void> {
  await bytes.write({
    writes: Object.entries(values).map(([k, n]) => ({
      key: Buffer.from(k),
      value: Buffer.from(JSON.stringify({ n })),
    })),
  });
}

/** Commits 'a' = 2, then a commit of another key pushes 'a' out of the store's one-entry cache. */
async function commitNewAThenEvict(kv: CachedKeyValueStore<string, { n: number }>): Promise<void> {
  for (const [key, n] of [
    ['a', 2],
    ['other', 0],
  ] as const) {
    kv.put(key, { n });
    await kv.prepareCommit();
    await kv.applyCommit();
  }
}

describe('read-ahead of a key-value store', () => {
  it('reads the keys of a run of records in one batch and serves them without further reads', async () => {
    const bytes = new CountingStore();
    await seed(bytes, { a: 1, b: 2 });
    const kv = kvStore(bytes);
    await kv.prefetch([rec('a'), rec('b'), rec('a'), rec('absent'), rec(null)]);
    expect(bytes.batches).toBe(1);
    expect(await kv.get('a')).toEqual({ n: 1 });
    expect(await kv.get('b')).toEqual({ n: 2 });
    // Known absent: answered from the read-ahead, not read again.
    expect(await kv.get('absent')).toBeUndefined();
    expect(bytes.gets).toBe(0);
  });

  it('skips keys already in memory and reads nothing when all are', async () => {
    const bytes = new CountingStore();
    await seed(bytes, { a: 1 });
    const kv = kvStore(bytes);
    kv.put('dirty', { n: 5 });
    expect(await kv.get('a')).toEqual({ n: 1 });
    await kv.prefetch([rec('a'), rec('dirty')]);
    expect(bytes.batches).toBe(0);
    expect(await kv.get('dirty')).toEqual({ n: 5 });
  });

  it('never serves a value older than a commit that happened after the read-ahead', async () => {
    const bytes = new CountingStore();
    await seed(bytes, { a: 1 });
    const kv = kvStore(bytes, 1);
    await kv.prefetch([rec('a')]);
    // Only the read-ahead or the byte store can answer for 'a' now.
    await commitNewAThenEvict(kv);
    expect(await kv.get('a')).toEqual({ n: 2 });
  });

  it('drops a batch read that was in flight across a commit', async () => {
    const bytes = new CountingStore();
    await seed(bytes, { a: 1 });
    const kv = kvStore(bytes, 1);
    let release!: () => void;
    bytes.hold = new Promise((r) => {
      release = r;
    });
    const reading = kv.prefetch([rec('a')]);
    await commitNewAThenEvict(kv);
    release();
    await reading;
    const before = bytes.gets;
    expect(await kv.get('a')).toEqual({ n: 2 });
    expect(bytes.gets).toBe(before + 1);
  });

  it('forgets what a run read ahead once the next run is read', async () => {
    const bytes = new CountingStore();
    await seed(bytes, { a: 1, b: 2 });
    const kv = kvStore(bytes);
    await kv.prefetch([rec('a')]);
    await kv.prefetch([rec('b')]);
    expect(await kv.get('a')).toEqual({ n: 1 });
    expect(bytes.gets).toBe(1);
  });

  it('does nothing for a store whose spec has no guess', async () => {
    const bytes = new CountingStore();
    const kv = new CachedKeyValueStore(
      keyValueStoreSpec<string, { n: number }>('s', { keySerde: stringSerde, valueSerde: jsonSerde() }),
      bytes,
    );
    await kv.prefetch([rec('a')]);
    expect(bytes.batches).toBe(0);
  });
});

describe('read-ahead of a window store', () => {
  function windowStore(bytes: CountingStore): CachedWindowStore<string, number> {
    return new CachedWindowStore(
      windowStoreSpec<string, number>('w', {
        keySerde: stringSerde,
        valueSerde: jsonSerde<number>(),
        windowSizeMs: HOUR,
        retentionMs: 24 * HOUR,
        cacheMaxEntries: 1,
        prefetchWindow: (r) =>
          r.key === null ? undefined : { key: r.key.toString(), windowStart: Math.floor(r.timestamp / HOUR) * HOUR },
      }),
      bytes,
    );
  }

  it('reads persisted windows in one batch and skips windows newer than anything persisted', async () => {
    const bytes = new CountingStore();
    const w = windowStore(bytes);
    w.put('a', 0, 1);
    w.put('b', 0, 2);
    w.put('c', HOUR, 3);
    await w.prepareCommit();
    await w.applyCommit();
    // Evict the one-entry cache so the windows must come from the byte store.
    w.put('z', HOUR, 0);
    await w.prepareCommit();
    await w.applyCommit();
    await w.prefetch([rec('a', 10), rec('b', 20), rec('a', 2 * HOUR + 1)]);
    expect(bytes.batches).toBe(1);
    expect(await w.fetch('a', 0)).toBe(1);
    expect(await w.fetch('b', 0)).toBe(2);
    expect(await w.fetch('a', 2 * HOUR)).toBeUndefined();
    expect(bytes.gets).toBe(0);
  });
});

describe('read-ahead wired into the pipeline topologies', () => {
  function taskOf(topology: Topology, bytes: () => MemoryBytesStore): StreamTask {
    const stores = new Map(topology.storeSpecs().map((spec) => [spec.name, createManagedStore(spec, bytes())]));
    return new StreamTask({
      topology,
      taskId: '0_0',
      partition: 0,
      stores,
      hooks: { emit: () => undefined, wallClock: () => 0, partitionCount: () => 1 },
    });
  }

  it('host-baseline reads the hosts of a run in one batch; a topology without guesses reads nothing ahead', async () => {
    const counting: CountingStore[] = [];
    const task = taskOf(buildHostBaselineTopology({ sampleSerde: jsonSerde(), baselineSerde: jsonSerde() }), () => {
      const s = new CountingStore();
      counting.push(s);
      return s;
    });
    expect(task.readsAhead()).toBe(true);
    await task.prefetch([rec('h-1', HOUR), rec('h-2', HOUR), rec('h-1', HOUR + 1)]);
    // The state store reads both hosts at once; the hourly store has nothing persisted to read.
    expect(counting.map((s) => s.batches).sort()).toEqual([0, 1]);

    const plain = new Topology('plain');
    plain.addSource({ name: 'in', topics: ['in'], keySerde: stringSerde, valueSerde: jsonSerde() });
    plain.addProcessor('p', () => ({ process: () => undefined }), ['in']);
    plain.addStateStore(keyValueStoreSpec('kv', { keySerde: stringSerde, valueSerde: jsonSerde() }), ['p']);
    expect(taskOf(plain, () => new CountingStore()).readsAhead()).toBe(false);
  });
});

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MemoryBytesStore } from '../../../streams/state/bytes-store.js';
import { RocksDbBytesStore, type RocksDbTuning } from '../../../streams/state/rocksdb-store.js';
import { storeConformance } from './store-conformance.js';

const dirs: string[] = [];

async function rocks(tuning?: RocksDbTuning): Promise<{ store: RocksDbBytesStore; dir: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'foreshadow-rocks-'));
  dirs.push(dir);
  return { store: await RocksDbBytesStore.open(dir, tuning), dir };
}

storeConformance('memory', async () => new MemoryBytesStore());
storeConformance('rocksdb', async () => (await rocks()).store);
storeConformance('rocksdb with a block cache', async () => (await rocks({ blockCache: true })).store);

describe('rocksdb tuning', () => {
  it('keeps every write across many memtable flushes and a reopen', async () => {
    const { store, dir } = await rocks({ writeBufferBytes: 64 * 1024, maxWriteBuffers: 2 });
    const value = (i: number): Buffer => Buffer.alloc(8 * 1024, i % 251);
    // 4 MiB through 64 KiB memtables: dozens of flushes while writing.
    for (let b = 0; b < 16; b++) {
      const writes = Array.from({ length: 32 }, (_, j) => {
        const i = b * 32 + j;
        return { key: Buffer.from(`k${String(i).padStart(4, '0')}`), value: value(i) };
      });
      await store.write({ writes });
    }
    await store.close();
    const reopened = await RocksDbBytesStore.open(dir);
    try {
      for (const i of [0, 1, 255, 256, 511]) {
        expect(await reopened.get(Buffer.from(`k${String(i).padStart(4, '0')}`))).toEqual(value(i));
      }
      let n = 0;
      for await (const _ of reopened.range()) n++;
      expect(n).toBe(512);
    } finally {
      await reopened.close();
    }
  });
});

afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

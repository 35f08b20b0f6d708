import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { MemoryBytesStore } from '../../../streams/state/bytes-store.js';
import { RocksDbBytesStore } from '../../../streams/state/rocksdb-store.js';
import { storeConformance } from './store-conformance.js';

const dirs: string[] = [];

storeConformance('memory', async () => new MemoryBytesStore());
storeConformance('rocksdb', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'foreshadow-rocks-'));
  dirs.push(dir);
  return RocksDbBytesStore.open(dir);
});

afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

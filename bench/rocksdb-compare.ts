/**
 * Compares the two RocksDB bindings with prebuilt linux-x64 binaries on the access pattern of our
 * stores: batched writes at commit, then point reads (write-cache misses). Prints JSON.
 *   npx tsx bench/rocksdb-compare.ts [records]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { parseFlagsOrExit } from '../cli/args.js';

const require = createRequire(import.meta.url);
const USAGE = 'usage: npx tsx bench/rocksdb-compare.ts [records]';
const { positionals } = parseFlagsOrExit(process.argv.slice(2), {
  command: 'rocksdb-compare',
  usage: USAGE,
  options: {},
  positionals: true,
});
const N = Number(positionals[0] ?? 200_000);
if (positionals.length > 1 || !Number.isInteger(N) || N < 1) {
  console.error(`rocksdb-compare: records must be one positive integer\n${USAGE}`);
  process.exit(2);
}
const BATCH = 1000;

interface RocksNative {
  ready(): Promise<void>;
  write(opts: { autoDestroy: boolean }): { put(k: Buffer, v: Buffer): void; flush(): Promise<void> };
  read(opts: { autoDestroy: boolean }): { get(k: Buffer): Promise<Buffer | null>; flush(): void };
  close(): Promise<void>;
}
interface RocksLevel {
  open(): Promise<void>;
  batch(ops: { type: 'put'; key: Buffer; value: Buffer }[]): Promise<void>;
  getMany(keys: Buffer[]): Promise<(Buffer | undefined)[]>;
  close(): Promise<void>;
}

const key = (i: number) => Buffer.from(`host-${i % 100_000}:metric-${i}`);
const value = Buffer.alloc(200, 7);

async function benchNative(dir: string) {
  const RocksDB = require('rocksdb-native') as new (path: string) => RocksNative;
  const db = new RocksDB(dir);
  await db.ready();
  let t = performance.now();
  for (let i = 0; i < N; i += BATCH) {
    const w = db.write({ autoDestroy: true });
    for (let j = i; j < Math.min(N, i + BATCH); j++) w.put(key(j), value);
    await w.flush();
  }
  const writeS = (performance.now() - t) / 1000;
  t = performance.now();
  for (let i = 0; i < N; i += BATCH) {
    const r = db.read({ autoDestroy: true });
    const ps: Promise<Buffer | null>[] = [];
    for (let j = i; j < Math.min(N, i + BATCH); j++) ps.push(r.get(key((j * 7919) % N)));
    r.flush();
    await Promise.all(ps);
  }
  const readS = (performance.now() - t) / 1000;
  await db.close();
  return { writesPerSec: Math.round(N / writeS), readsPerSec: Math.round(N / readS) };
}

async function benchLevel(dir: string) {
  const { RocksLevel } = require('@nxtedition/rocksdb') as { RocksLevel: new (p: string, o: object) => RocksLevel };
  const db = new RocksLevel(dir, { keyEncoding: 'buffer', valueEncoding: 'buffer' });
  await db.open();
  let t = performance.now();
  for (let i = 0; i < N; i += BATCH) {
    const ops = [];
    for (let j = i; j < Math.min(N, i + BATCH); j++) ops.push({ type: 'put' as const, key: key(j), value });
    await db.batch(ops);
  }
  const writeS = (performance.now() - t) / 1000;
  t = performance.now();
  for (let i = 0; i < N; i += BATCH) {
    const keys = [];
    for (let j = i; j < Math.min(N, i + BATCH); j++) keys.push(key((j * 7919) % N));
    await db.getMany(keys);
  }
  const readS = (performance.now() - t) / 1000;
  await db.close();
  return { writesPerSec: Math.round(N / writeS), readsPerSec: Math.round(N / readS) };
}

const base = mkdtempSync(join(tmpdir(), 'rocks-bench-'));
try {
  const result = {
    records: N,
    batch: BATCH,
    valueBytes: value.length,
    'rocksdb-native': await benchNative(join(base, 'native')),
    '@nxtedition/rocksdb': await benchLevel(join(base, 'level')),
  };
  console.log(JSON.stringify(result, null, 2));
} finally {
  rmSync(base, { recursive: true, force: true });
}

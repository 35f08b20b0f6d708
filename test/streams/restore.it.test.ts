/**
 * Acceptance (3): restore. A worker with intact state restores nothing; one whose state directory
 * is an older copy restores exactly the changelog records written after that copy's checkpoint
 * (the tail); one with no state directory rebuilds every store from the changelog — and in both
 * cases the rebuilt RocksDB stores are byte-for-byte identical to the originals.
 */
import { cp, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { brokers, consumeUntil, createTopics, registryUrl, uniqueName } from '../support/kafka.js';
import { readAllTasks } from './fixtures/state-reader.js';
import { cleanupApp, type KeyedInput, produce, startWorker, type Worker } from './fixtures/streams-helpers.js';
import { EVENT_EPOCH, expectedWindows, type Reading, WINDOW_STORE } from './fixtures/topologies.js';

const PARTITIONS = 2;
const PER_CHUNK = 5_000;
const KEYS = 10;
const STORES = [WINDOW_STORE, `${WINDOW_STORE}-emit`];

describe('store restore from changelog', () => {
  const appId = uniqueName('restore-app').replaceAll('.', '-');
  const input = uniqueName('restore-in');
  const output = uniqueName('restore-out');
  const dirs: string[] = [];

  afterAll(async () => {
    await cleanupApp(appId, [input, output]);
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  it('restores only the tail with a checkpoint, everything without, identically', async () => {
    await createTopics([
      { topic: input, numPartitions: PARTITIONS },
      { topic: output, numPartitions: PARTITIONS },
    ]);
    const stateDir = await mkdtemp(join(tmpdir(), 'foreshadow-restore-'));
    const snapshot = await mkdtemp(join(tmpdir(), 'foreshadow-restore-snap-'));
    dirs.push(stateDir, snapshot);
    const env = {
      APP_ID: appId,
      INPUT_TOPIC: input,
      OUTPUT_TOPIC: output,
      STATE_DIR: stateDir,
      GUARANTEE: 'exactly-once',
      KAFKA_BROKERS: brokers().join(','),
      SCHEMA_REGISTRY_URL: registryUrl(),
    };
    const perPartition: { key: string; value: Reading }[][] = Array.from({ length: PARTITIONS }, () => []);
    let seq = 0;
    const chunk = (): KeyedInput[] => {
      const out: KeyedInput[] = [];
      for (let i = 0; i < PER_CHUNK; i++, seq++) {
        const k = seq % KEYS;
        const value: Reading = { t: EVENT_EPOCH + 9_000_000 + seq * 5, v: seq % 10, seq };
        perPartition[k % PARTITIONS]!.push({ key: `k${k}`, value });
        out.push({ key: `k${k}`, value: JSON.stringify(value), partition: k % PARTITIONS });
      }
      return out;
    };
    const expectedOutputs = (): number => perPartition.reduce((n, recs) => n + expectedWindows(recs).closed.size, 0);
    const stop = async (w: Worker): Promise<void> => {
      w.child.kill('SIGTERM');
      expect(await w.exited).toBe(0);
    };
    const run = async (): Promise<Worker> => {
      const w = startWorker('windowed-worker.ts', env);
      const want = expectedOutputs();
      await consumeUntil(output, (all) => all.length >= want, 90_000);
      // Every task opened (and restored) before output completed: assert on its logs.
      await w.waitForLog((l) => l.msg === 'task open' && l.taskId === `0_${PARTITIONS - 1}`, 30_000);
      return w;
    };
    const restored = (w: Worker): Map<string, number> => {
      const m = new Map<string, number>();
      for (const l of w.logs.filter((x) => x.msg === 'restore complete')) {
        m.set(`${l.taskId}/${l.store}`, Number(l.restored));
      }
      return m;
    };
    const readStores = async (): Promise<Map<string, string>[]> => {
      const out: Map<string, string>[] = [];
      for (const s of STORES) out.push(await readAllTasks(stateDir, appId, s));
      return out;
    };

    // Run 1, then keep a copy of its state (and checkpoints).
    await produce(input, chunk());
    await stop(await run());
    await cp(stateDir, snapshot, { recursive: true });
    // Run 2 with more input.
    await produce(input, chunk());
    await stop(await run());
    const reference = await readStores();
    expect(reference[0]!.size).toBeGreaterThan(0);

    // Intact state: nothing to restore.
    const intact = await run();
    await stop(intact);
    expect([...restored(intact).values()]).toEqual(new Array(PARTITIONS * STORES.length).fill(0));

    // Old state: exactly the changelog records after the old checkpoint.
    const tails = new Map<string, number>();
    let total = 0;
    for (const store of STORES) {
      const changelog = await consumeUntil(`${appId}-${store}-changelog`, () => false, 5_000);
      total += changelog.length;
      for (let p = 0; p < PARTITIONS; p++) {
        const ck = JSON.parse(await readFile(join(snapshot, appId, `0_${p}`, 'checkpoint.json'), 'utf8')) as Record<
          string,
          string
        >;
        const from = BigInt(ck[store] ?? '0');
        const n = changelog.filter((m) => m.partition === p && BigInt(m.message.offset) >= from).length;
        tails.set(`0_${p}/${store}`, n);
      }
    }
    await rm(stateDir, { recursive: true, force: true });
    await cp(snapshot, stateDir, { recursive: true });
    const tail = await run();
    await stop(tail);
    expect(restored(tail)).toEqual(tails);
    const tailSum = [...tails.values()].reduce((a, b) => a + b, 0);
    expect(tailSum).toBeGreaterThan(0);
    expect(tailSum).toBeLessThan(total);
    expect(await readStores()).toEqual(reference);

    // No state at all: full rebuild from the changelog.
    await rm(stateDir, { recursive: true, force: true });
    const full = await run();
    await stop(full);
    expect([...restored(full).values()].reduce((a, b) => a + b, 0)).toBe(total);
    expect(await readStores()).toEqual(reference);
  });
});

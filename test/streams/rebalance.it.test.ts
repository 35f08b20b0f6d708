/**
 * Acceptance (4): rebalance. Two exactly-once workers share 6 partitions (3 tasks each); one is
 * SIGKILLed mid-stream; after its session expires its tasks move to the survivor, restore from
 * their changelogs and continue — and the read_committed output is still exactly brute force.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { brokers, consumeSettled, consumeUntil, createTopics, registryUrl, uniqueName } from '../support/kafka.js';
import { cleanupApp, type KeyedInput, produce, sleep, startWorker } from './fixtures/streams-helpers.js';
import { EVENT_EPOCH, expectedWindows, type Reading, readWindows, type WindowAgg } from './fixtures/topologies.js';

const PARTITIONS = 6;
const PER_CHUNK = 12_000;
const KEYS = 36;

describe('rebalance across workers', () => {
  const appId = uniqueName('rebal-app').replaceAll('.', '-');
  const input = uniqueName('rebal-in');
  const output = uniqueName('rebal-out');
  const dirs: string[] = [];

  afterAll(async () => {
    await cleanupApp(appId, [input, output]);
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  it('moves a killed worker’s tasks to the survivor with exact output', async () => {
    await createTopics([
      { topic: input, numPartitions: PARTITIONS },
      { topic: output, numPartitions: PARTITIONS },
    ]);
    const base = {
      APP_ID: appId,
      INPUT_TOPIC: input,
      OUTPUT_TOPIC: output,
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
        const t = EVENT_EPOCH + 7_000_000 + seq * 4 - (seq % 5 === 0 ? (seq * 17) % 300 : 0);
        const value: Reading = { t, v: seq % 50, seq };
        perPartition[k % PARTITIONS]!.push({ key: `k${k}`, value });
        out.push({ key: `k${k}`, value: JSON.stringify(value), partition: k % PARTITIONS });
      }
      return out;
    };

    await produce(input, chunk());
    const dirA = await mkdtemp(join(tmpdir(), 'foreshadow-rebal-a-'));
    const dirB = await mkdtemp(join(tmpdir(), 'foreshadow-rebal-b-'));
    dirs.push(dirA, dirB);
    const a = startWorker('windowed-worker.ts', { ...base, STATE_DIR: dirA });
    const b = startWorker('windowed-worker.ts', { ...base, STATE_DIR: dirB });
    const split = (l: Record<string, unknown>): boolean =>
      l.msg === 'assignment' && Array.isArray(l.partitions) && l.partitions.length === PARTITIONS / 2;
    await a.waitForLog(split, 60_000);
    await b.waitForLog(split, 60_000);
    await sleep(1_500);
    a.child.kill('SIGKILL');
    await a.exited;
    await produce(input, chunk());

    const expected = new Map<string, WindowAgg>();
    for (const recs of perPartition) for (const [k, v] of expectedWindows(recs).closed) expected.set(k, v);
    const out = await consumeUntil(output, (all) => all.length >= expected.size, 120_000);
    await sleep(1_500);
    const settled = await consumeSettled(output, expected.size, { graceMs: 3_000 });
    b.child.kill('SIGTERM');
    expect(await b.exited).toBe(0);

    const taken = b.logs.filter((l) => l.msg === 'assignment').at(-1);
    expect(taken?.partitions).toEqual([0, 1, 2, 3, 4, 5]);
    const opened = new Set(b.logs.filter((l) => l.msg === 'task open').map((l) => l.taskId));
    expect(opened.size).toBe(PARTITIONS);
    expect(settled.length).toBe(expected.size);
    const { windows: got, duplicates } = await readWindows(
      output,
      out.map((m) => m.message),
    );
    expect(duplicates).toEqual([]);
    expect(got).toEqual(expected);
  });
});

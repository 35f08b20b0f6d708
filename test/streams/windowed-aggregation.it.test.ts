/**
 * Acceptance (1): windowed aggregation over 100k records on the real broker, exactly-once, with
 * out-of-order records inside grace and some beyond it. The read_committed output must equal a
 * brute-force recomputation (one result per closed key/window), and the late topic must hold
 * exactly the records the recomputation calls late.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConnection } from '../../streams/runtime/config.js';
import { createLogger } from '../../streams/runtime/logger.js';
import { StreamsApp } from '../../streams/runtime/streams-app.js';
import { brokers, consumeUntil, createTopics, uniqueName } from '../support/kafka.js';
import { cleanupApp, type KeyedInput, produce } from './fixtures/streams-helpers.js';
import {
  EVENT_EPOCH,
  expectedWindows,
  type Reading,
  readWindows,
  type WindowAgg,
  windowedTopology,
} from './fixtures/topologies.js';

const PARTITIONS = 3;
const RECORDS = 100_000;
const KEYS = 30;

function rng(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s * 1_103_515_245 + 12_345) % 2_147_483_648;
    return s / 2_147_483_648;
  };
}

describe('windowed aggregation on Kafka', () => {
  const appId = uniqueName('win-app').replaceAll('.', '-');
  const input = uniqueName('win-in');
  const output = uniqueName('win-out');
  let stateDir = '';

  afterAll(async () => {
    await cleanupApp(appId, [input, output]);
    if (stateDir) await rm(stateDir, { recursive: true, force: true });
  });

  it('matches brute force over 100k out-of-order records and dead-letters late ones to the late topic', async () => {
    await createTopics([
      { topic: input, numPartitions: PARTITIONS },
      { topic: output, numPartitions: PARTITIONS },
    ]);
    stateDir = await mkdtemp(join(tmpdir(), 'foreshadow-win-'));
    const rand = rng(42);
    const perPartition: { key: string; value: Reading }[][] = Array.from({ length: PARTITIONS }, () => []);
    const inputs: KeyedInput[] = [];
    for (let i = 0; i < RECORDS; i++) {
      const k = Math.floor(rand() * KEYS);
      const key = `k${k}`;
      const partition = k % PARTITIONS;
      const base = EVENT_EPOCH + 1_000_000 + i * 2;
      const roll = rand();
      // ~20% shuffled inside the grace period, ~1% far beyond it.
      const t =
        roll < 0.01 ? base - 2_000 - Math.floor(rand() * 3_000) : roll < 0.21 ? base - Math.floor(rand() * 450) : base;
      const value: Reading = { t, v: Math.floor(rand() * 100), seq: i };
      perPartition[partition]!.push({ key, value });
      inputs.push({ key, value: JSON.stringify(value), partition });
    }
    await produce(input, inputs);

    let expectedClosed = 0;
    let expectedLate = 0;
    const expected = new Map<string, WindowAgg>();
    for (const recs of perPartition) {
      const e = expectedWindows(recs);
      expectedClosed += e.closed.size;
      expectedLate += e.late;
      for (const [k, v] of e.closed) expected.set(k, v);
    }
    expect(expectedLate).toBeGreaterThan(100);

    const app = new StreamsApp(windowedTopology(appId, input, output), {
      guarantee: 'exactly-once',
      connection: { ...loadConnection(), brokers: brokers() },
      stateDir,
      commitIntervalMs: 200,
      logger: createLogger('win-test', 'warn'),
    });
    const started = Date.now();
    await app.start();
    try {
      const out = await consumeUntil(output, (all) => all.length >= expectedClosed, 120_000);
      const late = await consumeUntil(`${appId}.late`, (all) => all.length >= expectedLate, 30_000);
      const elapsed = Date.now() - started;
      console.log(`windowed: ${RECORDS} records -> ${out.length} windows in ${elapsed} ms`);
      const { windows: got, duplicates } = await readWindows(
        output,
        out.map((m) => m.message),
      );
      expect(duplicates).toEqual([]);
      expect(got.size).toBe(expectedClosed);
      expect(got).toEqual(expected);
      expect(late.length).toBe(expectedLate);
      const lateSeqs = new Set(late.map((m) => (JSON.parse(m.message.value!.toString()) as Reading).seq));
      expect(lateSeqs.size).toBe(expectedLate);
      expect(late[0]?.message.headers?.['x-late-processor']?.toString()).toBe('sums-aggregate');
      const metrics = await app.metrics.registry.getSingleMetricAsString('foreshadow_streams_late_records_total');
      expect(metrics).toContain(` ${expectedLate}`);
    } finally {
      await app.close();
    }
  });
});

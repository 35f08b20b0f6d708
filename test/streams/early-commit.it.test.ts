/**
 * A task commits mid-batch once its stores hold `maxUncommittedWrites` uncommitted writes, so the
 * state kept as objects until a commit stays bounded however large a fetched batch is. With a
 * 10-minute commit interval, output can only become visible (read_committed) before close through
 * such early commits; and the output with them must still equal a brute-force recomputation.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConnection } from '../../streams/runtime/config.js';
import { createLogger } from '../../streams/runtime/logger.js';
import { StreamsApp } from '../../streams/runtime/streams-app.js';
import { brokers, consumeSettled, consumeUntil, createTopics, uniqueName } from '../support/kafka.js';
import { cleanupApp, type KeyedInput, produce } from './fixtures/streams-helpers.js';
import { EVENT_EPOCH, expectedWindows, type Reading, readWindows, windowedTopology } from './fixtures/topologies.js';

const RECORDS = 6_000;
const KEYS = 500;
const MAX_UNCOMMITTED = 100;

describe('early commits on uncommitted state', () => {
  const appId = uniqueName('early-app').replaceAll('.', '-');
  const input = uniqueName('early-in');
  const output = uniqueName('early-out');
  let stateDir = '';

  afterAll(async () => {
    await cleanupApp(appId, [input, output]);
    if (stateDir) await rm(stateDir, { recursive: true, force: true });
  });

  it('commits mid-batch past maxUncommittedWrites and still matches brute force', async () => {
    await createTopics([
      { topic: input, numPartitions: 1 },
      { topic: output, numPartitions: 1 },
    ]);
    stateDir = await mkdtemp(join(tmpdir(), 'foreshadow-early-'));
    // Every record opens a window of its own key: one uncommitted write each.
    const records: { key: string; value: Reading }[] = [];
    const inputs: KeyedInput[] = [];
    for (let i = 0; i < RECORDS; i++) {
      const key = `k${i % KEYS}`;
      const value: Reading = { t: EVENT_EPOCH + i * 10, v: i % 7, seq: i };
      records.push({ key, value });
      inputs.push({ key, value: JSON.stringify(value), partition: 0 });
    }
    await produce(input, inputs);
    const expected = expectedWindows(records).closed;

    const app = new StreamsApp(windowedTopology(appId, input, output), {
      guarantee: 'exactly-once',
      connection: { ...loadConnection(), brokers: brokers() },
      stateDir,
      commitIntervalMs: 600_000,
      maxUncommittedWrites: MAX_UNCOMMITTED,
      logger: createLogger('early-test', 'warn'),
    });
    await app.start();
    let closed = false;
    try {
      // Visible while the app runs: committed by early commits, the interval being 10 minutes. At
      // most MAX_UNCOMMITTED writes (one window per record) plus one staleness-check stride of
      // records (200) wait for the final commit at close.
      const visible = expected.size - MAX_UNCOMMITTED - 200;
      const early = await consumeUntil(output, (all) => all.length >= visible, 60_000);
      expect(early.length).toBeGreaterThanOrEqual(visible);
      const commits = await app.metrics.registry.getSingleMetric('foreshadow_streams_commits_total')?.get();
      const ok = commits?.values.find((v) => v.labels.result === 'ok')?.value ?? 0;
      expect(ok).toBeGreaterThanOrEqual(Math.floor(RECORDS / (MAX_UNCOMMITTED + 200)) / 2);
      await app.close();
      closed = true;
      const out = await consumeSettled(output, expected.size);
      const { windows: got, duplicates } = await readWindows(
        output,
        out.map((m) => m.message),
      );
      expect(duplicates).toEqual([]);
      expect(got).toEqual(expected);
    } finally {
      if (!closed) await app.close();
    }
  });
});

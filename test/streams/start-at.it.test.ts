/**
 * StreamsAppOptions.startAt 'latest' on the real broker: a new application starts at the end
 * offsets read when it starts (what came before is never processed); the start is committed with
 * the first commit, so a restart before any record arrived still processes what came meanwhile;
 * records produced right after start() are processed. It replaced the demo's admin.setOffsets, which cost ~5 s per
 * source topic (bench/results/startup.json `explain`).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConnection } from '../../streams/runtime/config.js';
import { createLogger } from '../../streams/runtime/logger.js';
import { stringSerde } from '../../streams/runtime/serdes.js';
import { StreamsApp } from '../../streams/runtime/streams-app.js';
import { StreamsBuilder } from '../../streams/runtime/streams-builder.js';
import { brokers, consumeSettled, createTopics, uniqueName } from '../support/kafka.js';
import { cleanupApp, produce } from './fixtures/streams-helpers.js';

describe('startAt latest', () => {
  const appId = uniqueName('start-at').replaceAll('.', '-');
  const input = uniqueName('start-at-in');
  const output = uniqueName('start-at-out');
  let stateDir = '';

  afterAll(async () => {
    await cleanupApp(appId, [input, output]);
    if (stateDir) await rm(stateDir, { recursive: true, force: true });
  });

  const app = () => {
    const b = new StreamsBuilder(appId);
    b.stream(input, { keySerde: stringSerde, valueSerde: stringSerde })
      .mapValues((v) => `seen:${v}`)
      .to(output, { keySerde: stringSerde, valueSerde: stringSerde });
    return new StreamsApp(b.build(), {
      guarantee: 'exactly-once',
      connection: { ...loadConnection(), brokers: brokers() },
      stateDir,
      startAt: 'latest',
      logger: createLogger('start-at-test', 'warn'),
    });
  };
  const batch = (from: number, n: number) =>
    Array.from({ length: n }, (_, i) => ({
      key: `k${(from + i) % 7}`,
      value: `r${from + i}`,
      partition: (from + i) % 3,
    }));

  it('skips what came before the start, processes what comes after, and keeps its start across a restart', async () => {
    await createTopics([
      { topic: input, numPartitions: 3 },
      { topic: output, numPartitions: 3 },
    ]);
    stateDir = await mkdtemp(join(tmpdir(), 'foreshadow-start-at-'));
    await produce(input, batch(0, 30)); // history: never processed

    const first = app();
    await first.start();
    const deadline = Date.now() + 30_000;
    while (!first.isReady() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(first.isReady()).toBe(true);
    await first.close(); // no record arrived: only the start offsets are committed

    await produce(input, batch(30, 30)); // while stopped: processed by the restart
    const second = app();
    await second.start();
    await produce(input, batch(60, 30)); // right after start(): processed
    const out = await consumeSettled(output, 60, { graceMs: 3_000, timeoutMs: 60_000 });
    await second.close();
    const values = out.map((m) => m.message.value?.toString()).sort();
    const expected = [...batch(30, 60)].map((r) => `seen:${r.value}`).sort();
    expect(values).toEqual(expected);
  });
});

/**
 * An app whose consumer stops for good must not sit idle in a live process. The worker's state
 * directory lies under a regular file, so opening a task fails with ENOTDIR on the first batch: a
 * non-retriable error, after which kafkajs leaves the consumer disconnected. The runtime must then
 * close the app without committing and, as the owner of its process (handleSignals), exit with
 * code 1 so that a supervisor restarts it; nothing of the input may be committed.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { brokers, createTopics, registryUrl, uniqueName, withAdmin } from '../support/kafka.js';
import { cleanupApp, produce, startWorker } from './fixtures/streams-helpers.js';

describe('an app that cannot recover', () => {
  const appId = uniqueName('fatal-app').replaceAll('.', '-');
  const input = uniqueName('fatal-in');
  const output = uniqueName('fatal-out');
  let dir = '';

  afterAll(async () => {
    await cleanupApp(appId, [input, output]);
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('stops, commits nothing and exits non-zero instead of idling', async () => {
    await createTopics([
      { topic: input, numPartitions: 1 },
      { topic: output, numPartitions: 1 },
    ]);
    await produce(
      input,
      Array.from({ length: 20 }, (_, i) => ({
        key: `k${i % 3}`,
        value: JSON.stringify({ t: 1_000 + i * 100, v: i, seq: i }),
        partition: 0,
      })),
    );
    dir = await mkdtemp(join(tmpdir(), 'foreshadow-fatal-'));
    const notADirectory = join(dir, 'state-is-a-file');
    await writeFile(notADirectory, 'not a directory');

    const w = startWorker('windowed-worker.ts', {
      APP_ID: appId,
      INPUT_TOPIC: input,
      OUTPUT_TOPIC: output,
      STATE_DIR: join(notADirectory, 'state'),
      GUARANTEE: 'exactly-once',
      KAFKA_BROKERS: brokers().join(','),
      SCHEMA_REGISTRY_URL: registryUrl(),
    });
    const timeout = setTimeout(() => w.child.kill('SIGKILL'), 60_000);
    const code = await w.exited;
    clearTimeout(timeout);

    const seen = w.logs.map((l) => `${String(l.msg)}${l.error ? ` (${JSON.stringify(l.error)})` : ''}`);
    expect(code, `the worker exits by itself, non-zero; it logged: ${seen.join(' | ')}`).toBe(1);
    const stop = w.logs.find((l) => l.msg === 'stopping the app: it cannot recover from this error');
    expect(stop, 'the reason is logged').toBeDefined();
    expect(JSON.stringify(stop)).toMatch(/ENOTDIR|not a directory/i);
    expect(w.logs.some((l) => l.msg === 'closed')).toBe(true);
    const committed = await withAdmin((admin) => admin.fetchOffsets({ groupId: appId, topics: [input] }));
    expect(committed[0]?.partitions[0]?.offset).toBe('-1');
  });
});

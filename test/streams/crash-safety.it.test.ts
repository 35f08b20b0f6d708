/**
 * Acceptance (2): crash safety under exactly-once. An EOS worker (child process) is SIGKILLed at
 * random moments six times while input keeps arriving, and the first and every 7th (in the last
 * run every 3rd) of each worker's commits fail on purpose (abort + rewind). Afterwards the read_committed output holds exactly one result per expected
 * key/window, equal to brute force, and the store restored from checkpoint + changelog equals the
 * recomputation.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { brokers, consumeSettled, consumeUntil, createTopics, registryUrl, uniqueName } from '../support/kafka.js';
import { readWindowAggs } from './fixtures/state-reader.js';
import { cleanupApp, type KeyedInput, produce, sleep, startWorker } from './fixtures/streams-helpers.js';
import {
  EVENT_EPOCH,
  expectedOutputAndStore,
  type Reading,
  readWindows,
  shuffledReading,
  WINDOW_STORE,
} from './fixtures/topologies.js';

const PARTITIONS = 3;
// CI's short form (stack/test.sh) kills 4 workers; test/reliability/eos-kills.it.test.ts kills more,
// at random moments while input streams in.
const CHUNKS = process.env.FORESHADOW_CI_SHORT === '1' ? 4 : 6;
const PER_CHUNK = 6_000;
const KEYS = 24;

describe('exactly-once crash safety', () => {
  const appId = uniqueName('crash-app').replaceAll('.', '-');
  const input = uniqueName('crash-in');
  const output = uniqueName('crash-out');
  let stateDir = '';

  afterAll(async () => {
    await cleanupApp(appId, [input, output]);
    if (stateDir) await rm(stateDir, { recursive: true, force: true });
  });

  it('survives repeated SIGKILLs and failed commits with exact read_committed output and state', async () => {
    await createTopics([
      { topic: input, numPartitions: PARTITIONS },
      { topic: output, numPartitions: PARTITIONS },
    ]);
    stateDir = await mkdtemp(join(tmpdir(), 'foreshadow-crash-'));
    const env = {
      APP_ID: appId,
      INPUT_TOPIC: input,
      OUTPUT_TOPIC: output,
      STATE_DIR: stateDir,
      GUARANTEE: 'exactly-once',
      FAIL_COMMIT_EVERY: '7',
      COMMIT_INTERVAL_MS: '100',
      KAFKA_BROKERS: brokers().join(','),
      SCHEMA_REGISTRY_URL: registryUrl(),
    };
    const perPartition: { key: string; value: Reading }[][] = Array.from({ length: PARTITIONS }, () => []);
    let seq = 0;
    const chunk = (): KeyedInput[] => {
      const out: KeyedInput[] = [];
      for (let i = 0; i < PER_CHUNK; i++, seq++) {
        const k = seq % KEYS;
        const key = `k${k}`;
        const partition = k % PARTITIONS;
        const value = shuffledReading(seq, EVENT_EPOCH + 5_000_000 + seq * 3);
        perPartition[partition]!.push({ key, value });
        out.push({ key, value: JSON.stringify(value), partition });
      }
      return out;
    };

    let kills = 0;
    let abortedCommits = 0;
    let killedWhileWorking = 0;
    for (let round = 0; round < CHUNKS; round++) {
      await produce(input, chunk());
      const w = startWorker('windowed-worker.ts', env);
      // Kill at a random moment once the worker has restored a task and is processing the new
      // chunk: mid-batch, mid-commit, or while other tasks still restore.
      await w.waitForLog((l) => l.msg === 'task open', 60_000);
      await sleep(Math.floor(Math.random() * 1_500));
      w.child.kill('SIGKILL');
      await w.exited;
      kills++;
      abortedCommits += w.logs.filter((l) => l.msg === 'commit failed; rewinding task').length;
      if (w.logs.some((l) => l.msg === 'task open')) killedWhileWorking++;
    }
    expect(kills).toBe(CHUNKS);
    expect(killedWhileWorking).toBe(kills);
    console.log(`crash: ${kills} kills (${killedWhileWorking} with open tasks)`);
    // Fresh input for the final run, so it certainly commits (and so certainly aborts its first
    // commit) even when the last killed worker had drained and committed everything.
    await produce(input, chunk());

    const { expectedCount, expected, expectedStore } = expectedOutputAndStore(perPartition);

    // A final, uninterrupted run completes the work, then stops cleanly.
    // It still fails every third commit on purpose: every abort must rewind without a trace.
    const last = startWorker('windowed-worker.ts', { ...env, FAIL_COMMIT_EVERY: '3' });
    const out = await consumeUntil(output, (all) => all.length >= expectedCount, 150_000);
    // Give any duplicate a chance to show up before judging.
    await sleep(2_000);
    const settled = await consumeSettled(output, expectedCount, { graceMs: 3_000 });
    last.child.kill('SIGTERM');
    expect(await last.exited).toBe(0);

    expect(settled.length).toBe(expectedCount);
    const { windows: got, duplicates } = await readWindows(
      output,
      out.map((m) => m.message),
    );
    expect(duplicates).toEqual([]);
    expect(got).toEqual(expected);
    abortedCommits += last.logs.filter((l) => l.msg === 'commit failed; rewinding task').length;
    console.log(`crash: ${abortedCommits} aborted commits in all runs`);
    expect(abortedCommits).toBeGreaterThan(0);
    const restoredRuns = last.logs.filter((l) => l.msg === 'restore complete');
    expect(restoredRuns.length).toBeGreaterThan(0);
    expect(await readWindowAggs(stateDir, appId, WINDOW_STORE)).toEqual(expectedStore);
  });
});

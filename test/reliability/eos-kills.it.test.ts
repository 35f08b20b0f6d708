/**
 * Processor crashes under exactly-once, building on test/streams/crash-safety.it.test.ts (same
 * windowed topology and brute force) but with input arriving *while* the workers are SIGKILLed at
 * random moments: a producer streams the records in the background, workers are started and killed
 * one after another, then a last worker finishes. The read_committed output must hold every
 * expected window exactly once, equal to recomputation, and the store must equal it too.
 *
 * The last chunk of input is held back until the kills are over, so the final worker certainly
 * has work to commit; it fails its first and every third commit on purpose (abort + rewind), as
 * the final run of test/streams/crash-safety.it.test.ts does.
 *
 * Sizes: by hand KILLS_RECORDS=20000, KILLS=6 (defaults); CI (FORESHADOW_CI_SHORT=1, stack/test.sh)
 * 8000 records and 4 kills to stay within its time budget; long form (`npm run reliability:long`)
 * KILLS_RECORDS=1000000, KILLS=12. Figures in RELIABILITY.md.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readWindowAggs } from '../streams/fixtures/state-reader.js';
import { cleanupApp, type KeyedInput, produce, sleep, startWorker } from '../streams/fixtures/streams-helpers.js';
import {
  expectedOutputAndStore,
  type Reading,
  readWindows,
  shuffledReading,
  WINDOW_STORE,
} from '../streams/fixtures/topologies.js';
import {
  brokers,
  type ConsumedMessage,
  consumeSettled,
  consumeUntil,
  createTopics,
  registryUrl,
  uniqueName,
  withAdmin,
} from '../support/kafka.js';
import { recordFigure } from './support/figures.js';

const CI_SHORT = process.env.FORESHADOW_CI_SHORT === '1';
const RECORDS = Number(process.env.KILLS_RECORDS ?? (CI_SHORT ? '8000' : '20000'));
const KILLS = Number(process.env.KILLS ?? (CI_SHORT ? '4' : '6'));
const PARTITIONS = 3;
const KEYS = 48;

// The long forms run far past the integration project's default timeout.
const TEST_TIMEOUT_MS = Number(process.env.RELIABILITY_TIMEOUT_MS ?? '420000');

describe('SIGKILLed exactly-once processors while input streams in', () => {
  const appId = uniqueName('kills-app').replaceAll('.', '-');
  const input = uniqueName('kills-in');
  const output = uniqueName('kills-out');
  let stateDir = '';

  afterAll(async () => {
    await cleanupApp(appId, [input, output]);
    if (stateDir) await rm(stateDir, { recursive: true, force: true });
  });

  it(
    `survives ${KILLS} SIGKILLs over ${RECORDS} records with no duplicate, no loss, state = recomputation`,
    async () => {
      const t0 = Date.now();
      await createTopics([
        { topic: input, numPartitions: PARTITIONS },
        { topic: output, numPartitions: PARTITIONS },
      ]);
      stateDir = await mkdtemp(join(tmpdir(), 'foreshadow-kills-'));
      const env = {
        APP_ID: appId,
        INPUT_TOPIC: input,
        OUTPUT_TOPIC: output,
        STATE_DIR: stateDir,
        GUARANTEE: 'exactly-once',
        COMMIT_INTERVAL_MS: '100',
        KAFKA_BROKERS: brokers().join(','),
        SCHEMA_REGISTRY_URL: registryUrl(),
        LOG_LEVEL: 'info',
      };
      const perPartition: { key: string; value: Reading }[][] = Array.from({ length: PARTITIONS }, () => []);
      let seq = 0;
      // Event times end an hour before now (the runtime refuses more than 1 h ahead of the clock).
      // Not near the epoch: outputs carry their window's event time as Kafka timestamp, and the
      // broker's time-based retention deleted the first output segment (records "from 1970", 72 h
      // retention, checked every 5 min) while the test waited for exactly those windows.
      const eventTimeBase = Math.floor((Date.now() - 3_600_000 - RECORDS) / 1_000) * 1_000;
      const chunk = (n: number): KeyedInput[] => {
        const out: KeyedInput[] = [];
        for (let i = 0; i < n; i++, seq++) {
          const k = seq % KEYS;
          const partition = k % PARTITIONS;
          const value = shuffledReading(seq, eventTimeBase + seq);
          perPartition[partition]!.push({ key: `k${k}`, value });
          out.push({ key: `k${k}`, value: JSON.stringify(value), partition });
        }
        return out;
      };

      // Input streams in the background for the whole kill phase.
      // Paced so that most kills land while records are still arriving. The last chunk is held
      // back for the final worker (below).
      const chunkSize = Math.max(1_000, Math.ceil(RECORDS / (KILLS * 3)));
      const finalChunk = Math.min(chunkSize, Math.floor(RECORDS / 2));
      let produced = 0;
      const producing = (async () => {
        while (produced < RECORDS - finalChunk) {
          const n = Math.min(chunkSize, RECORDS - finalChunk - produced);
          await produce(input, chunk(n));
          produced += n;
          await sleep(1_500 + Math.floor(Math.random() * 1_000));
        }
      })();

      let kills = 0;
      let withOpenTasks = 0;
      let abortedCommits = 0;
      let killsWhileProducing = 0;
      const notKilled: (number | null)[] = [];
      while (kills < KILLS) {
        const w = startWorker('windowed-worker.ts', { ...env, FAIL_COMMIT_EVERY: kills % 2 === 0 ? '0' : '9' });
        await w.waitForLog((l) => l.msg === 'task open', 90_000);
        // A random moment: mid-batch, mid-commit, mid-restore of another task.
        await sleep(Math.floor(Math.random() * 2_500));
        w.child.kill('SIGKILL');
        const code = await w.exited;
        // A worker that exited by itself (e.g. a fatal error) before the kill is a failure.
        if (w.child.signalCode !== 'SIGKILL') notKilled.push(code);
        kills++;
        if (w.logs.some((l) => l.msg === 'task open')) withOpenTasks++;
        if (produced < RECORDS - finalChunk) killsWhileProducing++;
        abortedCommits += w.logs.filter((l) => l.msg === 'commit failed; rewinding task').length;
      }
      await producing;
      const killPhaseSeconds = Math.round((Date.now() - t0) / 1000);
      // Fresh input for the final run, so it certainly commits (and so certainly aborts its first
      // commit), even when the last killed worker had drained and committed everything.
      await produce(input, chunk(finalChunk));
      produced += finalChunk;

      const { expectedCount, expected, expectedStore } = expectedOutputAndStore(perPartition);

      // A final, uninterrupted run completes the work, then stops cleanly. It fails its first and
      // every third commit on purpose: every abort must rewind without a trace.
      const tFinal = Date.now();
      const last = startWorker('windowed-worker.ts', { ...env, FAIL_COMMIT_EVERY: '3' });
      // The last worker may have a long backlog in the long form (≈2 ms per record on a busy box).
      const timeout = Math.max(180_000, RECORDS * 2);
      // Wait for the complete output, but give up at once if the last worker dies meanwhile; either
      // way, say what the last worker complained about (warnings and errors).
      const trouble = (): string => JSON.stringify(last.logs.filter((l) => Number(l.level) >= 40).slice(-10));
      const lastDied = last.exited.then((code) => {
        throw new Error(
          `the last worker exited (${code ?? last.child.signalCode}) before the output was complete: ${trouble()}`,
        );
      });
      lastDied.catch(() => undefined);
      const complete = await Promise.race([
        consumeUntil(output, (all) => all.length >= expectedCount, timeout),
        lastDied,
      ]);
      if (complete.length < expectedCount) {
        console.error(`kills: output incomplete (${complete.length}/${expectedCount}); last worker: ${trouble()}`);
      }
      // Stop the last worker cleanly, then judge the final committed view: nothing can be added
      // after this read. consumeSettled reads until the expected count (a slow group join cannot
      // make it read short) and then on for a grace period, so duplicates show up.
      last.child.kill('SIGTERM');
      const lastExit = await last.exited;
      const settled: ConsumedMessage[] = await consumeSettled(output, expectedCount, {
        graceMs: 2_000,
        timeoutMs: 60_000,
      });
      const finalSeconds = Math.round((Date.now() - tFinal) / 1000);
      // Nothing of the output may have been deleted by the broker (e.g. by time-based retention):
      // the judgement below needs all of it.
      const outputStart = await withAdmin(async (admin) =>
        (await admin.fetchTopicOffsets(output)).map((o) => o.low).filter((low) => low !== '0'),
      );
      abortedCommits += last.logs.filter((l) => l.msg === 'commit failed; rewinding task').length;
      const lastRunAborts = last.logs.filter((l) => l.msg === 'commit failed; rewinding task').length;
      const lastRunRestores = last.logs.filter((l) => l.msg === 'restore complete').length;

      const read = await readWindows(
        output,
        settled.map((m) => m.message),
      );
      const got = read.windows;
      const duplicates = read.duplicates.length;
      let missing = 0;
      let wrong = 0;
      for (const [id, v] of expected) {
        const g = got.get(id);
        if (!g) missing++;
        else if (g.sum !== v.sum || g.count !== v.count) wrong++;
      }
      const store = await readWindowAggs(stateDir, appId, WINDOW_STORE);
      const storeMatches = JSON.stringify([...store].sort()) === JSON.stringify([...expectedStore].sort());
      const figures = {
        records: RECORDS,
        kills,
        withOpenTasks,
        killsWhileProducing,
        abortedCommits,
        lastRunAborts,
        windowsExpected: expectedCount,
        windowsRead: settled.length,
        duplicates,
        missing,
        wrong,
        storeMatches,
        killPhaseSeconds,
        finalSeconds,
        seconds: Math.round((Date.now() - t0) / 1000),
      };
      console.log(`kills: ${JSON.stringify(figures)}`);
      recordFigure('eos-kills', figures);

      expect(kills).toBe(KILLS);
      expect(notKilled).toEqual([]);
      expect(withOpenTasks).toBe(KILLS);
      expect(produced).toBe(RECORDS);
      expect(outputStart, 'output log start offsets above 0: records deleted by the broker').toEqual([]);
      expect(duplicates).toBe(0);
      expect(missing).toBe(0);
      expect(wrong).toBe(0);
      expect(settled.length).toBe(expectedCount);
      expect(store).toEqual(expectedStore);
      expect(lastExit).toBe(0);
      expect(lastRunAborts).toBeGreaterThan(0);
      expect(lastRunRestores).toBeGreaterThan(0);
    },
    TEST_TIMEOUT_MS,
  );
});

/**
 * Broker restart mid-run: an exactly-once processor (the windowed test topology) runs against a
 * broker of our own (never the shared one); the broker is SIGKILLed while input is flowing, stays
 * down for a while, and comes back on the same data. The processor must ride it out without
 * exiting and the read_committed output must be exact: nothing lost, nothing twice.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { sleep, startWorker } from '../streams/fixtures/streams-helpers.js';
import {
  EVENT_EPOCH,
  expectedWindows,
  type Reading,
  readWindows,
  type WindowAgg,
} from '../streams/fixtures/topologies.js';
import { recordFigure } from './support/figures.js';
import { OwnBroker } from './support/own-stack.js';

const PARTITIONS = 3;
const KEYS = 24;
const PER_PHASE = Number(process.env.RESTART_RECORDS_PER_PHASE ?? '3000');
const DOWN_MS = Number(process.env.RESTART_DOWN_MS ?? '5000');

// The long forms run far past the integration project's default timeout.
const TEST_TIMEOUT_MS = Number(process.env.RELIABILITY_TIMEOUT_MS ?? '420000');

describe('broker restart mid-run', () => {
  const broker = new OwnBroker(Number(process.env.RESTART_KAFKA_PORT ?? '19392'));
  let stateDir = '';

  afterAll(async () => {
    broker.destroy();
    if (stateDir) await rm(stateDir, { recursive: true, force: true });
  });

  it(
    'processor reconnects after the broker is killed and restarted, with exact output',
    async () => {
      broker.up();
      const input = 'restart.in';
      const output = 'restart.out';
      await broker.createTopics([
        { topic: input, numPartitions: PARTITIONS },
        { topic: output, numPartitions: PARTITIONS },
      ]);
      stateDir = await mkdtemp(join(tmpdir(), 'foreshadow-restart-'));
      const perPartition: { key: string; value: Reading }[][] = Array.from({ length: PARTITIONS }, () => []);
      let seq = 0;
      const phase = () => {
        const out: { key: string; value: string; partition: number }[] = [];
        for (let i = 0; i < PER_PHASE; i++, seq++) {
          const k = seq % KEYS;
          const value: Reading = { t: EVENT_EPOCH + 5_000_000 + seq * 2, v: (seq * 13) % 97, seq };
          perPartition[k % PARTITIONS]!.push({ key: `k${k}`, value });
          out.push({ key: `k${k}`, value: JSON.stringify(value), partition: k % PARTITIONS });
        }
        return out;
      };

      const w = startWorker('windowed-worker.ts', {
        APP_ID: 'restart-app',
        INPUT_TOPIC: input,
        OUTPUT_TOPIC: output,
        STATE_DIR: stateDir,
        GUARANTEE: 'exactly-once',
        COMMIT_INTERVAL_MS: '200',
        KAFKA_BROKERS: broker.address,
      });
      await w.waitForLog((l) => l.msg === 'task open', 90_000);
      await broker.produce(input, phase());
      // Kill the broker while the processor is busy with the first phase.
      await broker.consumeUntil(output, (n) => n > 0, 60_000);
      const killedAt = Date.now();
      broker.crash();
      await sleep(DOWN_MS);
      broker.up();
      const downMs = Date.now() - killedAt;
      await broker.produce(input, phase());
      await broker.produce(input, phase());

      let expectedCount = 0;
      const expected = new Map<string, WindowAgg>();
      for (const recs of perPartition) {
        const e = expectedWindows(recs);
        expectedCount += e.closed.size;
        for (const [k, v] of e.closed) expected.set(k, v);
      }
      await broker.consumeUntil(output, (n) => n >= expectedCount, 240_000);
      await sleep(2_000);
      const msgs = await broker.consumeUntil(output, (n) => n > expectedCount, 5_000);
      const aliveBeforeStop = w.child.exitCode === null;
      w.child.kill('SIGTERM');
      const exit = await w.exited;

      const read = await readWindows(output, msgs);
      const got = read.windows;
      const duplicates = read.duplicates.length;
      const missing = [...expected.keys()].filter((k) => !got.has(k)).length;
      const reconnectErrors = w.logs.filter((l) => l.level === 50).length;
      const figures = {
        records: seq,
        downMs,
        windowsExpected: expectedCount,
        windowsRead: msgs.length,
        duplicates,
        missing,
        aliveBeforeStop,
        runtimeErrorsLogged: reconnectErrors,
      };
      console.log(`broker restart: ${JSON.stringify(figures)}`);
      recordFigure('broker-restart', figures);

      expect(aliveBeforeStop).toBe(true);
      expect(duplicates).toBe(0);
      expect(missing).toBe(0);
      expect(got).toEqual(expected);
      expect(exit).toBe(0);
    },
    TEST_TIMEOUT_MS,
  );
});

/**
 * Split brain: two instances of a promoting orchestrator (fixtures/promotion-worker.ts: the next
 * epoch per resource from a changelogged store, exactly-once) share one group on a broker of our
 * own. In every trial one instance is SIGSTOPped at a random moment for a random time (sometimes
 * past the session timeout, so the other takes its partitions over and it comes back a zombie),
 * and in every third trial the broker itself is frozen (SIGSTOP) for 1–3 s while failures keep arriving.
 *
 * Invariants, over all trials:
 *  - never two promotions of one resource in one epoch (read_committed), epochs 1..n without gaps;
 *  - never two instances accepting writes: two live writers would both compute the same next
 *    epoch (a double promotion); a resumed zombie is fenced and its writes stay aborted;
 *  - every stale-epoch command is refused: the whole uncommitted stream (zombie writes included)
 *    replayed through the actuators' real ledger (sinks/framework/ledger.ts) never applies an
 *    epoch below the last applied one, and each refusal is counted.
 * Short form: SPLIT_TRIALS=10 (CI); long form: SPLIT_TRIALS=50.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KafkaMessage } from 'kafkajs';
import { afterAll, describe, expect, it } from 'vitest';
import { decide, type LedgerEntry, record } from '../../sinks/framework/ledger.js';
import { cleanupApp, sleep, startWorker, type Worker } from '../streams/fixtures/streams-helpers.js';
import { brokers, uniqueName } from '../support/kafka.js';
import type { Promotion } from './fixtures/promotion-worker.js';
import { recordFigure } from './support/figures.js';
import { OwnBroker } from './support/own-stack.js';

const TRIALS = Number(process.env.SPLIT_TRIALS ?? '10');
const RESOURCES = 12;
const PARTITIONS = 4;
// The broker refuses session timeouts under group.min.session.timeout.ms (6 s by default).
const SESSION_MS = 6_000;

// The long forms run far past the integration project's default timeout.
const TEST_TIMEOUT_MS = Number(process.env.RELIABILITY_TIMEOUT_MS ?? '420000');

describe('split brain between two orchestrator instances', () => {
  // SPLIT_ON_SHARED=1: run on the shared broker (no broker freezes) when a second JVM cannot start.
  const onShared = process.env.SPLIT_ON_SHARED === '1';
  const broker = onShared
    ? OwnBroker.shared(brokers()[0]!)
    : new OwnBroker(Number(process.env.SPLIT_KAFKA_PORT ?? '19492'));
  const input = onShared ? uniqueName('split-failures') : 'split.failures';
  const output = onShared ? uniqueName('split-promotions') : 'split.promotions';
  const appId = `split-${randomUUID().slice(0, 6)}`;
  const workers: Worker[] = [];
  let stateDir = '';

  afterAll(async () => {
    for (const w of workers) {
      w.child.kill('SIGCONT');
      w.child.kill('SIGKILL');
    }
    if (onShared) await cleanupApp(appId, [input, output]);
    // Removes the instance folder (and stops our broker unless it is the shared one).
    broker.destroy();
    if (stateDir) await rm(stateDir, { recursive: true, force: true });
  });

  it(
    `holds single-writer-per-epoch over ${TRIALS} randomised pause/resume trials`,
    async () => {
      const t0 = Date.now();
      broker.up();

      await broker.createTopics([
        { topic: input, numPartitions: PARTITIONS },
        { topic: output, numPartitions: PARTITIONS },
      ]);
      stateDir = await mkdtemp(join(tmpdir(), 'foreshadow-split-'));
      const start = (instance: string) => {
        const w = startWorker('../../reliability/fixtures/promotion-worker.ts', {
          APP_ID: appId,
          INPUT_TOPIC: input,
          OUTPUT_TOPIC: output,
          STATE_DIR: join(stateDir, instance),
          INSTANCE: instance,
          SESSION_TIMEOUT_MS: String(SESSION_MS),
          KAFKA_BROKERS: broker.address,
        });
        workers.push(w);
        return w;
      };
      const a = start('A');
      const b = start('B');
      try {
        await a.waitForLog((l) => l.msg === 'assignment', 240_000);
        await b.waitForLog((l) => l.msg === 'assignment', 240_000);
      } catch (err: unknown) {
        for (const w of [a, b]) console.error(JSON.stringify(w.logs.slice(-5)));
        throw err;
      }

      // Failures arrive continuously; every event must end as exactly one promotion.
      let sent = 0;
      let stopFeeding = false;
      const feeding = (async () => {
        while (!stopFeeding) {
          const messages = Array.from({ length: RESOURCES }, (_, i) => ({
            key: `res-${i}`,
            value: JSON.stringify({ n: sent + i }),
            partition: i % PARTITIONS,
          }));
          try {
            await broker.produce(input, messages);
            sent += messages.length;
          } catch {
            // The broker is down for a moment in some trials: try the batch again.
          }
          await sleep(100 + Math.floor(Math.random() * 200));
        }
      })();

      let pausesPastSession = 0;
      let brokerBlips = 0;
      for (let trial = 0; trial < TRIALS; trial++) {
        await sleep(Math.floor(Math.random() * 1_500));
        const victim = Math.random() < 0.5 ? a : b;
        const pauseMs =
          Math.random() < 0.5
            ? SESSION_MS + 1_000 + Math.floor(Math.random() * 3_000)
            : Math.floor(Math.random() * 2_000);
        if (pauseMs > SESSION_MS) pausesPastSession++;
        victim.child.kill('SIGSTOP');
        if (!onShared && trial % 3 === 2) {
          // The broker briefly unreachable while one instance is frozen.
          broker.freeze(1_000 + Math.floor(Math.random() * 2_000));
          brokerBlips++;
        }
        await sleep(pauseMs);
        victim.child.kill('SIGCONT');
      }
      stopFeeding = true;
      await feeding;

      // Let both settle, then read what the world saw.
      const committed = await broker.consumeUntil(output, (n) => n >= sent, 180_000);
      await sleep(2_000);
      const finalCommitted = await broker.consumeUntil(output, (n) => n > sent, 5_000);
      const uncommitted = await readUncommitted(broker, output);
      const alive = workers.filter((w) => w.child.exitCode === null).length;
      for (const w of workers) w.child.kill('SIGTERM');
      await Promise.all(workers.map((w) => w.exited));

      // 1. One promotion per (resource, epoch), epochs 1..n.
      const byResource = new Map<string, Promotion[]>();
      for (const m of finalCommitted) {
        const p = JSON.parse(m.value!.toString()) as Promotion;
        byResource.set(p.resourceId, [...(byResource.get(p.resourceId) ?? []), p]);
      }
      let doublePromotions = 0;
      let gaps = 0;
      for (const ps of byResource.values()) {
        const epochs = ps.map((p) => p.epoch).sort((x, y) => x - y);
        for (let i = 0; i < epochs.length; i++) {
          if (i > 0 && epochs[i] === epochs[i - 1]) doublePromotions++;
          else if (epochs[i] !== (i > 0 ? epochs[i - 1]! + 1 : 1)) gaps++;
        }
      }
      // 2. Never two writers: a frozen instance that lost its partitions comes back fenced; every
      // write it (or any aborted attempt) made is visible only read_uncommitted, never committed.
      const abortedWrites = uncommitted.length - finalCommitted.length;
      const fencedLogs = workers.reduce((n, w) => n + w.logs.filter((l) => /fenc/i.test(JSON.stringify(l))).length, 0);
      // 3. The actuators' ledger over everything written, zombies' aborted attempts included.
      const ledger = new Map<string, LedgerEntry>();
      let applied = 0;
      let staleRefused = 0;
      let duplicatesRefused = 0;
      let staleApplied = 0;
      for (const m of uncommitted) {
        const p = JSON.parse(m.value!.toString()) as Promotion;
        const id = `promote:${p.resourceId}:e${p.epoch}`;
        const entry = ledger.get(p.resourceId);
        const d = decide(entry, id, p.epoch);
        if (d.kind === 'stale') staleRefused++;
        else if (d.kind === 'duplicate') duplicatesRefused++;
        else {
          if (entry && p.epoch < entry.lastEpoch) staleApplied++;
          applied++;
          ledger.set(
            p.resourceId,
            record(entry, { id, epoch: p.epoch, status: 'SUCCEEDED', address: '', detail: '', at: 0 }),
          );
        }
      }
      const figures = {
        trials: TRIALS,
        pausesPastSession,
        brokerBlips,
        failuresSent: sent,
        promotionsCommitted: finalCommitted.length,
        writesIncludingAborted: uncommitted.length,
        doublePromotions,
        gaps,
        abortedWrites,
        fencedLogs,
        ledgerApplied: applied,
        ledgerStaleRefused: staleRefused,
        ledgerDuplicatesRefused: duplicatesRefused,
        staleApplied,
        instancesAliveAtEnd: alive,
        seconds: Math.round((Date.now() - t0) / 1000),
      };
      console.log(`split brain: ${JSON.stringify(figures)}`);
      recordFigure('split-brain', figures);

      expect(committed.length).toBeGreaterThanOrEqual(sent);
      expect(finalCommitted.length).toBe(sent);
      expect(doublePromotions).toBe(0);
      expect(gaps).toBe(0);
      expect(staleApplied).toBe(0);
      expect(applied).toBe(sent);
      expect(alive).toBe(2);
    },
    TEST_TIMEOUT_MS,
  );
});

/** Every record on `topic` including aborted transactions (what a zombie tried to write). */
async function readUncommitted(broker: OwnBroker, topic: string): Promise<KafkaMessage[]> {
  const c = broker.kafka('split-uncommitted').consumer({ groupId: `u-${randomUUID()}`, readUncommitted: true });
  const all: KafkaMessage[] = [];
  await c.connect();
  await c.subscribe({ topic, fromBeginning: true });
  let last = Date.now();
  await c.run({
    eachMessage: async ({ message }) => {
      all.push(message);
      last = Date.now();
    },
  });
  const begun = Date.now();
  while (Date.now() - last < 4_000 || Date.now() - begun < 6_000) await sleep(250);
  await c.disconnect();
  // Offsets within a partition are the write order; partitions hold disjoint resources.
  return all;
}

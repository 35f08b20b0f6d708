/**
 * Split brain: two instances of a promoting orchestrator (fixtures/promotion-worker.ts: the next
 * epoch per resource from a changelogged store, exactly-once) share one group on a broker of our
 * own. In every trial one instance is SIGSTOPped at a random moment for a random time (sometimes
 * past the session timeout, so the other takes its partitions over and it comes back a zombie),
 * and in every third trial the broker itself is frozen (SIGSTOP) for 1–3 s while failures keep arriving.
 *
 * Invariants, over all trials:
 *  - never two promotions of one resource in one epoch (read_committed, as librdkafka reads it:
 *    kafkajs 2.2.4 hands out aborted records in one situation, counted as kafkajsLeaks), no failure
 *    event promoted twice, epochs 1..n without gaps;
 *  - never two instances accepting writes: two live writers would both compute the same next
 *    epoch (a double promotion); a resumed zombie is fenced and its writes stay aborted;
 *  - every stale-epoch command is refused: the whole uncommitted stream (zombie writes included),
 *    plus one deliberately stale command per resource (a zombie orchestrator that missed the last
 *    promotion), goes as PROMOTE commands through a real actuator (sinks/framework: command
 *    consumer, Kafka ledger, transactions; simulated provider). Each (resource, epoch) is applied
 *    exactly once, every stale command is answered REJECTED_STALE_EPOCH and logged, nothing fails.
 * Short form: SPLIT_TRIALS=10 by default, 2 in CI (stack/test.sh); long form: SPLIT_TRIALS=50.
 *
 * History: the first runs never got past start-up because the test waited for the workers'
 * 'assignment' log line, which is info level, while the test run sets LOG_LEVEL=warn for child
 * processes too; the workers were running, silently. The worker now always logs at info. Later,
 * long runs showed "double promotions" that were zombie writes aborted in the log but returned by
 * the kafkajs reader (a fetch starting inside two overlapping aborted transactions of different
 * producers filters only one of them); the committed view now comes from kcat. On a violation the
 * records, the trial timeline and both workers' logs go to test-artifacts/reliability/.
 */
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KafkaMessage } from 'kafkajs';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { jsonCodec } from '../../sinks/framework/codec.js';
import { ActuatorConsumer } from '../../sinks/framework/consumer.js';
import { KafkaLedger } from '../../sinks/framework/ledger.js';
import type { ActuationResult, ShadowCommand } from '../../sinks/framework/types.js';
import { SimulatedProvider } from '../../sinks/simulated/simulated-provider.js';
import { freePort } from '../sinks/support.js';
import { cleanupApp, sleep, startWorker, type Worker } from '../streams/fixtures/streams-helpers.js';
import { brokers, deleteTopics, uniqueName } from '../support/kafka.js';
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
  // Ports: SPLIT_KAFKA_PORT (and the next one, for the controller), else a free pair found at
  // start, so two runs on one machine (other engineers, CI jobs) do not collide on 19492.
  let broker: OwnBroker | undefined;
  const input = onShared ? uniqueName('split-failures') : 'split.failures';
  const output = onShared ? uniqueName('split-promotions') : 'split.promotions';
  const commands = onShared ? uniqueName('split-commands') : 'split.commands';
  const results = onShared ? uniqueName('split-results') : 'split.results';
  const ledgerTopic = onShared ? uniqueName('split-ledger') : 'split.ledger';
  const appId = `split-${randomUUID().slice(0, 6)}`;
  const workers: Worker[] = [];
  let stateDir = '';

  afterAll(async () => {
    for (const w of workers) {
      w.child.kill('SIGCONT');
      w.child.kill('SIGKILL');
    }
    if (onShared) {
      await cleanupApp(appId, [input, output]);
      await deleteTopics([commands, results, ledgerTopic, `${commands}.dlq`]);
    }
    // Removes the instance folder (and stops our broker unless it is the shared one).
    broker?.destroy();
    if (stateDir) await rm(stateDir, { recursive: true, force: true });
  });

  it(
    `holds single-writer-per-epoch over ${TRIALS} randomised pause/resume trials`,
    async () => {
      const t0 = Date.now();
      const own = onShared
        ? OwnBroker.shared(brokers()[0]!)
        : new OwnBroker(process.env.SPLIT_KAFKA_PORT ? Number(process.env.SPLIT_KAFKA_PORT) : await freePortPair());
      broker = own;
      own.up();

      await own.createTopics([
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
          KAFKA_BROKERS: own.address,
        });
        workers.push(w);
        return w;
      };
      const a = start('A');
      const b = start('B');
      // A worker that dies at start-up fails the test at once instead of after the wait.
      const assigned = (w: Worker, name: string) =>
        Promise.race([
          w.waitForLog((l) => l.msg === 'assignment', 120_000),
          w.exited.then((code) => {
            throw new Error(`worker ${name} exited (${code}) before its assignment`);
          }),
        ]);
      try {
        await Promise.all([assigned(a, 'A'), assigned(b, 'B')]);
      } catch (err: unknown) {
        for (const w of [a, b]) console.error(JSON.stringify(w.logs.slice(-5)));
        throw err;
      }
      const startedMs = Date.now() - t0;

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
            await own.produce(input, messages);
            sent += messages.length;
          } catch {
            // The broker is down for a moment in some trials: try the batch again.
          }
          // About 17 failures a second: enough to keep every pause busy, few enough that the real
          // actuator (two transactions per command) replays a short run in well under a minute.
          await sleep(500 + Math.floor(Math.random() * 400));
        }
      })();

      let pausesPastSession = 0;
      let brokerBlips = 0;
      const timeline: { trial: number; victim: string; at: string; pauseMs: number; brokerFrozenMs: number }[] = [];
      for (let trial = 0; trial < TRIALS; trial++) {
        await sleep(Math.floor(Math.random() * 1_500));
        const victim = Math.random() < 0.5 ? a : b;
        const pauseMs =
          Math.random() < 0.5
            ? SESSION_MS + 1_000 + Math.floor(Math.random() * 3_000)
            : Math.floor(Math.random() * 2_000);
        if (pauseMs > SESSION_MS) pausesPastSession++;
        const at = new Date().toISOString();
        victim.child.kill('SIGSTOP');
        let brokerFrozenMs = 0;
        if (!onShared && trial % 3 === 2) {
          // The broker briefly unreachable while one instance is frozen.
          brokerFrozenMs = 1_000 + Math.floor(Math.random() * 2_000);
          own.freeze(brokerFrozenMs);
          brokerBlips++;
        }
        await sleep(pauseMs);
        victim.child.kill('SIGCONT');
        timeline.push({ trial, victim: victim === a ? 'A' : 'B', at, pauseMs, brokerFrozenMs });
      }
      stopFeeding = true;
      await feeding;

      // Let both settle, then read what the world saw.
      const committed = await own.consumeUntil(output, (n) => n >= sent, 180_000);
      await sleep(2_000);
      // The committed log as a correct read_committed client sees it (librdkafka via kcat): kafkajs
      // hands out aborted records when a fetch starts inside two overlapping aborted transactions
      // of different producers (see kafkajsLeaks), which made zombie writes look committed.
      const finalCommitted = readCommittedWithKcat(own.address, output);
      const kafkajsView = await own.consumeUntil(output, () => false, 8_000);
      const inLog = new Set(finalCommitted.map((m) => `${m.partition}:${m.offset}`));
      const kafkajsLeaks =
        kafkajsView.length - kafkajsView.filter((m) => inLog.has(`${m.partition}:${m.offset}`)).length;
      const uncommitted = await readUncommitted(own, output);
      const alive = workers.filter((w) => w.child.exitCode === null).length;
      for (const w of workers) w.child.kill('SIGTERM');
      await Promise.all(workers.map((w) => w.exited));

      // 1. One promotion per (resource, epoch), epochs 1..n.
      const byResource = new Map<string, Promotion[]>();
      for (const m of finalCommitted) {
        const p = JSON.parse(m.value) as Promotion;
        byResource.set(p.resourceId, [...(byResource.get(p.resourceId) ?? []), p]);
      }
      let doublePromotions = 0;
      let gaps = 0;
      const violating = new Set<string>();
      for (const [resource, ps] of byResource) {
        const epochs = ps.map((p) => p.epoch).sort((x, y) => x - y);
        for (let i = 0; i < epochs.length; i++) {
          if (i > 0 && epochs[i] === epochs[i - 1]) doublePromotions++;
          else if (epochs[i] !== (i > 0 ? epochs[i - 1]! + 1 : 1)) gaps++;
          else continue;
          violating.add(resource);
        }
      }
      // The same failure event promoted twice (both committed): an input processed twice.
      const seenInputs = new Set<string>();
      let inputsPromotedTwice = 0;
      for (const m of finalCommitted) {
        const p = JSON.parse(m.value) as Promotion;
        const id = `${p.resourceId}#${p.n}`;
        if (seenInputs.has(id)) {
          inputsPromotedTwice++;
          violating.add(p.resourceId);
        }
        seenInputs.add(id);
      }
      // 2. Never two writers: a frozen instance that lost its partitions comes back fenced; every
      // write it (or any aborted attempt) made is visible only read_uncommitted, never committed.
      const abortedWrites = uncommitted.length - finalCommitted.length;
      const zombieCommitsRefused = workers.reduce(
        (n, w) =>
          n +
          w.logs.filter((l) => /commit failed/.test(String(l.msg)) && /fenc|old epoch/i.test(String(l.error))).length,
        0,
      );

      // 3. A real actuator over everything written, zombies' aborted attempts included, plus one
      // stale command per resource.
      const actuation = await actuate(own, {
        commands,
        results,
        ledgerTopic,
        groupId: `${appId}-actuator`,
        uncommitted,
        lastEpochs: new Map([...byResource].map(([r, ps]) => [r, Math.max(...ps.map((p) => p.epoch))])),
      });
      const applied = actuation.results.filter((r) => r.status === 'SUCCEEDED');
      const appliedPairs = new Set(applied.map((r) => `${r.subject}@${r.epoch}`));
      const staleRefused = actuation.results.filter((r) => r.status === 'REJECTED_STALE_EPOCH');
      const duplicatesRefused = actuation.results.filter((r) => r.status === 'DUPLICATE').length;
      const failed = actuation.results.filter((r) => r.status === 'FAILED').length;
      const staleLogged = actuation.logs.filter((l) => l.msg === 'stale epoch refused').length;
      const endStateWrong = [...byResource].filter(([r, ps]) => {
        const sim = actuation.provider.resources.get(r);
        return sim?.role !== 'primary' || sim.epoch !== ps.length;
      }).length;

      const figures = {
        trials: TRIALS,
        pausesPastSession,
        brokerBlips,
        failuresSent: sent,
        promotionsCommitted: finalCommitted.length,
        writesIncludingAborted: uncommitted.length,
        doublePromotions,
        inputsPromotedTwice,
        gaps,
        abortedWrites,
        kafkajsLeaks,
        zombieCommitsRefused,
        actuatorCommands: actuation.sent,
        actuatorApplied: applied.length,
        actuatorDoubleApplied: applied.length - appliedPairs.size,
        staleInjected: actuation.staleInjected,
        staleRefused: staleRefused.length,
        staleLogged,
        duplicatesRefused,
        actuatorFailed: failed,
        endStateWrong,
        instancesAliveAtEnd: alive,
        startupSeconds: Math.round(startedMs / 1000),
        actuatorSeconds: Math.round(actuation.ms / 1000),
        seconds: Math.round((Date.now() - t0) / 1000),
      };
      console.log(`split brain: ${JSON.stringify(figures)}`);
      recordFigure('split-brain', figures);
      if (violating.size > 0 || finalCommitted.length !== sent) {
        const file = dumpViolation({
          figures,
          timeline,
          resources: [...violating].map((r) => ({
            resource: r,
            committed: finalCommitted
              .filter((m) => m.key === r)
              .map((m) => ({ partition: m.partition, offset: m.offset, ...(JSON.parse(m.value) as Promotion) })),
            written: uncommitted
              .filter((m) => m.key?.toString() === r)
              .map((m) => ({ offset: m.offset, ...(JSON.parse(m.value!.toString()) as Promotion) })),
          })),
          logs: Object.fromEntries(workers.map((w, i) => [i === 0 ? 'A' : 'B', w.logs])),
        });
        console.error(`split brain: violation details in ${file}`);
      }

      expect(committed.length).toBeGreaterThanOrEqual(sent);
      expect(finalCommitted.length).toBe(sent);
      expect(doublePromotions).toBe(0);
      expect(inputsPromotedTwice).toBe(0);
      expect(gaps).toBe(0);
      expect(alive).toBe(2);
      // The actuator: every command answered, each (resource, epoch) applied once, every stale
      // command refused and logged, the simulated end state at the last epoch.
      expect(actuation.results).toHaveLength(actuation.sent);
      expect(applied.length).toBe(sent);
      expect(appliedPairs.size).toBe(sent);
      expect(staleRefused.length).toBe(actuation.staleInjected);
      expect(staleRefused.every((r) => r.commandId.startsWith('stale:'))).toBe(true);
      expect(staleLogged).toBe(staleRefused.length);
      expect(duplicatesRefused).toBe(uncommitted.length - sent);
      expect(failed).toBe(0);
      expect(endStateWrong).toBe(0);
    },
    TEST_TIMEOUT_MS,
  );
});

interface LogRecord {
  partition: number;
  offset: string;
  key: string;
  value: string;
}

/** Every committed record of `topic`, read by librdkafka (kcat) with isolation.level=read_committed. */
function readCommittedWithKcat(address: string, topic: string): LogRecord[] {
  const out = execFileSync(
    'kcat',
    ['-b', address, '-C', '-t', topic, '-o', 'beginning', '-e', '-q', '-X', 'isolation.level=read_committed'].concat([
      '-f',
      '%p\t%o\t%k\t%s\n',
    ]),
    { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, timeout: 120_000 },
  );
  return out
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => {
      const [partition, offset, key, ...value] = l.split('\t');
      return { partition: Number(partition), offset: offset ?? '', key: key ?? '', value: value.join('\t') };
    });
}

/** Everything needed to study a violation after the run: records, trial timeline, worker logs. */
function dumpViolation(details: Record<string, unknown>): string {
  const dir = join(process.cwd(), 'test-artifacts', 'reliability');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `split-brain-violation-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, JSON.stringify(details, null, 1));
  return file;
}

/** A free port whose successor is free too (the broker's client and controller listeners). */
async function freePortPair(): Promise<number> {
  const free = (port: number): Promise<boolean> =>
    new Promise((resolve) => {
      const srv = createServer();
      srv.once('error', () => resolve(false));
      srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
    });
  for (let i = 0; i < 50; i++) {
    const p = await freePort();
    if (p < 65535 && (await free(p + 1))) return p;
  }
  throw new Error('no two consecutive free ports');
}

/** Every record on `topic` including aborted transactions (what a zombie tried to write). */
async function readUncommitted(broker: OwnBroker, topic: string): Promise<KafkaMessage[]> {
  const c = broker.kafka('split-uncommitted').consumer({ groupId: `u-${randomUUID()}`, readUncommitted: true });
  const all: KafkaMessage[] = [];
  const seen = new Set<string>(); // each record once, even if a rebalance hands it out again
  await c.connect();
  await c.subscribe({ topic, fromBeginning: true });
  let last = Date.now();
  await c.run({
    eachMessage: async ({ partition, message }) => {
      last = Date.now();
      const id = `${partition}:${message.offset}`;
      if (seen.has(id)) return;
      seen.add(id);
      all.push(message);
    },
  });
  const begun = Date.now();
  while (Date.now() - last < 4_000 || Date.now() - begun < 6_000) await sleep(250);
  await c.disconnect();
  // Offsets within a partition are the write order; partitions hold disjoint resources.
  return all;
}

interface Actuation {
  sent: number;
  staleInjected: number;
  results: ActuationResult[];
  logs: Record<string, unknown>[];
  provider: SimulatedProvider;
  ms: number;
}

/**
 * Sends every promotion written (aborted ones included, in write order per resource) as a PROMOTE
 * command, then per resource one stale command (the epoch before its last), through a real
 * actuator on the same broker, and collects its results (read_committed) and log lines.
 */
async function actuate(
  broker: OwnBroker,
  o: {
    commands: string;
    results: string;
    ledgerTopic: string;
    groupId: string;
    uncommitted: KafkaMessage[];
    lastEpochs: Map<string, number>;
  },
): Promise<Actuation> {
  const t0 = Date.now();
  await broker.createTopics([
    { topic: o.commands, numPartitions: PARTITIONS },
    { topic: o.results, numPartitions: 1 },
  ]);
  const codec = jsonCodec();
  const command = (commandId: string, resourceId: string, epoch: number): ShadowCommand => ({
    commandId,
    type: 'PROMOTE',
    resourceId,
    kind: 'split',
    epoch,
    primaryHost: 'old',
    primaryAddress: '',
    targetHost: 'new',
    targetAddress: '',
    region: 'r1',
    zone: '',
    tier: 'HIGH',
    priority: 0,
    config: {},
    reason: 'split-brain test',
    issuedAt: Date.now(),
    attempt: 1,
    advisory: false,
  });
  const messages: { key: string; value: string; partition: number }[] = [];
  const partitionOf = (resourceId: string): number => Number(resourceId.split('-')[1]) % PARTITIONS;
  for (const m of o.uncommitted) {
    const p = JSON.parse(m.value!.toString()) as Promotion;
    const cmd = command(`promote:${p.resourceId}:e${p.epoch}`, p.resourceId, p.epoch);
    messages.push({ key: p.resourceId, value: JSON.stringify(cmd), partition: partitionOf(p.resourceId) });
  }
  let staleInjected = 0;
  for (const [resourceId, last] of o.lastEpochs) {
    if (last < 2) continue;
    const cmd = command(`stale:${resourceId}:e${last - 1}`, resourceId, last - 1);
    messages.push({ key: resourceId, value: JSON.stringify(cmd), partition: partitionOf(resourceId) });
    staleInjected++;
  }
  await broker.produce(o.commands, messages);

  const kafka = broker.kafka('split-actuator');
  const ledger = new KafkaLedger(kafka, { topic: o.ledgerTopic, partitions: PARTITIONS });
  await ledger.open();
  const logs: Record<string, unknown>[] = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => void logs.push(JSON.parse(line)) });
  const provider = new SimulatedProvider({ name: 'split-sim', kinds: ['split'] });
  const actuator = new ActuatorConsumer({
    kafka,
    provider,
    codec,
    ledger,
    shadowTopic: o.commands,
    failoverTopic: '',
    resultsTopic: o.results,
    groupId: o.groupId,
    fromBeginning: true,
    concurrency: PARTITIONS,
    logger,
  });
  await actuator.start();
  let results: ActuationResult[] = [];
  try {
    const read = await broker.consumeUntil(o.results, (n) => n >= messages.length, 240_000);
    results = await Promise.all(read.map((m) => codec.decodeResult(m.value!)));
  } finally {
    await actuator.stop();
    await ledger.close();
  }
  return { sent: messages.length, staleInjected, results, logs, provider, ms: Date.now() - t0 };
}

/**
 * Stage 4, the peers: the same windowed aggregation (per-key tumbling 60 s mean and count by event
 * time) over the same input topic, by Kafka Streams 3.9.1 (Java), Quix Streams (Python) and
 * Foreshadow's own runtime, each as a single-threaded child process with the same commit interval.
 * Throughput = input records / (time from the program's call to its engine's start until the
 * output topic, read with read_committed, reflects every input record): group join, restore and
 * processing are inside the clock for every engine alike; JVM/Python/tsx boot is reported beside
 * it (bootMs), as is the time to the first visible output.
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { probeRuntime, REPO_ROOT } from './foreshadow-runtime.js';
import { benchKafka, createTopics, deleteGroups, deleteTopics, endOffsetTotal, uniqueTopic } from './kafka.js';
import type { SuiteOptions } from './options.js';
import { watchOutput } from './output-watcher.js';
import { peerKey, peerSampleBytes } from './payload.js';
import { BENCH_CACHE, type Engine, logTail, nodeArgsFrom, peakRssMb, startEngine, stopEngine } from './processes.js';
import { median, round } from './stats.js';
import { emptySection, type Measurement, type PeerRatio, type Section, settle } from './types.js';

const run = promisify(execFile);

export type EngineName = 'foreshadow' | 'kafka-streams' | 'quix';
type Guarantee = 'eos' | 'alos';

const KS_DIR = join(REPO_ROOT, 'bench/peers/kafka-streams');
const QUIX_DIR = join(REPO_ROOT, 'bench/peers/quix');
export const QUIX_VENV = process.env.QUIX_VENV ?? join(BENCH_CACHE, '..', 'venv-quix');

interface PeerRun {
  throughput: number;
  firstOutputMs: number;
  completeMs: number;
  /** Interpreter/JVM start and module loading, before the engine's own start call. */
  bootMs: number;
  peakRssMb: number;
  outputRecords: number;
  /** Set when the run hit the time limit before every record was reflected. */
  partial?: string;
}

type Outcome = { ok: true; run: PeerRun } | { ok: false; reason: string; unavailable?: boolean };

/** Builds the Kafka Streams program (mvn package into target/, git-ignored) when missing or older than its source. */
async function ensureKafkaStreams(): Promise<string | undefined> {
  const built = join(KS_DIR, 'target/classes/dev/foreshadow/bench/WindowedMeanBench.class');
  const source = join(KS_DIR, 'src/main/java/dev/foreshadow/bench/WindowedMeanBench.java');
  if (
    existsSync(built) &&
    existsSync(join(KS_DIR, 'target/lib')) &&
    statSync(built).mtimeMs >= statSync(source).mtimeMs
  ) {
    return undefined;
  }
  try {
    await run('mvn', ['-B', '-q', '-f', join(KS_DIR, 'pom.xml'), 'package'], {
      timeout: 600_000,
      maxBuffer: 32 * 1024 * 1024,
    });
    return undefined;
  } catch (err: unknown) {
    return `mvn package failed: ${err instanceof Error ? err.message.slice(0, 300) : String(err)}`;
  }
}

/** Creates the Quix venv from requirements.txt once (pip from PyPI). */
async function ensureQuix(): Promise<string | undefined> {
  const python = join(QUIX_VENV, 'bin/python');
  try {
    if (!existsSync(python)) await run('python3.11', ['-m', 'venv', QUIX_VENV], { timeout: 120_000 });
    await run(python, ['-c', 'import quixstreams'], { timeout: 60_000 });
    return undefined;
  } catch {
    try {
      await run(python, ['-m', 'pip', 'install', '-q', '-r', join(QUIX_DIR, 'requirements.txt')], {
        timeout: 600_000,
        maxBuffer: 32 * 1024 * 1024,
      });
      return undefined;
    } catch (err: unknown) {
      return `pip install failed: ${err instanceof Error ? err.message.slice(0, 300) : String(err)}`;
    }
  }
}

function engineCommand(engine: EngineName, args: string[]): { command: string; args: string[] } {
  switch (engine) {
    case 'kafka-streams':
      return {
        command: 'java',
        args: [
          '-Xms256m',
          '-Xmx2g',
          '-Dorg.slf4j.simpleLogger.defaultLogLevel=warn',
          '-cp',
          `${join(KS_DIR, 'target/classes')}:${join(KS_DIR, 'target/lib')}/*`,
          'dev.foreshadow.bench.WindowedMeanBench',
          ...args,
        ],
      };
    case 'quix':
      return { command: join(QUIX_VENV, 'bin/python'), args: [join(QUIX_DIR, 'windowed_mean.py'), ...args] };
    case 'foreshadow':
      return {
        command: process.execPath,
        args: [
          // e.g. BENCH_FORESHADOW_NODE_ARGS='--cpu-prof --cpu-prof-dir=DIR' to profile Foreshadow's run.
          ...nodeArgsFrom('BENCH_FORESHADOW_NODE_ARGS'),
          '--import',
          'tsx',
          join(REPO_ROOT, 'bench/suite/foreshadow-peer.ts'),
          ...args,
        ],
      };
  }
}

/** Produces the shared input once: N JSON samples over K keys, event time spread over the span. */
export async function produceInput(o: SuiteOptions, topic: string): Promise<void> {
  const producer = benchKafka(o.brokers, 'bench-peers-input').producer({ allowAutoTopicCreation: false });
  await producer.connect();
  // Recent event times: the broker's time-based retention must not delete the input mid-run.
  const base = Math.floor(Date.now() / o.windowMs) * o.windowMs - o.eventSpanMs;
  try {
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < o.peerRecords) {
        const from = next;
        const to = Math.min(o.peerRecords, from + 1_000);
        next = to;
        const messages = [];
        for (let i = from; i < to; i++) {
          const value = peerSampleBytes(i, o.peerRecords, o.peerKeys, o.eventSpanMs, base, o.recordBytes);
          messages.push({ key: peerKey(i, o.peerKeys), value });
        }
        await producer.send({ topic, messages, acks: -1 });
      }
    };
    // One worker keeps each partition in event-time order, so no engine ever sees a late record.
    await worker();
  } finally {
    await producer.disconnect();
  }
}

async function runOnce(o: SuiteOptions, engine: EngineName, guarantee: Guarantee, input: string): Promise<Outcome> {
  const output = uniqueTopic(`peers-${engine}-out`);
  const appId = `bench-${engine}-${guarantee}-${randomUUID().slice(0, 6)}`;
  const stateDir = join(BENCH_CACHE, 'state', appId);
  mkdirSync(stateDir, { recursive: true });
  await createTopics(o.brokers, [output], o.partitions);
  const watcher = await watchOutput(o.brokers, output, o.peerRecords, o.peerTimeoutMs);
  const { command, args } = engineCommand(engine, [
    o.brokers.join(','),
    input,
    output,
    appId,
    guarantee,
    String(o.commitIntervalMs),
    stateDir,
  ]);
  let e: Engine | undefined;
  try {
    e = startEngine(`${engine}-${guarantee}`, command, args, REPO_ROOT);
    const exited = e.exited.then((code) => ({ exited: code }));
    const first = await Promise.race([watcher.done.then((w) => ({ watched: w })), exited]);
    if ('exited' in first) {
      const notAvailable = e.stdoutLines.find((l) => l.startsWith('NOT_AVAILABLE:'));
      if (first.exited === 3 && notAvailable)
        return { ok: false, unavailable: true, reason: notAvailable.slice('NOT_AVAILABLE:'.length).trim() };
      return { ok: false, reason: `exited with ${first.exited} before completing: ${logTail(e.logFile)}` };
    }
    const w = first.watched;
    const rss = peakRssMb(e.child.pid) ?? Number.NaN;
    // The clock starts when the program calls its engine's start (its "STARTING <ms>" line): JVM,
    // Python and tsx boot times differ by seconds and are not what is being compared.
    const startLine = e.stdoutLines.map((l) => /^STARTING (\d+)/.exec(l)).find((m) => m !== null);
    const startedAt = startLine ? Number(startLine[1]) : e.spawnedAt;
    if (w.completeAt === undefined) {
      if (w.countedRecords === 0) {
        return { ok: false, reason: `no output within ${o.peerTimeoutMs} ms (log ${e.logFile})` };
      }
      // Too slow to finish in the time allowed: what it did reflect, per second, is a lower bound
      // of its throughput, and is reported as such rather than dropped.
      const elapsed = Date.now() - startedAt;
      return {
        ok: true,
        run: {
          throughput: (w.countedRecords * 1000) / elapsed,
          firstOutputMs: (w.firstVisibleAt ?? Date.now()) - startedAt,
          completeMs: elapsed,
          bootMs: startedAt - e.spawnedAt,
          peakRssMb: rss,
          outputRecords: w.outputRecords,
          partial: `stopped after ${Math.round(elapsed / 1000)} s with ${w.countedRecords}/${o.peerRecords} records reflected: throughput is a lower bound`,
        },
      };
    }
    const completeMs = w.completeAt - startedAt;
    return {
      ok: true,
      run: {
        throughput: (o.peerRecords * 1000) / completeMs,
        firstOutputMs: (w.firstVisibleAt ?? w.completeAt) - startedAt,
        completeMs,
        bootMs: startedAt - e.spawnedAt,
        peakRssMb: rss,
        outputRecords: w.outputRecords,
      },
    };
  } finally {
    if (e) await stopEngine(e);
    await watcher.stop();
    await deleteTopics(o.brokers, [output], [appId, `changelog__${appId}`, `repartition__${appId}`]);
    await deleteGroups(o.brokers, [appId]);
    rmSync(stateDir, { recursive: true, force: true });
  }
}

export async function runPeerStage(o: SuiteOptions): Promise<Section & { ratios: PeerRatio[] }> {
  const section: Section & { ratios: PeerRatio[] } = { ...emptySection(), ratios: [] };
  const blocked = new Map<EngineName, string>();
  const runtime = await probeRuntime();
  if (!runtime.ok) blocked.set('foreshadow', `Foreshadow runtime not available: ${runtime.reason}`);
  const ks = await ensureKafkaStreams();
  if (ks) blocked.set('kafka-streams', ks);
  const quix = await ensureQuix();
  if (quix) blocked.set('quix', quix);

  const engines: EngineName[] = ['foreshadow', 'kafka-streams', 'quix'];
  // BENCH_PEERS=foreshadow,quix runs a subset (iterating on one engine); the rest are listed as not selected.
  const selected = process.env.BENCH_PEERS?.split(',').map((e) => e.trim());
  for (const e of engines) if (selected && !selected.includes(e)) blocked.set(e, 'not selected (BENCH_PEERS)');
  const runs = new Map<string, PeerRun[]>();
  const failures = new Map<string, string>();
  const input = uniqueTopic('peers-in');
  await createTopics(o.brokers, [input], o.partitions);
  try {
    await produceInput(o, input);
    const produced = await endOffsetTotal(o.brokers, input);
    if (produced !== o.peerRecords) throw new Error(`input topic holds ${produced} records, expected ${o.peerRecords}`);
    for (let r = 0; r < o.repeats; r++) {
      for (const g of o.guarantees) {
        // Rotate the order so no engine always runs first (cold page cache) or last (warm broker).
        const order = engines.map((_, i) => engines[(i + r) % engines.length]!);
        for (const engine of order) {
          const k = `${engine}.${g}`;
          if (blocked.has(engine) || failures.has(k)) continue;
          const outcome = await runOnce(o, engine, g, input);
          if (outcome.ok) {
            runs.set(k, [...(runs.get(k) ?? []), outcome.run]);
            // A run that hit the time limit is not repeated: two more would cost the suite's budget.
            if (outcome.run.partial) failures.set(k, outcome.run.partial);
          } else if (outcome.unavailable) blocked.set(engine, outcome.reason);
          else failures.set(k, outcome.reason);
        }
      }
    }
  } finally {
    await deleteTopics(o.brokers, [input], [`${input}.`]);
  }

  const conditions = {
    records: o.peerRecords,
    keys: o.peerKeys,
    partitions: o.partitions,
    valueBytes: o.recordBytes,
    valueFormat: 'JSON',
    window: `tumbling ${o.windowMs / 1000} s by event time, no grace`,
    aggregation: 'count + mean per key and window, every update emitted',
    eventSpan: `${o.eventSpanMs / 60_000} windows`,
    commitIntervalMs: o.commitIntervalMs,
    threads: 1,
    clock:
      'engine start call -> every input record reflected on output (read_committed); boot before it reported as bootMs',
  };
  const label: Record<EngineName, string> = {
    foreshadow: 'Foreshadow runtime (Node 20, DSL, RocksDB store via rocksdb-native)',
    'kafka-streams': 'Kafka Streams 3.9.1 (Java 17, RocksDB store, record cache off so every update is emitted)',
    quix: 'Quix Streams 3.28.1 (Python 3.11, RocksDB store)',
  };
  const medians = new Map<string, number>();
  const lowerBound = new Set([...runs].filter(([, r]) => r.some((x) => x.partial)).map(([k]) => k));
  for (const g of o.guarantees) {
    for (const engine of engines) {
      const k = `${engine}.${g}`;
      const r = runs.get(k) ?? [];
      if (r.length === 0) {
        section.unavailable.push({
          name: `peers.${k}`,
          reason: blocked.get(engine) ?? failures.get(k) ?? 'did not run',
        });
        continue;
      }
      const value = median(r.map((x) => x.throughput));
      medians.set(k, value);
      section.measurements.push({
        name: `peers.${k}`,
        metric: 'throughput',
        unit: 'records/s',
        median: round(value),
        runs: r.map((x) => round(x.throughput)),
        conditions: {
          ...conditions,
          engine: label[engine],
          guarantee: g === 'eos' ? 'exactly-once v2' : 'at-least-once',
        },
        extra: {
          firstOutputMs: round(median(r.map((x) => x.firstOutputMs))),
          completeMs: round(median(r.map((x) => x.completeMs))),
          bootMs: round(median(r.map((x) => x.bootMs))),
          peakRssMb: round(median(r.map((x) => x.peakRssMb))),
          outputRecords: round(median(r.map((x) => x.outputRecords))),
        },
        ...(r.some((x) => x.partial)
          ? { note: `LOWER BOUND, ${r.find((x) => x.partial)?.partial}; not repeated` }
          : failures.has(k)
            ? { note: `a later run failed: ${failures.get(k)}` }
            : {}),
      } satisfies Measurement);
    }
    const fs = medians.get(`foreshadow.${g}`);
    for (const peer of ['kafka-streams', 'quix'] as const) {
      const p = medians.get(`${peer}.${g}`);
      section.ratios.push({
        peer,
        guarantee: g,
        peerOverForeshadow: fs && p ? round(p / fs, 2) : null,
        foreshadowOverPeer: fs && p ? round(fs / p, 2) : null,
        target: peer === 'quix' ? 'Foreshadow >= 2x Quix Streams' : 'Foreshadow >= 0.5x Kafka Streams',
        ...(fs
          ? {}
          : {
              note: `Foreshadow not measured: ${blocked.get('foreshadow') ?? failures.get(`foreshadow.${g}`) ?? 'did not run'}`,
            }),
        ...(fs && p && (lowerBound.has(`${peer}.${g}`) || lowerBound.has(`foreshadow.${g}`))
          ? { note: 'one side is a lower bound (run hit the time limit): the ratio is indicative only' }
          : {}),
      });
    }
  }
  settle(section);
  return section;
}

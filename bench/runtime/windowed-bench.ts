/**
 * Runtime benchmark: tumbling-window aggregation (1 s windows, sum + count per key) on the real
 * broker, one StreamsApp in this process.
 *   throughput: N pre-produced records, time from the first to the last record processed, for
 *               at-least-once and exactly-once;
 *   latency:    records produced at a steady rate to an emit-on-update variant; end-to-end latency
 *               = output visible to a read_committed consumer minus send time (x-sent header);
 *   peak RSS of this process (app + bench clients).
 * Each phase runs BENCH_REPEATS times (default 3) on fresh topics; the report gives the median run
 * (by the headline figure) and every run, since a shared machine makes single runs noisy.
 * JSON to stdout and bench/results/runtime.json. Env: BENCH_RECORDS (default 300000), BENCH_RATE,
 * BENCH_REPEATS, BENCH_PHASES, BENCH_PROFILE_DIR (CPU profile of the processing window only).
 */

import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import os, { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel, Partitioners } from 'kafkajs';
import { parseFlagsOrExit } from '../../cli/args.js';
import { loadConnection } from '../../streams/runtime/config.js';
import { windowedSerde } from '../../streams/runtime/dsl/dsl-serdes.js';
import { createLogger } from '../../streams/runtime/logger.js';
import { jsonSerde, stringSerde } from '../../streams/runtime/serdes.js';
import { type Guarantee, StreamsApp } from '../../streams/runtime/streams-app.js';
import { StreamsBuilder } from '../../streams/runtime/streams-builder.js';
import type { Topology } from '../../streams/runtime/topology.js';
import { TimeWindows } from '../../streams/windows/windows.js';

interface Reading {
  t: number;
  v: number;
}
interface Agg {
  sum: number;
  count: number;
}

// Configured by environment variables (above): an argument is a mistake, refused before any work.
parseFlagsOrExit(process.argv.slice(2), {
  command: 'bench:runtime',
  usage: 'usage: [BENCH_RECORDS=N BENCH_RATE=N BENCH_REPEATS=N BENCH_PHASES=...] npm run bench:runtime (no arguments)',
  options: {},
});

const conn = loadConnection();
const kafka = new Kafka({ clientId: 'runtime-bench', brokers: conn.brokers, logLevel: logLevel.ERROR });
const PARTITIONS = 3;
const KEYS = 1_000;
const RECORDS = Number(process.env.BENCH_RECORDS ?? '300000');
const RATE = Number(process.env.BENCH_RATE ?? '5000');
const LATENCY_SECONDS = 8;
const LATENCY_COMMIT_MS = Number(process.env.BENCH_LATENCY_COMMIT_MS ?? '100');
const REPEATS = Math.max(1, Number(process.env.BENCH_REPEATS ?? '3'));
const LATENCY_REPEATS = Math.max(1, Number(process.env.BENCH_LATENCY_REPEATS ?? String(REPEATS)));
const PROFILE_DIR = process.env.BENCH_PROFILE_DIR;

/** CPU profile of just the measured window (pre-production and set-up would drown it otherwise). */
async function startProfile(): Promise<(name: string) => Promise<void>> {
  if (!PROFILE_DIR) return async () => undefined;
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  return async (name) => {
    const { profile } = await session.post('Profiler.stop');
    await mkdir(PROFILE_DIR, { recursive: true });
    await writeFile(join(PROFILE_DIR, `${name}-${Date.now()}.cpuprofile`), JSON.stringify(profile));
    session.disconnect();
  };
}

/** The run with the median `by` value (runs are whole results, so their figures stay consistent). */
export function medianRun<T>(runs: T[], by: (r: T) => number): T & { runs: number[] } {
  const sorted = [...runs].sort((a, b) => by(a) - by(b));
  return { ...sorted[Math.floor((sorted.length - 1) / 2)]!, runs: runs.map(by) };
}

async function repeat<T>(n: number, fn: () => Promise<T>): Promise<T[]> {
  const out: T[] = [];
  for (let i = 0; i < n; i++) out.push(await fn());
  return out;
}

/** Delay between send and processing inside the app (latency phase: event time = send time). */
const processingLag: number[] = [];

function topology(appId: string, input: string, output: string, emit: 'on-window-close' | 'on-update'): Topology {
  const b = new StreamsBuilder(appId);
  b.stream(input, { keySerde: stringSerde, valueSerde: jsonSerde<Reading>(), timestampExtractor: (r) => r.value.t })
    .peek((_k, v) => {
      if (emit === 'on-update') processingLag.push(Date.now() - v.t);
    })
    .groupByKey()
    .windowedBy(TimeWindows.of({ sizeMs: 1_000, graceMs: 200 }))
    .aggregate<Agg>({
      storeName: 'bench-sums',
      initializer: () => ({ sum: 0, count: 0 }),
      aggregator: (_k, r, a) => ({ sum: a.sum + r.v, count: a.count + 1 }),
      valueSerde: jsonSerde<Agg>(),
      emit,
    })
    .to(output, { keySerde: windowedSerde(stringSerde), valueSerde: jsonSerde<Agg>() });
  return b.build();
}

async function withTopics<T>(fn: (names: { appId: string; input: string; output: string }) => Promise<T>): Promise<T> {
  const id = randomUUID().slice(0, 8);
  const names = { appId: `bench-rt-${id}`, input: `bench.rt.in.${id}`, output: `bench.rt.out.${id}` };
  const admin = kafka.admin();
  await admin.connect();
  // The shared broker sometimes answers UNKNOWN_TOPIC_OR_PARTITION while leaders settle under
  // load; one failed creation should not lose a whole multi-minute run.
  for (let attempt = 1; ; attempt++) {
    try {
      await admin.createTopics({
        topics: [
          { topic: names.input, numPartitions: PARTITIONS },
          { topic: names.output, numPartitions: PARTITIONS },
        ],
        waitForLeaders: true,
      });
      break;
    } catch (err: unknown) {
      const exists = new Set(await admin.listTopics());
      if (exists.has(names.input) && exists.has(names.output)) break;
      if (attempt >= 3) throw err;
      await new Promise((r) => setTimeout(r, 1_000 * attempt));
    }
  }
  try {
    return await fn(names);
  } finally {
    const doomed = (await admin.listTopics()).filter(
      (t) =>
        t === names.input ||
        t === names.output ||
        t.startsWith(`${names.appId}-`) ||
        t.startsWith(`${names.appId}.`) ||
        t === `${names.input}.dlq`,
    );
    await admin.deleteTopics({ topics: doomed }).catch(() => undefined);
    await admin.deleteGroups([names.appId]).catch(() => undefined);
    await admin.disconnect();
  }
}

async function produceAll(topic: string, n: number): Promise<void> {
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  const base = 1_700_000_000_000;
  // kafkajs groups a send per partition in quadratic time: keep sends small.
  const chunk = 1_000;
  for (let i = 0; i < n; i += chunk) {
    const messages = [];
    for (let j = i; j < Math.min(n, i + chunk); j++) {
      const k = j % KEYS;
      messages.push({
        key: `host-${k}`,
        value: JSON.stringify({ t: base + Math.floor(j / 10), v: j % 100 }),
        partition: k % PARTITIONS,
      });
    }
    await producer.send({ topic, messages, acks: 1 });
  }
  await producer.disconnect();
}

async function throughput(
  guarantee: Guarantee,
): Promise<{ recordsPerSecond: number; seconds: number; cpuSeconds: number; recordsPerCpuSecond: number }> {
  return withTopics(async ({ appId, input, output }) => {
    await produceAll(input, RECORDS);
    const stateDir = await mkdtemp(join(tmpdir(), 'bench-rt-'));
    const app = new StreamsApp(topology(appId, input, output, 'on-window-close'), {
      guarantee,
      connection: conn,
      stateDir,
      logger: createLogger('bench', 'warn'),
    });
    const source = `source-${input}`;
    const processed = async (): Promise<number> => {
      const m = await app.metrics.recordsIn.get();
      return m.values.find((v) => v.labels.processor === source)?.value ?? 0;
    };
    await app.start();
    let first = 0;
    let cpuStart = process.cpuUsage();
    let stopProfile: ((name: string) => Promise<void>) | undefined;
    for (;;) {
      const n = await processed();
      if (n > 0 && first === 0) {
        first = performance.now();
        cpuStart = process.cpuUsage();
        stopProfile = await startProfile();
      }
      if (n >= RECORDS) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    const seconds = (performance.now() - first) / 1000;
    // CPU time this process actually got: on a shared machine, records per CPU-second is the
    // figure that transfers to a dedicated core.
    const cpu = process.cpuUsage(cpuStart);
    const cpuSeconds = (cpu.user + cpu.system) / 1e6;
    await stopProfile?.(guarantee);
    await app.close();
    await rm(stateDir, { recursive: true, force: true });
    return {
      recordsPerSecond: Math.round(RECORDS / seconds),
      seconds: Number(seconds.toFixed(2)),
      cpuSeconds: Number(cpuSeconds.toFixed(2)),
      recordsPerCpuSecond: Math.round(RECORDS / cpuSeconds),
    };
  });
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function latency(guarantee: Guarantee): Promise<{
  p50Ms: number;
  p99Ms: number;
  samples: number;
  inputToProcessP50Ms: number;
  inputToProcessP99Ms: number;
}> {
  processingLag.length = 0;
  return withTopics(async ({ appId, input, output }) => {
    const stateDir = await mkdtemp(join(tmpdir(), 'bench-rt-'));
    const app = new StreamsApp(topology(appId, input, output, 'on-update'), {
      guarantee,
      // Outputs leave at commit time: the interval bounds latency, so both guarantees use 100 ms here.
      commitIntervalMs: LATENCY_COMMIT_MS,
      connection: conn,
      stateDir,
      logger: createLogger('bench', 'warn'),
    });
    await app.start();
    const latencies: number[] = [];
    const consumer = kafka.consumer({ groupId: `bench-reader-${randomUUID()}`, readUncommitted: false });
    await consumer.connect();
    await consumer.subscribe({ topic: output, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        const sent = Number(message.headers?.['x-sent']?.toString());
        if (Number.isFinite(sent)) latencies.push(Date.now() - sent);
      },
    });
    await new Promise((r) => setTimeout(r, 3_000));
    const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    const perTick = Math.max(1, Math.round(RATE / 100));
    const total = RATE * LATENCY_SECONDS;
    let sent = 0;
    const startAt = Date.now();
    while (sent < total) {
      const messages = [];
      const now = Date.now();
      for (let i = 0; i < perTick && sent < total; i++, sent++) {
        const k = sent % KEYS;
        messages.push({
          key: `host-${k}`,
          value: JSON.stringify({ t: now, v: sent % 100 }),
          partition: k % PARTITIONS,
          headers: { 'x-sent': String(now) },
        });
      }
      await producer.send({ topic: input, messages, acks: 1 });
      const wait = startAt + (sent / RATE) * 1000 - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    }
    const deadline = Date.now() + 20_000;
    while (latencies.length < total && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    await producer.disconnect();
    await consumer.disconnect();
    const commitMetric = await app.metrics.commitLatency.get();
    const commitSum = commitMetric.values.find((v) => v.metricName?.endsWith('_sum'))?.value ?? 0;
    const commitCount = commitMetric.values.find((v) => v.metricName?.endsWith('_count'))?.value ?? 0;
    await app.close();
    await rm(stateDir, { recursive: true, force: true });
    const sorted = [...latencies].sort((a, b) => a - b);
    const lag = [...processingLag].sort((a, b) => a - b);
    return {
      p50Ms: percentile(sorted, 50),
      p99Ms: percentile(sorted, 99),
      samples: sorted.length,
      inputToProcessP50Ms: percentile(lag, 50),
      inputToProcessP99Ms: percentile(lag, 99),
      commits: commitCount,
      meanCommitMs: commitCount > 0 ? Math.round((commitSum / commitCount) * 1000) : 0,
    };
  });
}

// BENCH_PHASES (comma list of alos,eos,latency-alos,latency-eos) runs a subset, e.g. for profiling.
const phases = new Set((process.env.BENCH_PHASES ?? 'alos,eos,latency-alos,latency-eos').split(','));
const result = {
  benchmark: 'runtime tumbling-window aggregation (1 s windows, 1000 keys, 3 partitions, 1 process)',
  at: new Date().toISOString(),
  records: RECORDS,
  repeats: REPEATS,
  latencyRepeats: LATENCY_REPEATS,
  atLeastOnce: phases.has('alos')
    ? medianRun(await repeat(REPEATS, () => throughput('at-least-once')), (r) => r.recordsPerSecond)
    : undefined,
  exactlyOnce: phases.has('eos')
    ? medianRun(await repeat(REPEATS, () => throughput('exactly-once')), (r) => r.recordsPerSecond)
    : undefined,
  latencyAtLeastOnce: phases.has('latency-alos')
    ? {
        rate: RATE,
        commitIntervalMs: LATENCY_COMMIT_MS,
        ...medianRun(await repeat(LATENCY_REPEATS, () => latency('at-least-once')), (r) => r.p99Ms),
      }
    : undefined,
  latencyExactlyOnce: phases.has('latency-eos')
    ? {
        rate: RATE,
        commitIntervalMs: LATENCY_COMMIT_MS,
        ...medianRun(await repeat(LATENCY_REPEATS, () => latency('exactly-once')), (r) => r.p99Ms),
      }
    : undefined,
  loadAverage: os.loadavg().map((l) => Number(l.toFixed(2))),
  cpus: os.cpus().length,
  peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
};
console.log(JSON.stringify(result, null, 2));
if (phases.size === 4) {
  await mkdir('bench/results', { recursive: true });
  await writeFile('bench/results/runtime.json', `${JSON.stringify(result, null, 2)}\n`);
}
process.exit(0);

/**
 * Stage 3, the pipeline: canonical samples -> host baseline -> failure risk on Foreshadow's runtime.
 * - throughput, exactly-once and at-least-once: spawn to "group committed every input offset";
 * - end-to-end latency at a fixed 10k samples/s: output visible (read_committed) minus the input's
 *   event time, which the runtime carries to the output record's timestamp;
 * - peak RSS (VmHWM) and state size on disk at 10k and 100k hosts x 8 metrics;
 * - one process against two processes sharing the group.
 * Until the runtime's Kafka runner and the processors exist, the stage says "not available" and
 * why (pipeline-contract.ts lists what it waits for); it never prints a number it did not measure.
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT } from './foreshadow-runtime.js';
import { benchKafka, createTopics, deleteGroups, deleteTopics, uniqueTopic, withAdmin } from './kafka.js';
import type { SuiteOptions } from './options.js';
import { type PipelineConfig, pipelineGroups, probePipeline } from './pipeline-contract.js';
import { BENCH_CACHE, type Engine, logTail, nodeArgsFrom, peakRssMb, startEngine, stopEngine } from './processes.js';
import { median, percentile, round } from './stats.js';
import { emptySection, type Measurement, type Section, settle } from './types.js';

const run = promisify(execFile);

export const PIPELINE_TARGETS = {
  alosThroughput: '>= 100k samples/s per process',
  eosThroughput: '>= 50k samples/s per process',
  latencyP99: '< 500 ms at 10k samples/s',
  rss: '<= 1 GB at 100k hosts x 8 metrics',
};

const METRICS = [
  'cpu.utilization',
  'cpu.iowait',
  'cpu.load1',
  'mem.utilization',
  'mem.used_bytes',
  'mem.available_bytes',
  'disk.utilization',
  'disk.free_bytes',
];

interface Sizes {
  throughputHosts: number;
  samplesPerHost: number;
  latencyRate: number;
  latencySeconds: number;
  memoryHosts: number[];
}

function sizes(o: SuiteOptions): Sizes {
  const s = defaultSizes(o);
  return {
    ...s,
    throughputHosts: o.pipelineHosts ?? s.throughputHosts,
    samplesPerHost: o.pipelineSamplesPerHost ?? s.samplesPerHost,
    // A rate the pipeline sustains gives a latency figure where the 10k/s only says "behind".
    latencyRate: o.pipelineLatencyRate ?? s.latencyRate,
  };
}

function defaultSizes(o: SuiteOptions): Sizes {
  return o.mode === 'short'
    ? {
        throughputHosts: 1_000,
        samplesPerHost: 5,
        latencyRate: 10_000,
        latencySeconds: 5,
        memoryHosts: o.pipelineMemoryHosts,
      }
    : // 20k samples: enough for a steady rate at the few hundred samples/s the pipeline reaches today.
      {
        throughputHosts: 2_000,
        samplesPerHost: 10,
        latencyRate: 10_000,
        latencySeconds: 30,
        memoryHosts: o.pipelineMemoryHosts,
      };
}

function sampleJson(host: number, ts: number): Buffer {
  const metrics: Record<string, number> = {};
  for (const [i, m] of METRICS.entries())
    metrics[m] = m.endsWith('bytes')
      ? 1e9 + ((host * 31 + i) % 1000) * 1e6
      : ((host * 7 + i * 13 + ts / 1000) % 100) / 100;
  const name = `h-${String(host).padStart(6, '0')}`;
  return Buffer.from(
    JSON.stringify({
      host: name,
      region: `r-${host % 4}`,
      zone: `z-${host % 12}`,
      timestamp: ts,
      metrics,
      tags: {},
      source: 'json',
    }),
  );
}

interface Topics {
  samples: string;
  baselines: string;
  risk: string;
  failures: string;
  deployments: string;
}

async function withTopics<T>(o: SuiteOptions, fn: (t: Topics) => Promise<T>): Promise<T> {
  const t: Topics = {
    samples: uniqueTopic('pipe-samples'),
    baselines: uniqueTopic('pipe-baselines'),
    risk: uniqueTopic('pipe-risk'),
    // Failures and deployments stay empty: the risk app co-partitions them with the samples.
    failures: uniqueTopic('pipe-failures'),
    deployments: uniqueTopic('pipe-deployments'),
  };
  const all = Object.values(t);
  await createTopics(o.brokers, all, o.partitions);
  try {
    return await fn(t);
  } finally {
    await deleteTopics(
      o.brokers,
      all,
      all.map((n) => `${n}.`),
    );
  }
}

function config(
  o: SuiteOptions,
  t: Topics,
  applicationId: string,
  guarantee: 'eos' | 'alos',
  stateDir: string,
): PipelineConfig {
  return {
    brokers: o.brokers.join(','),
    applicationId,
    samplesTopic: t.samples,
    baselinesTopic: t.baselines,
    riskTopic: t.risk,
    failuresTopic: t.failures,
    deploymentsTopic: t.deployments,
    guarantee,
    stateDir,
  };
}

/** hosts x samplesPerHost samples, 10 s apart per host, in time order. */
async function produceSamples(o: SuiteOptions, topic: string, hosts: number, perHost: number): Promise<number> {
  const producer = benchKafka(o.brokers, 'bench-pipe-input').producer({ allowAutoTopicCreation: false });
  await producer.connect();
  const base = Date.now() - perHost * 10_000;
  try {
    for (let j = 0; j < perHost; j++) {
      for (let h = 0; h < hosts; h += 1_000) {
        const messages = [];
        for (let k = h; k < Math.min(hosts, h + 1_000); k++) {
          const ts = base + j * 10_000;
          messages.push({ key: `h-${String(k).padStart(6, '0')}`, value: sampleJson(k, ts), timestamp: String(ts) });
        }
        await producer.send({ topic, messages, acks: -1 });
      }
    }
  } finally {
    await producer.disconnect();
  }
  return hosts * perHost;
}

/** Extra node flags for the pipeline process, e.g. BENCH_PIPELINE_NODE_ARGS='--cpu-prof --cpu-prof-dir=/tmp/p'. */
const extraNodeArgs = nodeArgsFrom('BENCH_PIPELINE_NODE_ARGS');

function startPipeline(name: string, config: PipelineConfig): Engine {
  mkdirSync(config.stateDir, { recursive: true });
  return startEngine(
    name,
    process.execPath,
    [
      ...extraNodeArgs,
      '--import',
      'tsx',
      join(REPO_ROOT, 'bench/suite/foreshadow-pipeline.ts'),
      JSON.stringify(config),
    ],
    REPO_ROOT,
  );
}

/** Waits until every group has committed every offset of the topic; returns when, or undefined. */
async function waitCommitted(
  o: SuiteOptions,
  groupIds: string[],
  topic: string,
  engines: Engine[],
  timeoutMs: number,
): Promise<number | undefined> {
  return withAdmin(o.brokers, async (admin) => {
    const ends = new Map((await admin.fetchTopicOffsets(topic)).map((p) => [p.partition, Number(p.high)]));
    const deadline = Date.now() + timeoutMs;
    const pending = new Set(groupIds);
    // A pipeline that commits nothing new for this long is stuck (e.g. a commit failing over and
    // over); waiting out the full timeout would only burn the suite's time.
    const stallMs = o.mode === 'short' ? 30_000 : 90_000;
    // Before the first commit, boot, two group joins and restores take their time on a loaded box.
    const firstCommitMs = 180_000;
    let progress = -1;
    let progressAt = Date.now();
    while (Date.now() < deadline) {
      if (engines.some((e) => e.child.exitCode !== null)) return undefined;
      let sum = 0;
      for (const groupId of [...pending]) {
        const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
        const parts = committed?.partitions ?? [];
        sum += parts.reduce((a, p) => a + Math.max(0, Number(p.offset)), 0);
        if (parts.length === ends.size && parts.every((p) => Number(p.offset) >= (ends.get(p.partition) ?? 0)))
          pending.delete(groupId);
      }
      if (pending.size === 0) return Date.now();
      if (sum !== progress) {
        progress = sum;
        progressAt = Date.now();
      } else if (Date.now() - progressAt > (progress <= 0 ? firstCommitMs : stallMs)) {
        return undefined;
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    return undefined;
  });
}

async function dirBytes(dir: string): Promise<number> {
  try {
    const { stdout } = await run('du', ['-sb', dir]);
    return Number(stdout.split('\t')[0]);
  } catch {
    return Number.NaN;
  }
}

interface ProcessRun {
  recordsPerSec: number;
  peakRssMb: number;
  stateBytes: number;
}

/** Runs `processes` copies of the pipeline over pre-produced samples until all are committed. */
export async function runToCompletion(
  o: SuiteOptions,
  hosts: number,
  perHost: number,
  guarantee: 'eos' | 'alos',
  processes: number,
): Promise<ProcessRun> {
  return withTopics(o, async (t) => {
    const total = await produceSamples(o, t.samples, hosts, perHost);
    const applicationId = `bench-pipeline-${guarantee}-${randomUUID().slice(0, 6)}`;
    const engines: Engine[] = [];
    const dirs: string[] = [];
    try {
      for (let i = 0; i < processes; i++) {
        const stateDir = join(BENCH_CACHE, 'state', `${applicationId}-${i}`);
        dirs.push(stateDir);
        engines.push(startPipeline(`pipeline-${guarantee}-${i}`, config(o, t, applicationId, guarantee, stateDir)));
      }
      // At least 5 ms a sample: the 100k-host memory run (200k samples) outlasts the 10 min default.
      const timeoutMs = Math.max(o.peerTimeoutMs, total * 5);
      const doneAt = await waitCommitted(o, pipelineGroups(applicationId), t.samples, engines, timeoutMs);
      const notAvailable = engines.flatMap((e) => e.stdoutLines).find((l) => l.startsWith('NOT_AVAILABLE:'));
      if (notAvailable) throw new NotAvailable(notAvailable.slice('NOT_AVAILABLE:'.length).trim());
      if (doneAt === undefined)
        throw new Error(`pipeline did not commit all ${total} samples: ${logTail(engines[0]!.logFile)}`);
      // Clock from the first engine's start call (after Node/tsx boot), as in the peers stage.
      const starts = engines.flatMap((e) =>
        e.stdoutLines
          .map((l) => /^STARTING (\d+)/.exec(l))
          .filter((m) => m !== null)
          .map((m) => Number(m[1])),
      );
      const started = starts.length > 0 ? Math.min(...starts) : Math.min(...engines.map((e) => e.spawnedAt));
      const rss = engines.map((e) => peakRssMb(e.child.pid) ?? Number.NaN);
      const stateBytes = (await Promise.all(dirs.map(dirBytes))).reduce((a, b) => a + b, 0);
      return { recordsPerSec: (total * 1000) / (doneAt - started), peakRssMb: Math.max(...rss), stateBytes };
    } finally {
      await Promise.all(engines.map((e) => stopEngine(e)));
      await deleteTopics(o.brokers, [], [applicationId]);
      await deleteGroups(o.brokers, pipelineGroups(applicationId));
      for (const d of dirs) rmSync(d, { recursive: true, force: true });
    }
  });
}

class NotAvailable extends Error {}

/** Produces at a fixed rate with event time = send time and collects output latencies. */
async function runLatency(
  o: SuiteOptions,
  guarantee: 'eos' | 'alos',
  s: Sizes,
): Promise<{ p50: number; p95: number; p99: number; samples: number; sent: number }> {
  return withTopics(o, async (t) => {
    const applicationId = `bench-pipeline-lat-${guarantee}-${randomUUID().slice(0, 6)}`;
    const stateDir = join(BENCH_CACHE, 'state', applicationId);
    const engine = startPipeline(`pipeline-latency-${guarantee}`, config(o, t, applicationId, guarantee, stateDir));
    const latencies: number[] = [];
    let measureFrom = Number.POSITIVE_INFINITY;
    let firstOutputAt: number | undefined;
    let sentMeasured = 0;
    const reader = benchKafka(o.brokers, 'bench-latency-reader').consumer({
      groupId: `${t.risk}.lat`,
      readUncommitted: false,
      maxWaitTimeInMs: 50,
    });
    const producer = benchKafka(o.brokers, 'bench-latency-producer').producer({ allowAutoTopicCreation: false });
    try {
      await Promise.all([reader.connect(), producer.connect()]);
      await reader.subscribe({ topic: t.risk, fromBeginning: true });
      await reader.run({
        eachMessage: async ({ message }) => {
          const ts = Number(message.timestamp);
          firstOutputAt ??= Date.now();
          if (ts >= measureFrom) latencies.push(Date.now() - ts);
        },
      });
      // Produce at the rate from the start; once outputs flow (boot, group joins and restores are
      // behind us), warm up for a third of the measured time, then measure.
      const warmMs = Math.max(3_000, (s.latencySeconds * 1000) / 3);
      const tickMs = 10;
      const perTick = Math.round((s.latencyRate * tickMs) / 1000);
      let host = 0;
      let next = Date.now();
      const giveUpAt = Date.now() + 180_000;
      for (;;) {
        if (engine.child.exitCode !== null) break;
        const at = Date.now();
        if (firstOutputAt === undefined && at > giveUpAt) break;
        if (firstOutputAt !== undefined && measureFrom === Number.POSITIVE_INFINITY && at - firstOutputAt >= warmMs)
          measureFrom = at;
        if (at >= measureFrom + s.latencySeconds * 1000) break;
        const now = Date.now();
        const messages = [];
        if (at >= measureFrom) sentMeasured += perTick;
        for (let i = 0; i < perTick; i++) {
          const h = host++ % 10_000;
          messages.push({ key: `h-${String(h).padStart(6, '0')}`, value: sampleJson(h, now), timestamp: String(now) });
        }
        producer.send({ topic: t.samples, messages, acks: 1 }).catch(() => {});
        next += tickMs;
        await new Promise((r) => setTimeout(r, Math.max(0, next - Date.now())));
      }
      // Let the tail arrive: two seconds past the last send.
      await new Promise((r) => setTimeout(r, 2_000));
      const notAvailable = engine.stdoutLines.find((l) => l.startsWith('NOT_AVAILABLE:'));
      if (notAvailable) throw new NotAvailable(notAvailable.slice('NOT_AVAILABLE:'.length).trim());
      if (latencies.length === 0) {
        throw new Error(
          firstOutputAt === undefined
            ? `no risk output within 180 s of producing at ${s.latencyRate}/s: ${logTail(engine.logFile)}`
            : `falls behind at ${s.latencyRate} samples/s: none of the ${sentMeasured} samples sent in the measured ${s.latencySeconds} s window reached the risk topic by its end + 2 s (outputs were still of warm-up samples), so p99 is unbounded`,
        );
      }
      return {
        p50: percentile(latencies, 50),
        p95: percentile(latencies, 95),
        p99: percentile(latencies, 99),
        samples: latencies.length,
        sent: sentMeasured,
      };
    } finally {
      await reader.disconnect();
      await producer.disconnect();
      await stopEngine(engine);
      await deleteTopics(o.brokers, [], [applicationId]);
      await deleteGroups(o.brokers, [...pipelineGroups(applicationId), `${t.risk}.lat`]);
      rmSync(stateDir, { recursive: true, force: true });
    }
  });
}

export async function runPipelineStage(o: SuiteOptions): Promise<Section & { targets: Record<string, string> }> {
  const section: Section & { targets: Record<string, string> } = { ...emptySection(), targets: PIPELINE_TARGETS };
  const probe = await probePipeline();
  if (!probe.ok) {
    section.status = 'not-available';
    section.reason = `Foreshadow pipeline not available: ${probe.reason}`;
    for (const name of [
      'pipeline.throughput.eos',
      'pipeline.throughput.alos',
      'pipeline.latency',
      'pipeline.memory',
      'pipeline.scale',
    ]) {
      section.unavailable.push({ name, reason: section.reason });
    }
    return section;
  }
  const s = sizes(o);
  const base = {
    partitions: o.partitions,
    metricsPerSample: METRICS.length,
    valueFormat: 'JSON HostSample',
    topology: 'samples -> host-baseline + failure-risk (2 apps in 1 process)',
  };
  // Once a throughput run of each guarantee has failed, the latency, memory and scale runs would
  // only fail the same way after their own stall timeouts: they are listed with that reason instead.
  const throughputFailures: string[] = [];
  const attempt = async (name: string, fn: () => Promise<void>): Promise<void> => {
    if (!name.startsWith('pipeline.throughput.') && throughputFailures.length >= 2) {
      section.unavailable.push({
        name,
        reason: `not attempted: no throughput run completed (${throughputFailures[1]})`,
      });
      return;
    }
    try {
      await fn();
    } catch (err: unknown) {
      const reason = err instanceof Error ? err.message : String(err);
      section.unavailable.push({ name, reason });
      if (name.startsWith('pipeline.throughput.')) throughputFailures.push(reason.slice(0, 300));
    }
  };

  const part = (name: string): boolean => o.pipelineParts.has(name);
  for (const g of part('throughput') ? o.guarantees : []) {
    await attempt(`pipeline.throughput.${g}`, async () => {
      const runs: ProcessRun[] = [];
      for (let i = 0; i < o.repeats; i++)
        runs.push(await runToCompletion(o, s.throughputHosts, s.samplesPerHost, g, 1));
      section.measurements.push({
        name: `pipeline.throughput.${g}`,
        metric: 'throughput',
        unit: 'samples/s',
        median: round(median(runs.map((r) => r.recordsPerSec))),
        runs: runs.map((r) => round(r.recordsPerSec)),
        conditions: {
          ...base,
          samples: s.throughputHosts * s.samplesPerHost,
          hosts: s.throughputHosts,
          processes: 1,
          guarantee: g === 'eos' ? 'exactly-once' : 'at-least-once',
          clock: 'engine start call -> all input offsets committed (both apps)',
        },
        extra: { peakRssMb: round(median(runs.map((r) => r.peakRssMb))) },
      });
    });
  }
  for (const g of part('latency') ? o.guarantees : []) {
    await attempt(`pipeline.latency.${g}`, async () => {
      const runs = [];
      // One run: its p99 already summarises latencySeconds x rate samples, and time is short.
      runs.push(await runLatency(o, g, s));
      section.measurements.push({
        name: `pipeline.latency.${g}`,
        metric: 'p99 end-to-end latency',
        unit: 'ms',
        median: median(runs.map((r) => r.p99)),
        runs: runs.map((r) => r.p99),
        conditions: {
          ...base,
          rate: `${s.latencyRate} samples/s`,
          measuredSeconds: s.latencySeconds,
          hosts: 10_000,
          guarantee: g === 'eos' ? 'exactly-once' : 'at-least-once',
          commitInterval: 'runtime default',
          clock: 'risk output visible (read_committed) - sample event time',
        },
        extra: {
          p50Ms: median(runs.map((r) => r.p50)),
          p95Ms: median(runs.map((r) => r.p95)),
          outputs: median(runs.map((r) => r.samples)),
          // Fewer outputs than samples sent means a backlog: the p99 then understates the lag.
          sentInWindow: median(runs.map((r) => r.sent)),
        },
      });
    });
  }
  if (part('memory') && !s.memoryHosts.includes(100_000)) {
    section.unavailable.push({
      name: 'pipeline.memory.100000',
      reason:
        'not run by default (at the measured throughput it takes over ten minutes): --pipeline-memory-hosts=10000,100000',
    });
  }
  for (const hosts of part('memory') ? s.memoryHosts : []) {
    await attempt(`pipeline.memory.${hosts}`, async () => {
      const runs: ProcessRun[] = [];
      // One run: a peak RSS barely moves between runs, and 100k hosts take minutes.
      runs.push(await runToCompletion(o, hosts, 2, 'alos', 1));
      section.measurements.push({
        name: `pipeline.memory.${hosts}`,
        metric: 'peak RSS',
        unit: 'MiB',
        median: round(median(runs.map((r) => r.peakRssMb))),
        runs: runs.map((r) => round(r.peakRssMb)),
        conditions: { ...base, hosts, samples: hosts * 2, guarantee: 'at-least-once', processes: 1 },
        extra: {
          stateMiB: round(median(runs.map((r) => r.stateBytes)) / 1_048_576, 1),
          // The rate with this many hosts, whose state no longer fits the caches: the fleet-sized case.
          samplesPerSec: round(median(runs.map((r) => r.recordsPerSec))),
        },
      });
    });
  }
  if (part('scale'))
    await attempt('pipeline.scale', async () => {
      const one: number[] = [];
      const two: number[] = [];
      for (let i = 0; i < o.repeats; i++) {
        one.push((await runToCompletion(o, s.throughputHosts, s.samplesPerHost, 'alos', 1)).recordsPerSec);
        two.push((await runToCompletion(o, s.throughputHosts, s.samplesPerHost, 'alos', 2)).recordsPerSec);
      }
      const m = (p: number, runs: number[]): Measurement => ({
        name: `pipeline.scale.${p}-process`,
        metric: 'throughput',
        unit: 'samples/s',
        median: round(median(runs)),
        runs: runs.map((r) => round(r)),
        conditions: {
          ...base,
          samples: s.throughputHosts * s.samplesPerHost,
          hosts: s.throughputHosts,
          processes: p,
          guarantee: 'at-least-once',
          cores: 2,
        },
      });
      section.measurements.push(m(1, one), m(2, two));
    });
  settle(section);
  return section;
}

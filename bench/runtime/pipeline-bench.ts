/**
 * Pipeline benchmark: the hot path metrics.samples -> host-baseline (health.baselines) and
 * metrics.samples -> failure-risk (health.risk), both topologies as StreamsApps in this one process,
 * Avro through the real registry, RocksDB stores with changelogs, on uniquely named topics.
 *   throughput: N pre-produced HostSamples (H hosts x 8 metrics, 10 s apart per host); time from the
 *               first sample processed to the last one processed by BOTH apps, per guarantee;
 *               samples per CPU-second of this process as the figure that survives a shared machine.
 * Exported for the suite (`runPipelineBench`); run alone it writes bench/results/pipeline.json.
 * Env: PIPELINE_SAMPLES (default 40000), PIPELINE_HOSTS (default 2000), PIPELINE_REPEATS (default 3).
 */
import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os, { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Kafka, logLevel, Partitioners } from 'kafkajs';
import { parseFlagsOrExit } from '../../cli/args.js';
import { HOST_SAMPLE_RECORD, type HostSample } from '../../schemas/records/host-sample.js';
import { ensureFleetModelTopics } from '../../streams/processors/failure-risk/fleet-model.js';
import { buildFailureRiskTopology } from '../../streams/processors/failure-risk/topology.js';
import { buildHostBaselineTopology } from '../../streams/processors/host-baseline/topology.js';
import { loadConnection } from '../../streams/runtime/config.js';
import { createLogger } from '../../streams/runtime/logger.js';
import { type Guarantee, StreamsApp } from '../../streams/runtime/streams-app.js';
import { recordSerde } from '../../streams/topic-serdes.js';

export interface PipelineBenchOptions {
  samples?: number;
  hosts?: number;
  repeats?: number;
  partitions?: number;
  guarantees?: Guarantee[];
}

export interface PipelineRun {
  samplesPerSecond: number;
  seconds: number;
  cpuSeconds: number;
  samplesPerCpuSecond: number;
  peakRssMb: number;
}

export interface PipelineBenchResult {
  benchmark: string;
  at: string;
  samples: number;
  hosts: number;
  metricsPerSample: number;
  partitions: number;
  repeats: number;
  atLeastOnce?: PipelineRun & { runs: number[] };
  exactlyOnce?: PipelineRun & { runs: number[] };
  loadAverage: number[];
  cpus: number;
}

const METRICS = [
  'cpu.utilization',
  'mem.utilization',
  'disk.utilization',
  'http.error_rate',
  'net.errors_per_sec',
  'app.errors_per_sec',
  'load.avg1',
  'http.latency_p99_ms',
];

function sampleOf(i: number, hosts: number): HostSample {
  const h = i % hosts;
  const step = Math.floor(i / hosts);
  const metrics: Record<string, number> = {};
  METRICS.forEach((m, k) => {
    metrics[m] = 0.3 + 0.2 * Math.sin(step / 50 + k + h) + 0.01 * Math.cos(step * 7.3 + k);
  });
  return {
    host: `host-${h}`,
    region: `r-${h % 4}`,
    zone: `z-${h % 12}`,
    timestamp: 1_700_000_000_000 + step * 10_000,
    metrics,
    tags: {},
    source: 'bench',
  };
}

async function once(guarantee: Guarantee, o: Required<PipelineBenchOptions>): Promise<PipelineRun> {
  const conn = loadConnection();
  const kafka = new Kafka({ clientId: 'pipeline-bench', brokers: conn.brokers, logLevel: logLevel.ERROR });
  const id = randomUUID().slice(0, 8);
  const t = {
    samples: `bench.pl.samples.${id}`,
    baselines: `bench.pl.baselines.${id}`,
    risk: `bench.pl.risk.${id}`,
    failures: `bench.pl.failures.${id}`,
    deployments: `bench.pl.deployments.${id}`,
  };
  const apps = { baseline: `bench-pl-base-${id}`, risk: `bench-pl-risk-${id}` };
  const admin = kafka.admin();
  await admin.connect();
  // The shared broker sometimes answers UNKNOWN_TOPIC_OR_PARTITION while leaders settle under load.
  for (let attempt = 1; ; attempt++) {
    try {
      await admin.createTopics({
        topics: Object.values(t).map((topic) => ({ topic, numPartitions: o.partitions })),
        waitForLeaders: true,
      });
      break;
    } catch (err: unknown) {
      const exists = new Set(await admin.listTopics());
      if (Object.values(t).every((x) => exists.has(x))) break;
      if (attempt >= 3) throw err;
      await new Promise((r) => setTimeout(r, 1_000 * attempt));
    }
  }
  // Where the risk app sends its labelled examples (the fleet model's topics, fleet-model.ts).
  await ensureFleetModelTopics(admin, apps.risk);
  const stateDir = await mkdtemp(join(tmpdir(), 'bench-pl-'));
  const logger = createLogger('bench', 'warn');
  const running: StreamsApp[] = [];
  try {
    const sampleSerde = recordSerde(HOST_SAMPLE_RECORD);
    const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    for (let i = 0; i < o.samples; i += 1_000) {
      const messages = [];
      for (let j = i; j < Math.min(o.samples, i + 1_000); j++) {
        const s = sampleOf(j, o.hosts);
        messages.push({ key: s.host, value: await sampleSerde.serialize(t.samples, s) });
      }
      await producer.send({ topic: t.samples, messages, acks: 1 });
    }
    await producer.disconnect();

    const baseline = new StreamsApp(
      buildHostBaselineTopology({ applicationId: apps.baseline, inputTopic: t.samples, outputTopic: t.baselines }),
      { guarantee, connection: conn, stateDir, logger },
    );
    const risk = new StreamsApp(
      buildFailureRiskTopology({
        applicationId: apps.risk,
        samplesTopic: t.samples,
        failuresTopic: t.failures,
        deploymentsTopic: t.deployments,
        riskTopic: t.risk,
      }),
      { guarantee, connection: conn, stateDir, logger },
    );
    const processed = async (app: StreamsApp, node: string): Promise<number> => {
      const m = await app.metrics.recordsIn.get();
      return m.values.find((v) => v.labels.processor === node)?.value ?? 0;
    };
    for (const app of [baseline, risk]) {
      await app.start();
      running.push(app);
    }
    let first = 0;
    let cpuStart = process.cpuUsage();
    for (;;) {
      const a = await processed(baseline, 'host-baseline');
      const b = await processed(risk, 'failure-risk');
      if (a + b > 0 && first === 0) {
        first = performance.now();
        cpuStart = process.cpuUsage();
      }
      if (a >= o.samples && b >= o.samples) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    const seconds = (performance.now() - first) / 1000;
    const cpu = process.cpuUsage(cpuStart);
    const cpuSeconds = (cpu.user + cpu.system) / 1e6;
    return {
      samplesPerSecond: Math.round(o.samples / seconds),
      seconds: Number(seconds.toFixed(2)),
      cpuSeconds: Number(cpuSeconds.toFixed(2)),
      samplesPerCpuSecond: Math.round(o.samples / cpuSeconds),
      peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
    };
  } finally {
    for (const app of running) await app.close().catch(() => undefined);
    await rm(stateDir, { recursive: true, force: true });
    const doomed = (await admin.listTopics()).filter(
      (x) =>
        Object.values(t).includes(x) ||
        x.startsWith(`${t.samples}.`) ||
        x.startsWith(`${t.failures}.`) ||
        x.startsWith(`${t.deployments}.`) ||
        Object.values(apps).some((a) => x.startsWith(`${a}-`) || x.startsWith(`${a}.`)),
    );
    await admin.deleteTopics({ topics: doomed }).catch(() => undefined);
    await admin.deleteGroups(Object.values(apps)).catch(() => undefined);
    await admin.disconnect();
    // Subjects of these throw-away topics would otherwise pile up in the shared registry.
    for (const topic of [t.samples, t.baselines, t.risk]) {
      await fetch(`${conn.registryUrl}/subjects/${topic}-value`, { method: 'DELETE' }).catch(() => undefined);
    }
  }
}

function median(runs: PipelineRun[]): PipelineRun & { runs: number[] } {
  const sorted = [...runs].sort((a, b) => a.samplesPerSecond - b.samplesPerSecond);
  return { ...sorted[Math.floor((sorted.length - 1) / 2)]!, runs: runs.map((r) => r.samplesPerSecond) };
}

/** Runs the pipeline benchmark; each guarantee `repeats` times on fresh topics, median reported. */
export async function runPipelineBench(options: PipelineBenchOptions = {}): Promise<PipelineBenchResult> {
  const o: Required<PipelineBenchOptions> = {
    samples: options.samples ?? 40_000,
    hosts: options.hosts ?? 2_000,
    repeats: options.repeats ?? 3,
    partitions: options.partitions ?? 3,
    guarantees: options.guarantees ?? ['at-least-once', 'exactly-once'],
  };
  const result: PipelineBenchResult = {
    benchmark: 'pipeline metrics.samples -> host-baseline + failure-risk (Avro, RocksDB, 1 process)',
    at: new Date().toISOString(),
    samples: o.samples,
    hosts: o.hosts,
    metricsPerSample: METRICS.length,
    partitions: o.partitions,
    repeats: o.repeats,
    loadAverage: [],
    cpus: os.cpus().length,
  };
  for (const g of o.guarantees) {
    const runs: PipelineRun[] = [];
    for (let i = 0; i < o.repeats; i++) runs.push(await once(g, o));
    if (g === 'at-least-once') result.atLeastOnce = median(runs);
    else result.exactlyOnce = median(runs);
  }
  result.loadAverage = os.loadavg().map((l) => Number(l.toFixed(2)));
  return result;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  parseFlagsOrExit(process.argv.slice(2), {
    command: 'pipeline-bench',
    usage:
      'usage: [PIPELINE_SAMPLES=N PIPELINE_HOSTS=N PIPELINE_REPEATS=N] node --import tsx bench/runtime/pipeline-bench.ts',
    options: {},
  });
  const result = await runPipelineBench({
    samples: Number(process.env.PIPELINE_SAMPLES ?? '40000'),
    hosts: Number(process.env.PIPELINE_HOSTS ?? '2000'),
    repeats: Number(process.env.PIPELINE_REPEATS ?? '3'),
  });
  console.log(JSON.stringify(result, null, 2));
  await mkdir('bench/results', { recursive: true });
  await writeFile('bench/results/pipeline.json', `${JSON.stringify(result, null, 2)}\n`);
  process.exit(0);
}

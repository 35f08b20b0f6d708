/**
 * Broker-free profile of the pipeline's two processors, to see where a sample's time goes before
 * Kafka is involved (the suite's pipeline stage measures the whole thing on the broker):
 * - `riskEngineUs`, `baselineEngineUs`: the pure maths per sample (evaluateSample, updateHostBaseline)
 *   on hosts already warmed with `--warm` samples (10 s apart; 400 fill every window and ring);
 * - `state`: bytes and codec time of each processor's per-host state through its store's serde;
 * - `driverUs`: one sample through each topology in the in-memory TopologyTestDriver, which commits
 *   after every record, so every record pays a decode and an encode of its host's state (the worst
 *   case of a commit interval holding one sample per host).
 * CPU time, medians of `--repeats`; prints JSON.
 *   node --import tsx bench/suite/pipeline-engine-bench.ts --hosts=50 --warm=400 --samples=200 --repeats=5
 */
import { numberFlag, parseFlags, runMain } from '../../cli/args.js';
import type { HostSample } from '../../schemas/records/host-sample.js';
import { BASELINES_TOPIC, RISK_TOPIC, SAMPLES_TOPIC } from '../../streams/catalogue.js';
import { newModel } from '../../streams/processors/failure-risk/model.js';
import { HOST_STORE } from '../../streams/processors/failure-risk/names.js';
import {
  evaluateSample,
  type HostRiskState,
  newHostRiskState,
} from '../../streams/processors/failure-risk/risk-engine.js';
import { buildFailureRiskTopology } from '../../streams/processors/failure-risk/topology.js';
import {
  type HostBaselineState,
  newHostBaselineState,
  updateHostBaseline,
} from '../../streams/processors/host-baseline/host-state.js';
import { BASELINE_STORE } from '../../streams/processors/host-baseline/names.js';
import { buildHostBaselineTopology } from '../../streams/processors/host-baseline/topology.js';
import { jsonSerde, type Serde } from '../../streams/runtime/serdes.js';
import type { Topology } from '../../streams/runtime/topology.js';
import { TopologyTestDriver } from '../../streams/testing/topology-test-driver.js';
import { median, round } from './stats.js';

/** The suite's eight metrics plus the error rate, so the error-growth regression runs too. */
const METRICS = [
  'cpu.utilization',
  'cpu.iowait',
  'cpu.load1',
  'mem.utilization',
  'mem.used_bytes',
  'disk.utilization',
  'disk.free_bytes',
  'http.error_rate',
];
const T0 = Date.UTC(2026, 0, 5);
const STEP_MS = 10_000;

const FLAGS = {
  command: 'pipeline-engine-bench',
  usage:
    'usage: node --import tsx bench/suite/pipeline-engine-bench.ts [--hosts=N] [--warm=N] [--samples=N] [--repeats=N] [--driver-samples=N]',
  options: {
    hosts: { type: 'string' },
    warm: { type: 'string' },
    samples: { type: 'string' },
    repeats: { type: 'string' },
    'driver-samples': { type: 'string' },
  },
} as const;

type CountFlag = keyof typeof FLAGS.options;

/** Deterministic, smooth plus noise, a slow leak on memory: every code path of the engine runs. */
function sample(host: number, i: number): HostSample {
  const t = T0 + i * STEP_MS;
  const metrics: Record<string, number> = {};
  for (const [k, m] of METRICS.entries()) {
    const wave = 0.3 + 0.2 * Math.sin(i / 60 + host + k) + 0.02 * Math.cos(i * 7.3 + k * 1.7 + host);
    metrics[m] = m.endsWith('bytes')
      ? 1e9 * (1 + wave)
      : m === 'mem.utilization'
        ? Math.min(1, wave + i * 1e-5)
        : m === 'http.error_rate'
          ? 0.001 * (1 + wave)
          : wave;
  }
  return { host: `h-${host}`, region: 'r-1', zone: 'z-1', timestamp: t, metrics, tags: {}, source: 'json' };
}

const cpuUs = (since: NodeJS.CpuUsage): number => {
  const c = process.cpuUsage(since);
  return c.user + c.system;
};

function valueSerdeOf<V>(topology: Topology, store: string): Serde<V> {
  const spec = topology.storeSpecs().find((s) => s.name === store);
  if (!spec) throw new Error(`no store ${store}`);
  return spec.valueSerde as Serde<V>;
}

/** Bytes and CPU µs per encode and decode: warmed up first, then the median of five rounds. */
function codec<V>(serde: Serde<V>, value: V): { bytes: number; encodeUs: number; decodeUs: number } {
  const reps = 200;
  let bytes = serde.serialize('bench', value) as Buffer;
  for (let i = 0; i < 300; i++) serde.deserialize('bench', serde.serialize('bench', value) as Buffer);
  const enc: number[] = [];
  const dec: number[] = [];
  for (let round = 0; round < 5; round++) {
    let t0 = process.cpuUsage();
    for (let i = 0; i < reps; i++) bytes = serde.serialize('bench', value) as Buffer;
    enc.push(cpuUs(t0) / reps);
    t0 = process.cpuUsage();
    for (let i = 0; i < reps; i++) serde.deserialize('bench', bytes);
    dec.push(cpuUs(t0) / reps);
  }
  return { bytes: bytes.length, encodeUs: round(median(enc), 1), decodeUs: round(median(dec), 1) };
}

interface Run {
  riskEngineUs: number;
  baselineEngineUs: number;
  riskDriverUs: number;
  baselineDriverUs: number;
}

async function throughDriver<S>(
  topology: Topology,
  store: string,
  states: S[],
  hostName: (s: S) => string,
  from: number,
  samples: number,
): Promise<number> {
  const driver = new TopologyTestDriver(topology, { initialWallClockMs: T0 });
  const kv = driver.getKeyValueStore<string, S>(store);
  // The warmed states enter the store with the first record's commit.
  for (const s of states) kv.put(hostName(s), s);
  await driver.pipeInput(SAMPLES_TOPIC, 'h-0', sample(0, from), T0 + from * STEP_MS);
  const t0 = process.cpuUsage();
  let n = 0;
  for (let i = from + 1; i < from + 1 + samples; i++) {
    for (let h = 0; h < states.length; h++, n++) {
      await driver.pipeInput(SAMPLES_TOPIC, `h-${h}`, sample(h, i), T0 + i * STEP_MS);
    }
    driver.readOutput(RISK_TOPIC);
    driver.readOutput(BASELINES_TOPIC);
  }
  const us = cpuUs(t0) / n;
  await driver.close();
  return us;
}

async function main(): Promise<number> {
  const { values } = parseFlags(process.argv.slice(2), FLAGS);
  const flag = (name: CountFlag, fallback: number): number =>
    numberFlag(values[name], name, FLAGS, { min: 1, integer: true }) ?? fallback;
  const hosts = flag('hosts', 50);
  const warm = flag('warm', 400);
  const samples = flag('samples', 200);
  const repeats = flag('repeats', 3);
  const driverSamples = flag('driver-samples', 20);
  const runs: Run[] = [];
  let stateReport: Record<string, unknown> = {};
  for (let r = 0; r < repeats; r++) {
    const model = newModel();
    const risk: HostRiskState[] = [];
    const base: HostBaselineState[] = [];
    for (let h = 0; h < hosts; h++) {
      risk.push(newHostRiskState(`h-${h}`, 'r-1', 'z-1'));
      base.push(newHostBaselineState(`h-${h}`));
    }
    for (let i = 0; i < warm; i++) {
      for (let h = 0; h < hosts; h++) {
        const s = sample(h, i);
        evaluateSample(risk[h]!, model, s);
        updateHostBaseline(base[h]!, s);
      }
    }
    let t0 = process.cpuUsage();
    for (let i = warm; i < warm + samples; i++)
      for (let h = 0; h < hosts; h++) evaluateSample(risk[h]!, model, sample(h, i));
    const riskEngineUs = cpuUs(t0) / (samples * hosts);
    t0 = process.cpuUsage();
    for (let i = warm; i < warm + samples; i++)
      for (let h = 0; h < hosts; h++) updateHostBaseline(base[h]!, sample(h, i));
    const baselineEngineUs = cpuUs(t0) / (samples * hosts);
    // The samples themselves are built inside the timed loops; subtract what that costs.
    t0 = process.cpuUsage();
    for (let i = warm; i < warm + samples; i++) for (let h = 0; h < hosts; h++) sample(h, i);
    const sampleUs = cpuUs(t0) / (samples * hosts);

    const riskTopology = buildFailureRiskTopology({
      sampleSerde: jsonSerde(),
      failureSerde: jsonSerde(),
      deploymentSerde: jsonSerde(),
      riskSerde: jsonSerde(),
    });
    const baseTopology = buildHostBaselineTopology({ sampleSerde: jsonSerde(), baselineSerde: jsonSerde() });
    if (r === 0) {
      stateReport = {
        failureRiskHost: codec(valueSerdeOf<HostRiskState>(riskTopology, HOST_STORE), risk[0]!),
        hostBaseline: codec(valueSerdeOf<HostBaselineState>(baseTopology, BASELINE_STORE), base[0]!),
      };
    }
    const at = warm + samples;
    const riskDriverUs = await throughDriver(riskTopology, HOST_STORE, risk, (s) => s.host, at, driverSamples);
    const baselineDriverUs = await throughDriver(baseTopology, BASELINE_STORE, base, (s) => s.host, at, driverSamples);
    runs.push({
      riskEngineUs: riskEngineUs - sampleUs,
      baselineEngineUs: baselineEngineUs - sampleUs,
      riskDriverUs,
      baselineDriverUs,
    });
  }
  const med = (k: keyof Run): number => round(median(runs.map((x) => x[k])), 1);
  console.log(
    JSON.stringify(
      {
        conditions: {
          hosts,
          warmSamplesPerHost: warm,
          timedSamplesPerHost: samples,
          driverSamples,
          repeats,
          metrics: METRICS.length,
        },
        medianUsPerSample: {
          riskEngine: med('riskEngineUs'),
          baselineEngine: med('baselineEngineUs'),
          riskProcessorInDriver: med('riskDriverUs'),
          baselineProcessorInDriver: med('baselineDriverUs'),
        },
        state: stateReport,
        runs: runs.map((x) => Object.fromEntries(Object.entries(x).map(([k, v]) => [k, round(v, 1)]))),
      },
      null,
      2,
    ),
  );
  return 0;
}

runMain(main);

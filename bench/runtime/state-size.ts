/**
 * Size and codec cost of the hot processors' per-host state (failure-risk host state and
 * host-baseline state) as JSON and as packed float64, for a host with 8 metrics after a day of
 * 10 s samples. Prints JSON; no broker needed. `node --import tsx bench/runtime/state-size.ts`
 */

import { parseFlagsOrExit } from '../../cli/args.js';
import type { HostSample } from '../../schemas/records/host-sample.js';
import { newModel } from '../../streams/processors/failure-risk/model.js';
import { evaluateSample, newHostRiskState } from '../../streams/processors/failure-risk/risk-engine.js';
import { newHostBaselineState, updateHostBaseline } from '../../streams/processors/host-baseline/host-state.js';
import { jsonSerde, packedJsonSerde, type Serde } from '../../streams/runtime/serdes.js';

parseFlagsOrExit(process.argv.slice(2), {
  command: 'state-size',
  usage: 'usage: node --import tsx bench/runtime/state-size.ts (no arguments)',
  options: {},
});

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

function sample(i: number): HostSample {
  const t = 1_700_000_000_000 + i * 10_000;
  const metrics: Record<string, number> = {};
  METRICS.forEach((m, k) => {
    metrics[m] = 0.3 + 0.2 * Math.sin(i / 50 + k) + 0.01 * Math.cos(i * 7.3 + k);
  });
  return { host: 'h-1', region: 'r', zone: 'z', timestamp: t, metrics, tags: {}, source: 'bench' };
}

function measure<T>(serde: Serde<T>, value: T): { bytes: number; encodeUs: number; decodeUs: number } {
  const reps = 200;
  let bytes = serde.serialize('t', value) as Buffer;
  // CPU time, not wall time: on a shared machine the wall clock mostly measures the neighbours.
  const cpuUs = (c: NodeJS.CpuUsage): number => c.user + c.system;
  let t0 = process.cpuUsage();
  for (let i = 0; i < reps; i++) bytes = serde.serialize('t', value) as Buffer;
  const encodeUs = cpuUs(process.cpuUsage(t0)) / reps;
  t0 = process.cpuUsage();
  for (let i = 0; i < reps; i++) serde.deserialize('t', bytes);
  const decodeUs = cpuUs(process.cpuUsage(t0)) / reps;
  return { bytes: bytes.length, encodeUs: Math.round(encodeUs), decodeUs: Math.round(decodeUs) };
}

const risk = newHostRiskState('h-1', 'r', 'z');
const model = newModel();
const base = newHostBaselineState('h-1');
for (let i = 0; i < 8_640; i++) {
  const s = sample(i);
  evaluateSample(risk, model, s);
  updateHostBaseline(base, s);
}
const out = {
  failureRiskHostState: { json: measure(jsonSerde(), risk), packed: measure(packedJsonSerde(), risk) },
  hostBaselineState: { json: measure(jsonSerde(), base), packed: measure(packedJsonSerde(), base) },
};
console.log(JSON.stringify(out, null, 2));

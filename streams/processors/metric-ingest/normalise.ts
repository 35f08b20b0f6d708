/**
 * From parsed observations to the canonical HostSample: counters -> per-second rates (with the
 * host's last counter readings; resets handled), ratio and histogram partials -> their targets,
 * instances -> one host value per metric (the catalogue's aggregation), then validation.
 * Validation rejects the whole record with a reason: a sample with one impossible value is a broken
 * agent or a broken pipeline, and half of it would mislead the baseline.
 */
import type { HostSample } from '../../../schemas/records/host-sample.js';
import { aggregate, canonicalMetric, checkValue } from './canonical.js';
import { IngestRejection, type Observation, type ParsedSample } from './types.js';

/**
 * Last reading of each counter of one host, keyed `<metric>|<instance>`, and the last value of
 * each instance of a multi-instance metric, keyed `i:<metric>|<instance>`.
 */
export interface CounterReading {
  v: number;
  t: number;
}
export type CounterState = Record<string, CounterReading>;

export interface NormaliseOptions {
  /** Samples stamped further ahead of the processing clock than this are rejected. */
  maxFutureMs: number;
  /** Samples older than this (relative to the processing clock) are rejected. */
  maxAgeMs: number;
  /** Counter readings older than this are forgotten instead of yielding a rate over a long gap. */
  counterTtlMs: number;
  /** Instances stamped within this of each other belong to the same collection cycle. */
  instanceMergeMs: number;
}

export const DEFAULT_NORMALISE_OPTIONS: NormaliseOptions = {
  maxFutureMs: 15 * 60_000,
  maxAgeMs: 7 * 86_400_000,
  counterTtlMs: 60 * 60_000,
  instanceMergeMs: 1_000,
};

/**
 * Per-second rate of a cumulative counter. A drop means the counter restarted (agent or host
 * restart, 32-bit wrap): the increase since the restart is the new value, as Prometheus assumes.
 * Returns undefined for the first reading or a non-increasing timestamp.
 */
export function counterRate(prev: CounterReading | undefined, v: number, t: number): number | undefined {
  if (!prev || t <= prev.t) return undefined;
  const increase = v >= prev.v ? v - prev.v : v;
  return increase / ((t - prev.t) / 1000);
}

/** Linear-interpolated quantile from histogram buckets (upper bounds ascending, last = +Inf). */
export function histogramQuantile(
  buckets: ReadonlyArray<{ upper: number; count: number }>,
  q: number,
): number | undefined {
  const total = buckets.reduce((a, b) => a + b.count, 0);
  if (total <= 0) return undefined;
  const rank = q * total;
  let seen = 0;
  let lower = 0;
  for (const b of buckets) {
    if (seen + b.count >= rank && b.count > 0) {
      // The +Inf bucket has no upper edge: report its lower edge (the largest finite bound).
      if (!Number.isFinite(b.upper)) return lower;
      return lower + ((rank - seen) / b.count) * (b.upper - lower);
    }
    seen += b.count;
    if (Number.isFinite(b.upper)) lower = b.upper;
  }
  return lower;
}

/**
 * The checks that need no state: host, timestamp window, finite values, non-negative counters and
 * the range of canonical gauges as reported. Runs before the repartition by host, so bad records
 * are dead-lettered against the raw topic they came from. Throws IngestRejection.
 */
export function validateParsed(
  parsed: ParsedSample,
  now: number,
  opts: NormaliseOptions = DEFAULT_NORMALISE_OPTIONS,
): void {
  if (parsed.host === '') throw new IngestRejection(`${parsed.source}: no host in the sample`, parsed.source);
  // A sample that carries no value at all would otherwise vanish without a trace downstream.
  if (parsed.observations.length === 0)
    throw new IngestRejection(`${parsed.source}: no metrics or counters in the sample`, parsed.source);
  if (!Number.isFinite(parsed.timestamp) || parsed.timestamp <= 0)
    throw new IngestRejection(`${parsed.source}: no valid timestamp`, parsed.source);
  if (parsed.timestamp > now + opts.maxFutureMs) {
    const ahead = Math.round((parsed.timestamp - now) / 60_000);
    throw new IngestRejection(
      `timestamp ${new Date(parsed.timestamp).toISOString()} is ${ahead} min in the future`,
      parsed.source,
    );
  }
  if (parsed.timestamp < now - opts.maxAgeMs) {
    throw new IngestRejection(
      `timestamp ${new Date(parsed.timestamp).toISOString()} is older than ${opts.maxAgeMs / 86_400_000} days`,
      parsed.source,
    );
  }
  for (const o of parsed.observations) {
    if (!Number.isFinite(o.value))
      throw new IngestRejection(`${o.name} is not a finite number (${o.value})`, parsed.source);
    if (o.kind === 'counter' && o.value < 0)
      throw new IngestRejection(`counter ${o.name} is negative (${o.value})`, parsed.source);
    if (o.kind === 'gauge' && (o.scale ?? 1) === 1) {
      const checked = checkValue(o.name, o.value);
      if (typeof checked === 'string') throw new IngestRejection(checked, parsed.source);
    }
  }
}

export interface NormaliseResult {
  sample: HostSample;
  counters: CounterState;
}

function push(map: Map<string, Map<string, number>>, name: string, instance: string, value: number): void {
  let m = map.get(name);
  if (!m) {
    m = new Map();
    map.set(name, m);
  }
  // Two readings of one instance in one sample: the later wins.
  m.set(instance, value);
}

/**
 * Normalises one parsed sample. `counters` is the host's counter state (not mutated; the new state
 * is returned). Throws IngestRejection with the reason for anything impossible.
 */
export function normaliseSample(
  parsed: ParsedSample,
  counters: CounterState,
  now: number,
  opts: NormaliseOptions = DEFAULT_NORMALISE_OPTIONS,
): NormaliseResult {
  validateParsed(parsed, now, opts);
  const t = parsed.timestamp;
  const next: CounterState = {};
  for (const [k, r] of Object.entries(counters)) if (t - r.t <= opts.counterTtlMs) next[k] = r;
  const byName = new Map<string, Map<string, number>>();
  const add = (o: Observation, value: number) => push(byName, o.name, o.instance ?? '', value * (o.scale ?? 1));
  for (const o of parsed.observations) {
    if (o.kind === 'gauge') {
      add(o, o.value);
      continue;
    }
    const key = `${o.name}|${o.instance ?? ''}`;
    const prev = next[key];
    if (prev && t < prev.t) continue; // an older reading arriving late: the newer one stays
    const rate = counterRate(prev, o.value, t);
    next[key] = { v: o.value, t };
    if (rate !== undefined) add(o, rate);
  }

  const metrics: Record<string, number> = {};
  const derived = new Map<string, number[]>();
  const addDerived = (name: string, v: number) => derived.set(name, [...(derived.get(name) ?? []), v]);
  for (const [name, instances] of byName) {
    if (name.startsWith('_ratio.') && name.endsWith('.num')) {
      const target = name.slice('_ratio.'.length, -'.num'.length);
      const den = byName.get(`_ratio.${target}.den`);
      // Ratios are taken per group before the '/' in the instance (a CPU, a series): num and den
      // share it, so e.g. busy/total is computed per CPU and then averaged.
      const group = (inst: string) => inst.split('/')[0] ?? '';
      const nums = new Map<string, number>();
      const dens = new Map<string, number>();
      for (const [i, v] of instances) nums.set(group(i), (nums.get(group(i)) ?? 0) + v);
      for (const [i, v] of den ?? []) dens.set(group(i), (dens.get(group(i)) ?? 0) + v);
      let numSum = 0;
      let denSum = 0;
      for (const [g, d] of dens) {
        numSum += nums.get(g) ?? 0;
        denSum += d;
      }
      if (target === 'cpu.utilization' || target === 'mem.utilization' || target === 'http.error_rate') {
        if (denSum > 0) addDerived(target, numSum / denSum);
        else if (target === 'http.error_rate' && den) addDerived(target, 0);
      }
      continue;
    }
    if (name.startsWith('_ratio.')) continue;
    if (name.startsWith('_hist.')) {
      const target = name.slice('_hist.'.length);
      const buckets = new Map<number, number>();
      for (const [inst, v] of instances) {
        const upperText = inst.split('|')[1] ?? 'Inf';
        const upper = upperText === 'Inf' ? Number.POSITIVE_INFINITY : Number(upperText);
        buckets.set(upper, (buckets.get(upper) ?? 0) + v);
      }
      const sorted = [...buckets.entries()].sort((a, b) => a[0] - b[0]).map(([upper, count]) => ({ upper, count }));
      for (const [q, suffix] of [
        [0.5, 'p50'],
        [0.95, 'p95'],
        [0.99, 'p99'],
      ] as const) {
        const v = histogramQuantile(sorted, q);
        if (v !== undefined) addDerived(`${target}_${suffix}_ms`, v);
      }
      continue;
    }
    // Agents often send one instance per message (Telegraf: one metric per message; collectd: one
    // mount per value list): instances of the same collection cycle seen in earlier messages join
    // the aggregate, so "the fullest filesystem" does not flip between mounts message by message.
    const merged = new Map(instances);
    for (const [inst, v] of instances) if (inst !== '') next[`i:${name}|${inst}`] = { v, t };
    if (instances.size > 0 && ![...instances.keys()].includes('')) {
      const prefix = `i:${name}|`;
      for (const [k, r] of Object.entries(next)) {
        if (!k.startsWith(prefix)) continue;
        const inst = k.slice(prefix.length);
        if (!merged.has(inst) && Math.abs(r.t - t) <= opts.instanceMergeMs) merged.set(inst, r.v);
      }
    }
    metrics[name] = aggregate(canonicalMetric(name)?.aggregation ?? 'sum', [...merged.values()]);
  }
  for (const [name, values] of derived) {
    if (metrics[name] === undefined) metrics[name] = aggregate(canonicalMetric(name)?.aggregation ?? 'mean', values);
  }
  for (const [name, value] of Object.entries(metrics)) {
    const checked = checkValue(name, value);
    if (typeof checked === 'string') throw new IngestRejection(checked, parsed.source);
    metrics[name] = checked;
  }
  return {
    sample: {
      host: parsed.host,
      region: parsed.region,
      zone: parsed.zone,
      timestamp: t,
      metrics,
      tags: parsed.tags,
      source: parsed.source,
    },
    counters: next,
  };
}

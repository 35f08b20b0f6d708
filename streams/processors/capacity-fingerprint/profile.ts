/**
 * Pure capacity-profile maths: mergeable per-pane accumulators (a DDSketch per metric plus
 * count/sum/sum-of-squares), time-decayed moving averages with several half-lives, and the
 * summary profile built from them. Host-level (per instance, per pane) accumulators merge into
 * service-level and region-level ones because DDSketch merges are exact for a shared mapping.
 */
import { DDSketch } from '@datadog/sketches-js';
import { CAPACITY_METRICS, type CapacityMetric } from './metrics.js';

/** Default sketch accuracy: a decoded percentile is within 0.5% of the exact one (target is 1%). */
export const DEFAULT_RELATIVE_ACCURACY = 0.005;

export interface MetricAccumulator {
  sketch: DDSketch;
  count: number;
  sum: number;
  sumSquares: number;
}

/** Everything one scope (a region, or a region × service) saw during one pane of time. */
export interface PaneState {
  paneStart: number;
  metrics: Partial<Record<CapacityMetric, MetricAccumulator>>;
  /** Distinct hosts and instances seen in the pane. */
  hosts: Set<string>;
  instances: Set<string>;
  samples: number;
}

export function newPane(paneStart: number): PaneState {
  return { paneStart, metrics: {}, hosts: new Set(), instances: new Set(), samples: 0 };
}

export function newAccumulator(relativeAccuracy = DEFAULT_RELATIVE_ACCURACY): MetricAccumulator {
  return { sketch: new DDSketch({ relativeAccuracy }), count: 0, sum: 0, sumSquares: 0 };
}

export function accept(acc: MetricAccumulator, value: number): void {
  // Capacity metrics are non-negative; a negative reading is a counter reset, clamped to zero.
  const v = Number.isFinite(value) && value > 0 ? value : 0;
  acc.sketch.accept(v);
  acc.count += 1;
  acc.sum += v;
  acc.sumSquares += v * v;
}

/**
 * Merges `source`'s buckets into `target`. Not DDSketch.merge: in @datadog/sketches-js 2.1 a store
 * whose highest key is 0 (values in (0.995, 1], e.g. saturated utilisation) is merged past the end
 * of the target's bins (`secondKey || key` treats key 0 as absent) and corrupts the quantiles.
 * Re-accepting each bucket's representative value with its count is exact: it maps to the same key.
 */
export function mergeSketch(target: DDSketch, source: DDSketch): void {
  if (source.zeroCount > 0) target.accept(0, source.zeroCount);
  const store = source.store;
  for (let i = 0; i < store.bins.length; i++) {
    const count = store.bins[i]!;
    if (count > 0) target.accept(source.mapping.value(i + store.offset), count);
  }
}

export function mergeInto(target: MetricAccumulator, source: MetricAccumulator): void {
  if (source.count === 0) return;
  mergeSketch(target.sketch, source.sketch);
  target.count += source.count;
  target.sum += source.sum;
  target.sumSquares += source.sumSquares;
}

/** Adds one sample's capacity metrics to a pane. */
export function addToPane(
  pane: PaneState,
  host: string,
  instance: string,
  values: Partial<Record<CapacityMetric, number>>,
  relativeAccuracy = DEFAULT_RELATIVE_ACCURACY,
): void {
  for (const metric of CAPACITY_METRICS) {
    const v = values[metric];
    if (v === undefined) continue;
    let acc = pane.metrics[metric];
    if (!acc) {
      acc = newAccumulator(relativeAccuracy);
      pane.metrics[metric] = acc;
    }
    accept(acc, v);
  }
  pane.hosts.add(host);
  pane.instances.add(instance);
  pane.samples += 1;
}

/** Time-decayed means: weight of a sample at age a is 2^(-a/halfLife), one per half-life. */
export interface DecayedMeans {
  halfLivesMs: number[];
  /** Latest event time folded in. */
  timestamp: number;
  /** Per metric, per half-life: decayed weighted sum and decayed weight. */
  sums: Partial<Record<CapacityMetric, number[]>>;
  weights: Partial<Record<CapacityMetric, number[]>>;
}

export function newDecayedMeans(halfLivesMs: number[]): DecayedMeans {
  return { halfLivesMs: [...halfLivesMs], timestamp: -1, sums: {}, weights: {} };
}

/**
 * Folds one sample in. Weighted sums (not a per-sample EWMA) so that interleaved samples from many
 * instances of a service, arriving microseconds apart, all count instead of nearly none.
 */
export function updateDecayedMeans(
  state: DecayedMeans,
  timestamp: number,
  values: Partial<Record<CapacityMetric, number>>,
): void {
  const from = state.timestamp < 0 ? timestamp : state.timestamp;
  const advance = Math.max(0, timestamp - from);
  // Late samples keep the clock where it is and enter already decayed by their age.
  const lateness = Math.max(0, from - timestamp);
  for (const metric of CAPACITY_METRICS) {
    let sums = state.sums[metric];
    let weights = state.weights[metric];
    if (!sums || !weights) {
      sums = state.halfLivesMs.map(() => 0);
      weights = state.halfLivesMs.map(() => 0);
      state.sums[metric] = sums;
      state.weights[metric] = weights;
    }
    const v = values[metric];
    for (let i = 0; i < state.halfLivesMs.length; i++) {
      const h = state.halfLivesMs[i]!;
      const decay = 2 ** (-advance / h);
      sums[i] = sums[i]! * decay;
      weights[i] = weights[i]! * decay;
      if (v !== undefined && Number.isFinite(v)) {
        const w = 2 ** (-lateness / h);
        sums[i] = sums[i]! + w * Math.max(0, v);
        weights[i] = weights[i]! + w;
      }
    }
  }
  state.timestamp = Math.max(state.timestamp, timestamp);
}

export function decayedMean(state: DecayedMeans, metric: CapacityMetric): number[] | undefined {
  const sums = state.sums[metric];
  const weights = state.weights[metric];
  if (!sums || !weights || weights.every((w) => w === 0)) return undefined;
  return sums.map((s, i) => (weights[i]! > 0 ? s / weights[i]! : 0));
}

export const PERCENTILES = [0.5, 0.9, 0.95, 0.99] as const;

export interface MetricSummary {
  mean: number;
  std: number;
  p50: number;
  p90: number;
  p95: number;
  p99: number;
  /** Time-decayed means, one per profile half-life (same order as CapacityProfile.halfLivesMs). */
  ewma: number[];
}

export interface ServiceProfile {
  service: string;
  hostCount: number;
  instanceCount: number;
  sampleCount: number;
  metrics: Partial<Record<CapacityMetric, MetricSummary>>;
}

export interface CapacityProfile {
  region: string;
  windowStart: number;
  windowEnd: number;
  halfLivesMs: number[];
  hostCount: number;
  instanceCount: number;
  sampleCount: number;
  metrics: Partial<Record<CapacityMetric, MetricSummary>>;
  /** Sorted by service name. */
  services: ServiceProfile[];
}

export function summarise(acc: MetricAccumulator, ewma: number[]): MetricSummary {
  const mean = acc.count > 0 ? acc.sum / acc.count : 0;
  const variance = acc.count > 1 ? Math.max(0, (acc.sumSquares - acc.count * mean * mean) / (acc.count - 1)) : 0;
  const q = (p: number): number => Math.max(0, acc.sketch.getValueAtQuantile(p));
  return { mean, std: Math.sqrt(variance), p50: q(0.5), p90: q(0.9), p95: q(0.95), p99: q(0.99), ewma };
}

/** Merged accumulators of one scope over a window of panes. */
export interface ScopeWindow {
  metrics: Partial<Record<CapacityMetric, MetricAccumulator>>;
  hosts: Set<string>;
  instances: Set<string>;
  samples: number;
}

export function mergePanes(panes: Iterable<PaneState>, relativeAccuracy = DEFAULT_RELATIVE_ACCURACY): ScopeWindow {
  const out: ScopeWindow = { metrics: {}, hosts: new Set(), instances: new Set(), samples: 0 };
  for (const pane of panes) {
    for (const metric of CAPACITY_METRICS) {
      const src = pane.metrics[metric];
      if (!src) continue;
      let acc = out.metrics[metric];
      if (!acc) {
        acc = newAccumulator(relativeAccuracy);
        out.metrics[metric] = acc;
      }
      mergeInto(acc, src);
    }
    for (const h of pane.hosts) out.hosts.add(h);
    for (const i of pane.instances) out.instances.add(i);
    out.samples += pane.samples;
  }
  return out;
}

function summariseScope(
  window: ScopeWindow,
  means: DecayedMeans | undefined,
): Partial<Record<CapacityMetric, MetricSummary>> {
  const out: Partial<Record<CapacityMetric, MetricSummary>> = {};
  for (const metric of CAPACITY_METRICS) {
    const acc = window.metrics[metric];
    if (!acc || acc.count === 0) continue;
    const fallback = acc.sum / acc.count;
    const ewma = (means && decayedMean(means, metric)) ?? means?.halfLivesMs.map(() => fallback) ?? [];
    out[metric] = summarise(acc, ewma);
  }
  return out;
}

export interface ProfileInput {
  region: string;
  windowStart: number;
  windowEnd: number;
  halfLivesMs: number[];
  /** Region-scope window (every sample of the region). */
  regionWindow: ScopeWindow;
  regionMeans?: DecayedMeans;
  services: Map<string, { window: ScopeWindow; means?: DecayedMeans }>;
}

/** Builds the summary profile that a fingerprint encodes. */
export function buildProfile(input: ProfileInput): CapacityProfile {
  const services: ServiceProfile[] = [...input.services.entries()]
    .filter(([, s]) => s.window.samples > 0)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([service, s]) => ({
      service,
      hostCount: s.window.hosts.size,
      instanceCount: s.window.instances.size,
      sampleCount: s.window.samples,
      metrics: summariseScope(s.window, s.means),
    }));
  return {
    region: input.region,
    windowStart: input.windowStart,
    windowEnd: input.windowEnd,
    halfLivesMs: [...input.halfLivesMs],
    hostCount: input.regionWindow.hosts.size,
    instanceCount: services.reduce((n, s) => n + s.instanceCount, 0),
    sampleCount: input.regionWindow.samples,
    metrics: summariseScope(input.regionWindow, input.regionMeans),
    services,
  };
}

/** Exact lower nearest-rank quantile (the rank DDSketch answers for): sorted[floor(q·(n-1))]. */
export function exactQuantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.floor(q * (sorted.length - 1))]!;
}

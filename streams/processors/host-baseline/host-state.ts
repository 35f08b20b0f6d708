/**
 * A host's baseline state, as pure functions: the per-metric baselines of one host (baseline.ts)
 * updated by its samples, whether it changed enough to publish, the published HostBaseline record,
 * and the seasonal medians from its hourly history.
 */
import type { HostBaseline, MetricBaseline } from '../../../schemas/records/host-baseline.js';
import type { HostSample } from '../../../schemas/records/host-sample.js';
import {
  type BaselineOptions,
  DEFAULT_BASELINE_OPTIONS,
  isWarm,
  type MetricBaselineState,
  newMetricBaseline,
  quantileSorted,
  robustScale,
  summariseBaseline,
  updateMetricBaseline,
} from './baseline.js';

export interface HostBaselineState {
  host: string;
  region: string;
  zone: string;
  sampleCount: number;
  lastTs: number;
  metrics: Record<string, MetricBaselineState>;
  lastEmittedAt: number;
  emittedWarm: boolean;
  /** Median and spread of each metric as last published. */
  emitted: Record<string, { median: number; scale: number }>;
}

/** Hourly aggregate per metric (window store value). */
export type HourlyMeans = Record<string, { n: number; sum: number }>;

export function newHostBaselineState(host: string): HostBaselineState {
  return {
    host,
    region: '',
    zone: '',
    sampleCount: 0,
    lastTs: 0,
    metrics: {},
    lastEmittedAt: 0,
    emittedWarm: false,
    emitted: {},
  };
}

/** Folds a sample into the host's baselines (in place). */
export function updateHostBaseline(
  state: HostBaselineState,
  sample: HostSample,
  opts: BaselineOptions = DEFAULT_BASELINE_OPTIONS,
): void {
  if (sample.region) state.region = sample.region;
  if (sample.zone) state.zone = sample.zone;
  state.sampleCount++;
  state.lastTs = Math.max(state.lastTs, sample.timestamp);
  for (const [name, value] of Object.entries(sample.metrics)) {
    if (!Number.isFinite(value)) continue;
    let m = state.metrics[name];
    if (!m) {
      m = newMetricBaseline(opts);
      state.metrics[name] = m;
    }
    updateMetricBaseline(m, sample.timestamp, value, opts);
  }
}

export function allWarm(state: HostBaselineState, opts: BaselineOptions = DEFAULT_BASELINE_OPTIONS): boolean {
  const ms = Object.values(state.metrics);
  return ms.length > 0 && ms.every((m) => isWarm(m, opts));
}

/** Whether the baseline moved enough since it was last published to publish it now. */
export function materiallyChanged(
  state: HostBaselineState,
  threshold: number,
  opts: BaselineOptions = DEFAULT_BASELINE_OPTIONS,
): boolean {
  if (allWarm(state, opts) !== state.emittedWarm) return true;
  for (const [name, m] of Object.entries(state.metrics)) {
    const prev = state.emitted[name];
    if (!prev) return true;
    if (!isWarm(m, opts)) continue;
    if (Math.abs(m.stats.median - prev.median) > threshold * prev.scale) return true;
  }
  return false;
}

/** Builds the published record and remembers what was published (in place). */
export function baselineRecord(
  state: HostBaselineState,
  t: number,
  seasonal: Record<string, number> = {},
  opts: BaselineOptions = DEFAULT_BASELINE_OPTIONS,
): HostBaseline {
  const metrics: Record<string, MetricBaseline> = {};
  for (const [name, m] of Object.entries(state.metrics)) {
    const s = summariseBaseline(m, t, opts);
    if (seasonal[name] !== undefined) s.seasonalMedian = seasonal[name]!;
    metrics[name] = s;
    state.emitted[name] = { median: m.stats.median, scale: robustScale(m.stats, m.stats.median) };
  }
  state.lastEmittedAt = t;
  state.emittedWarm = allWarm(state, opts);
  return {
    host: state.host,
    region: state.region,
    zone: state.zone,
    timestamp: t,
    warm: state.emittedWarm,
    sampleCount: state.sampleCount,
    metrics,
  };
}

/** Median of the same hour-of-week over past weeks, per metric, from hourly means (needs two weeks). */
export function seasonalMedians(history: readonly HourlyMeans[]): Record<string, number> {
  const values: Record<string, number[]> = {};
  for (const h of history) {
    for (const [name, a] of Object.entries(h)) {
      if (a.n > 0) values[name] = [...(values[name] ?? []), a.sum / a.n];
    }
  }
  const out: Record<string, number> = {};
  for (const [name, vs] of Object.entries(values))
    if (vs.length >= 2)
      out[name] = quantileSorted(
        [...vs].sort((a, b) => a - b),
        0.5,
      );
  return out;
}

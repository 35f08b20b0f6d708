/**
 * Failure-risk features of one host, updated per sample (pure maths, plain-JSON state).
 *
 * - deviation: robust deviation of each metric from its (seasonal) baseline, smoothed over a few
 *   samples so one spike is not a deviation; how many metrics deviate together;
 * - the streaming anomaly evidence (the graded output of the NAB-benchmarked scorer);
 * - trend: least-squares slope over a sliding window for filling resources, giving time to
 *   exhaustion (memory, disk); the windows keep running moments (`sliding-fit.ts`), so a sample
 *   costs O(1) instead of a regression over the whole window;
 * - error acceleration: the growth rate of error rates (slope of log error rate), counted only
 *   while the error rate deviates from its baseline, so noise on tiny rates is not "growth";
 * - missing samples: the gap before this sample in expected sampling intervals;
 * - failed deployments on the host (decayed count), fed by the deployments table.
 */
import { robustDeviation } from '../host-baseline/baseline.js';
import { canonicalMetric } from '../metric-ingest/canonical.js';
import {
  type AnomalyOptions,
  DEFAULT_ANOMALY_OPTIONS,
  type HostScorerState,
  hostAnomalyEvidence,
  newHostScorer,
} from './anomaly-scorer.js';
import { fitLine, newSlidingFit, pushPoint, type SlidingFit, windowSize } from './sliding-fit.js';

export const FEATURES = [
  'exhaustion',
  'fill',
  'error_growth',
  'error_level',
  'deviation',
  'co_deviation',
  'anomaly',
  'missing',
  'deploy_failures',
] as const;
export type FeatureName = (typeof FEATURES)[number];
export type FeatureVector = Record<FeatureName, number>;

/**
 * Every feature vector is built here, in FEATURES order: one hidden class for all of them (the
 * engine's, the silence check's, the decoded ones), created first with fractions so its fields
 * hold doubles from the start. Built from literals whose first values were 0, the class was
 * re-shaped as doubles arrived, and the examples of older shapes that wait in every host's
 * pending list made each later read of them slow.
 */
export function featureVector(
  exhaustion: number,
  fill: number,
  errorGrowth: number,
  errorLevel: number,
  deviation: number,
  coDeviation: number,
  anomaly: number,
  missing: number,
  deployFailures: number,
): FeatureVector {
  return {
    exhaustion,
    fill,
    error_growth: errorGrowth,
    error_level: errorLevel,
    deviation,
    co_deviation: coDeviation,
    anomaly,
    missing,
    deploy_failures: deployFailures,
  };
}
featureVector(0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5);

/** Projections further out than this are reported as none. */
export const MAX_PROJECTION_MS = 30 * 86_400_000;

/** Error metrics and the level at which they count as a failure (for error time-to-failure). */
export const ERROR_METRICS: Readonly<Record<string, number>> = {
  'http.error_rate': 0.5,
  'app.errors_per_sec': Number.POSITIVE_INFINITY,
  'net.errors_per_sec': Number.POSITIVE_INFINITY,
};
// Walked on every sample: an array, not Object.entries each time.
const ERROR_METRIC_LIST = Object.entries(ERROR_METRICS);

export interface FeatureOptions {
  horizonMs: number;
  /** Sliding window of the trend regressions. */
  trendWindowMs: number;
  /** Minimum points in the window before a slope is trusted. */
  trendMinPoints: number;
  /** |smoothed z| at or above this is a deviation. */
  deviationZ: number;
  /** Smoothing of the per-metric deviation (per sample). */
  zAlpha: number;
  /** A fill metric at this level is exhausted (the host fails there). */
  fillCapacity: number;
  /** Fill level from which the `fill` feature starts to grow. */
  fillWarnLevel: number;
  /** Half-life of the failed-deployments count. */
  deployHalfLifeMs: number;
  /** R² a trend fit needs before its time to exhaustion drives the level. */
  exhaustionMinR2: number;
  anomaly: AnomalyOptions;
}

export const DEFAULT_FEATURE_OPTIONS: FeatureOptions = {
  horizonMs: 30 * 60_000,
  trendWindowMs: 60 * 60_000,
  trendMinPoints: 6,
  deviationZ: 3,
  zAlpha: 0.3,
  fillCapacity: 1,
  fillWarnLevel: 0.8,
  deployHalfLifeMs: 60 * 60_000,
  exhaustionMinR2: 0.7,
  anomaly: DEFAULT_ANOMALY_OPTIONS,
};

export interface HostFeatureState {
  scorer: HostScorerState;
  smoothedZ: Record<string, number>;
  trend: Record<string, SlidingFit>;
  lastTs: number;
  intervalMs: number;
  deployFailures: number;
  deployTs: number;
}

export interface FeatureResult {
  x: FeatureVector;
  /** Highest smoothed |z| over the host's metrics. */
  deviationScore: number;
  deviating: boolean;
  deviatingMetrics: string[];
  /** Earliest projected exhaustion (filling resource or error rate), ms from the sample. */
  timeToFailureMs: number | null;
  /** The exhaustion projection is trustworthy: a steady linear climb (R² high), not a step or noise. */
  exhaustionConfident: boolean;
  /** Level of the resource whose exhaustion is nearest (fraction of capacity), 0 when none. */
  exhaustionFill: number;
  anomalyScore: number;
}

export function newHostFeatures(): HostFeatureState {
  return {
    scorer: newHostScorer(),
    smoothedZ: {},
    trend: {},
    lastTs: 0,
    intervalMs: 0,
    deployFailures: 0,
    deployTs: 0,
  };
}

const clip = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v));

/** How much a trend fit is believed: 0 below R² 0.4 (a step, a burst, noise), 1 from R² 0.8 (a steady climb). */
export function trendConfidence(r2: number): number {
  return clip((r2 - 0.4) / 0.4, 0, 1);
}

function windowOf(state: HostFeatureState, name: string): SlidingFit {
  let w = state.trend[name];
  if (!w) {
    w = newSlidingFit();
    state.trend[name] = w;
  }
  return w;
}

/** Hours until a series growing linearly at `slope` per hour from `level` reaches `capacity`. */
export function timeToExhaustionHours(level: number, slope: number, capacity: number): number | null {
  if (slope <= 0) return null;
  return Math.max(0, (capacity - level) / slope);
}

/** Records a failed deployment on the host (decayed count, half-life in the options). */
export function noteDeploymentFailure(
  state: HostFeatureState,
  t: number,
  opts: FeatureOptions = DEFAULT_FEATURE_OPTIONS,
): void {
  state.deployFailures = decayed(state, t, opts) + 1;
  state.deployTs = Math.max(state.deployTs, t);
}

function decayed(state: HostFeatureState, t: number, opts: FeatureOptions): number {
  if (state.deployFailures === 0) return 0;
  return state.deployFailures * 0.5 ** (Math.max(0, t - state.deployTs) / opts.deployHalfLifeMs);
}

/** Folds one canonical sample into the host's features and returns the feature vector at its time. */
export function updateFeatures(
  state: HostFeatureState,
  sample: { timestamp: number; metrics: Readonly<Record<string, number>> },
  opts: FeatureOptions = DEFAULT_FEATURE_OPTIONS,
): FeatureResult {
  const t = sample.timestamp;
  // Missing samples: the gap in expected intervals, judged before the interval estimate learns it.
  let missing = 0;
  if (state.lastTs > 0 && t > state.lastTs) {
    const gap = t - state.lastTs;
    if (state.intervalMs > 0) missing = clip(gap / state.intervalMs - 1.5, 0, 10) / 5;
    state.intervalMs =
      state.intervalMs === 0 ? gap : state.intervalMs + 0.1 * (Math.min(gap, 3 * state.intervalMs) - state.intervalMs);
  }
  state.lastTs = Math.max(state.lastTs, t);

  // Deviations are measured against the baseline as it was before this sample.
  const deviatingMetrics: string[] = [];
  let deviationScore = 0;
  // for..in over the sample's own plain-object metrics: Object.entries allocated a pair per metric.
  const metrics = sample.metrics;
  for (const name in metrics) {
    const value = metrics[name]!;
    const base = state.scorer.metrics[name]?.baseline;
    if (!base || !Number.isFinite(value)) continue;
    const z = robustDeviation(base, t, value, opts.anomaly.baseline);
    const prev = state.smoothedZ[name] ?? 0;
    const sz = prev + opts.zAlpha * (clip(z, -50, 50) - prev);
    state.smoothedZ[name] = sz;
    if (Math.abs(sz) > deviationScore) deviationScore = Math.abs(sz);
    if (Math.abs(sz) >= opts.deviationZ) deviatingMetrics.push(name);
  }
  const anomalyScore = hostAnomalyEvidence(state.scorer, sample, opts.anomaly);

  // Filling resources: linear trend to capacity.
  let exhaustionMs: number | null = null;
  let exhaustionR2 = 0;
  let exhaustionConfident = false;
  let exhaustionFill = 0;
  let fill = 0;
  for (const name in metrics) {
    const value = metrics[name]!;
    if (!canonicalMetric(name)?.fills) continue;
    const w = windowOf(state, name);
    pushPoint(w, t, value, opts.trendWindowMs);
    fill = Math.max(fill, clip((value - opts.fillWarnLevel) / (opts.fillCapacity - opts.fillWarnLevel), 0, 1));
    if (windowSize(w) < opts.trendMinPoints) continue;
    const fit = fitLine(w);
    if (!fit) continue;
    const hours = timeToExhaustionHours(fit.fitted, fit.slope, opts.fillCapacity);
    if (hours !== null && (exhaustionMs === null || hours * 3_600_000 < exhaustionMs)) {
      exhaustionMs = hours * 3_600_000;
      exhaustionR2 = fit.r2;
      exhaustionConfident = fit.r2 >= opts.exhaustionMinR2;
      exhaustionFill = value;
    }
  }

  // Errors: exponential growth rate while deviating; time until the failure level at that rate.
  let errorGrowth = 0;
  let errorLevel = 0;
  for (const [name, failLevel] of ERROR_METRIC_LIST) {
    const value = sample.metrics[name];
    if (value === undefined || !Number.isFinite(value)) continue;
    const w = windowOf(state, name);
    pushPoint(w, t, Math.log(value + 1e-4), opts.trendWindowMs);
    const sz = state.smoothedZ[name] ?? 0;
    if (sz < opts.deviationZ) continue;
    errorLevel = Math.max(errorLevel, clip((sz - opts.deviationZ) / 10, 0, 3));
    if (windowSize(w) < opts.trendMinPoints) continue;
    const fit = fitLine(w);
    if (!fit || fit.slope <= 0) continue;
    // A burst is a step, not growth: only a steady climb of the log error rate counts.
    errorGrowth = Math.max(errorGrowth, clip(fit.slope, 0, 3) * trendConfidence(fit.r2));
    if (Number.isFinite(failLevel)) {
      const hours = Math.max(0, (Math.log(failLevel + 1e-4) - fit.fitted) / fit.slope);
      if (exhaustionMs === null || hours * 3_600_000 < exhaustionMs) {
        exhaustionMs = hours * 3_600_000;
        exhaustionR2 = fit.r2;
        exhaustionConfident = fit.r2 >= opts.exhaustionMinR2;
        exhaustionFill = value / failLevel;
      }
    }
  }

  const x = featureVector(
    exhaustionMs === null ? 0 : clip(opts.horizonMs / Math.max(exhaustionMs, 1), 0, 3) * trendConfidence(exhaustionR2),
    fill,
    errorGrowth,
    errorLevel,
    clip((deviationScore - opts.deviationZ) / 5, 0, 3),
    clip(deviatingMetrics.length, 0, 5) / 2,
    anomalyScore,
    missing,
    clip(decayed(state, t, opts), 0, 3),
  );
  return {
    x,
    deviationScore,
    deviating: deviatingMetrics.length > 0,
    deviatingMetrics,
    // A projection weeks out is no projection (a flat series with a hair of slope); it also keeps
    // the value a sane Avro long.
    timeToFailureMs: exhaustionMs === null || exhaustionMs > MAX_PROJECTION_MS ? null : Math.round(exhaustionMs),
    exhaustionConfident,
    exhaustionFill,
    anomalyScore,
  };
}

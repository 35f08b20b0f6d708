/**
 * The streaming anomaly scorer: one metric, one point at a time, no look-ahead. The failure-risk
 * processor runs it on every canonical metric of every host sample; the NAB replay (`foreshadow nab`)
 * runs the very same `scoreHostSample` on each benchmark row wrapped as a one-metric host sample.
 *
 * Per point:
 * 1. two predictors from the host-baseline maths: the recent robust level (median of the ring) and
 *    the seasonal level of the slot (time of day / hour of week); the one with the smaller running
 *    error is trusted, so rhythmic series are judged against their rhythm and flat ones against
 *    their level;
 * 2. surprise = |value - prediction| / typical error of that predictor, capped and scaled to [0, 1];
 * 3. an anomaly likelihood in the spirit of Numenta's: how improbable the short-term mean surprise is
 *    under the long-term distribution of that mean (Gaussian tail), log-scaled so 0.5 = 1e-5;
 * 4. a cool-down: after an alert-level score the next scores are damped, because one incident should
 *    page once; the baseline keeps learning meanwhile.
 * The value is folded into the baseline only after it has been scored.
 */
import {
  type BaselineOptions,
  DEFAULT_BASELINE_OPTIONS,
  isWarm,
  type MetricBaselineState,
  newMetricBaseline,
  robustScale,
  seasonalLevelOrNaN,
  updateMetricBaseline,
} from '../host-baseline/baseline.js';

export interface AnomalyOptions {
  baseline: BaselineOptions;
  /** Surprises are capped at this many typical errors. */
  zCap: number;
  /** Samples in the short-term mean of surprises. */
  shortWindow: number;
  /** Smoothing of the long-term distribution of the short-term mean. */
  longAlpha: number;
  /** Smoothing of each predictor's running absolute error. */
  errAlpha: number;
  /** Samples before the long-term distribution is trusted. */
  likelihoodWarmup: number;
  /** The seasonal predictor is used when its running error is below this fraction of the level's. */
  seasonalAdvantage: number;
  /** A score at or above this starts a cool-down of `cooldown` samples, during which scores are multiplied by `cooldownDamping`. */
  alertLevel: number;
  cooldown: number;
  cooldownDamping: number;
}

export const DEFAULT_ANOMALY_OPTIONS: AnomalyOptions = {
  baseline: DEFAULT_BASELINE_OPTIONS,
  zCap: 12,
  shortWindow: 10,
  longAlpha: 0.0005,
  errAlpha: 0.01,
  likelihoodWarmup: 100,
  seasonalAdvantage: 0.7,
  alertLevel: 0.5,
  cooldown: 100,
  cooldownDamping: 0.5,
};

export interface MetricScorerState {
  baseline: MetricBaselineState;
  errLevel: number;
  errSeasonal: number;
  short: number[];
  longMean: number;
  longVar: number;
  longN: number;
  cooldownLeft: number;
}

export interface MetricScore {
  /** Anomaly score in [0, 1]. */
  score: number;
  /** Signed deviation from the trusted prediction, in typical errors. */
  z: number;
  /** The prediction the value was judged against. */
  expected: number;
  warm: boolean;
}

export function newMetricScorer(opts: AnomalyOptions = DEFAULT_ANOMALY_OPTIONS): MetricScorerState {
  return {
    baseline: newMetricBaseline(opts.baseline),
    errLevel: 0,
    errSeasonal: 0,
    short: [],
    longMean: 0,
    longVar: 0,
    longN: 0,
    cooldownLeft: 0,
  };
}

/** Upper-tail probability of a standard normal (Abramowitz-Stegun 7.1.26 erfc approximation). */
export function normalTail(x: number): number {
  const z = Math.abs(x) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * z);
  const erfc =
    t *
    (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429)))) *
    Math.exp(-z * z);
  return x >= 0 ? erfc / 2 : 1 - erfc / 2;
}

/** Maps a likelihood in [0, 1] onto [0, 1] logarithmically: 1 - 1e-5 -> 0.5, 1 - 1e-10 -> 1. */
export function logLikelihood(p: number): number {
  return Math.min(1, Math.max(0, Math.log(1.0000000001 - p) / Math.log(1e-10)));
}

/** Scores one point, then learns it (in place). */
export function scoreMetricPoint(
  state: MetricScorerState,
  t: number,
  v: number,
  opts: AnomalyOptions = DEFAULT_ANOMALY_OPTIONS,
): MetricScore {
  const base = state.baseline;
  if (!isWarm(base, opts.baseline)) {
    updateMetricBaseline(base, t, v, opts.baseline);
    return { score: 0, z: 0, expected: v, warm: false };
  }
  const levelPred = base.stats.median;
  // NaN when no seasonal slot is trusted yet.
  const seasonal = seasonalLevelOrNaN(base, t, opts.baseline);
  const hasSeasonal = !Number.isNaN(seasonal);
  const errLevel = Math.abs(v - levelPred);
  const errSeasonal = hasSeasonal ? Math.abs(v - seasonal) : errLevel;
  const useSeasonal = hasSeasonal && state.errSeasonal < opts.seasonalAdvantage * state.errLevel;
  const expected = useSeasonal ? seasonal : levelPred;
  const typical = useSeasonal ? state.errSeasonal : state.errLevel;
  const floor = robustScale(base.stats, levelPred);
  const z = (v - expected) / Math.max(1.25 * typical, floor);

  const raw = Math.min(Math.abs(z), opts.zCap) / opts.zCap;
  state.short.push(raw);
  if (state.short.length > opts.shortWindow) state.short.shift();
  // A plain loop, same order of additions as the reduce it replaces (no closure per point).
  let shortSum = 0;
  for (let i = 0; i < state.short.length; i++) shortSum += state.short[i]!;
  const shortMean = shortSum / state.short.length;

  let score = 0;
  if (state.longN >= opts.likelihoodWarmup) {
    const sd = Math.sqrt(Math.max(state.longVar, 1e-6));
    score = logLikelihood(1 - normalTail((shortMean - state.longMean) / sd));
  }
  // Learn after scoring: the long-term distribution, each predictor's running error, the baseline.
  const a = Math.max(opts.longAlpha, 1 / (state.longN + 1));
  const d = shortMean - state.longMean;
  state.longMean += a * d;
  state.longVar = (1 - a) * (state.longVar + a * d * d);
  state.longN++;
  const ea = Math.max(opts.errAlpha, 1 / (state.longN + 1));
  state.errLevel += ea * (errLevel - state.errLevel);
  state.errSeasonal += ea * (errSeasonal - state.errSeasonal);
  updateMetricBaseline(base, t, v, opts.baseline);

  if (state.cooldownLeft > 0) {
    state.cooldownLeft--;
    score *= opts.cooldownDamping;
  } else if (score >= opts.alertLevel) {
    state.cooldownLeft = opts.cooldown;
  }
  return { score, z, expected, warm: true };
}

/** A host's scorer state: one metric scorer per canonical metric name. */
export interface HostScorerState {
  metrics: Record<string, MetricScorerState>;
}

export interface HostScore {
  /** The host's anomaly score: the highest metric score. */
  score: number;
  metrics: Record<string, MetricScore>;
}

export function newHostScorer(): HostScorerState {
  return { metrics: {} };
}

/** Scores every metric of one host sample (in place); the entry point shared by live scoring and NAB. */
export function scoreHostSample(
  state: HostScorerState,
  sample: { timestamp: number; metrics: Readonly<Record<string, number>> },
  opts: AnomalyOptions = DEFAULT_ANOMALY_OPTIONS,
): HostScore {
  const metrics: Record<string, MetricScore> = {};
  let score = 0;
  for (const [name, value] of Object.entries(sample.metrics)) {
    if (!Number.isFinite(value)) continue;
    const s = scoreMetricPoint(scorerOf(state, name, opts), sample.timestamp, value, opts);
    metrics[name] = s;
    if (s.score > score) score = s.score;
  }
  return { score, metrics };
}

/**
 * The host score alone: `scoreHostSample(...).score`, without the per-metric records the risk
 * engine never reads (it runs on every sample of every host).
 */
export function hostAnomalyScore(
  state: HostScorerState,
  sample: { timestamp: number; metrics: Readonly<Record<string, number>> },
  opts: AnomalyOptions = DEFAULT_ANOMALY_OPTIONS,
): number {
  let score = 0;
  const metrics = sample.metrics;
  for (const name in metrics) {
    const value = metrics[name]!;
    if (!Number.isFinite(value)) continue;
    const s = scoreMetricPoint(scorerOf(state, name, opts), sample.timestamp, value, opts).score;
    if (s > score) score = s;
  }
  return score;
}

function scorerOf(state: HostScorerState, name: string, opts: AnomalyOptions): MetricScorerState {
  let m = state.metrics[name];
  if (m === undefined) {
    m = newMetricScorer(opts);
    state.metrics[name] = m;
  }
  return m;
}

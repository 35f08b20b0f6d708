/**
 * The streaming anomaly scorer: one metric, one point at a time, no look-ahead. The failure-risk
 * processor runs it on every canonical metric of every host sample; the NAB replay (`foreshadow nab`)
 * runs the very same `scoreHostSample` on each benchmark row wrapped as a one-metric host sample.
 *
 * An ensemble of three detectors, each bounded in state and O(1) per point:
 * 1. robust deviation: two predictors from the host-baseline maths (the recent robust level and the
 *    seasonal level of the slot; the one with the smaller running error is trusted), surprise =
 *    |value - prediction| / typical error, capped, through an anomaly likelihood
 *    (`detectors/likelihood.ts`);
 * 2. context (`detectors/context.ts`, in the spirit of CAD OSE): how new the quantised pattern
 *    ending at this point is, and how far the value lies beyond the range seen so far;
 * 3. change points (`detectors/bocpd.ts`, Adams & MacKay's BOCPD with a bounded run-length
 *    distribution): the posterior mass on a recent change, through its own likelihood.
 * Combined into an evidence level in [0, 1]: a new extreme counts on its own; deviation and change
 * evidence count in full when the context is new and are discounted (`gateBase`) when the pattern
 * is familiar, which is what silences the recurring spikes of a server metric. The level is the
 * highest of the three.
 *
 * Two outputs, from the one call per point:
 * - `score`, the alert: 1 when the evidence reaches `alertLevel` outside a cool-down, else 0. One
 *   incident should page once, so an alert starts a cool-down of `cooldown` points during which
 *   no alert is raised (every detector keeps learning). This is the detector's decision, what NAB
 *   scores: a yes/no output leaves the benchmark's threshold nothing to fit but "alerts or not",
 *   so a threshold chosen on some series carries over to others (graded scores let a threshold
 *   tuned on one group sit between that group's false and true alerts, which another group's
 *   true alerts then fall under);
 * - `evidence`, the graded level (damped by `cooldownDamping` during a cool-down), which the
 *   failure-risk model reads as its `anomaly` feature.
 * The value is learned only after it has been scored.
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
import { type BocpdOptions, type BocpdState, DEFAULT_BOCPD_OPTIONS, newBocpd, updateBocpd } from './detectors/bocpd.js';
import {
  type ContextOptions,
  type ContextState,
  DEFAULT_CONTEXT_OPTIONS,
  newContextDetector,
  rangeExceedance,
  updateContext,
} from './detectors/context.js';
import {
  type LikelihoodOptions,
  type LikelihoodState,
  likelihoodScore,
  newLikelihood,
} from './detectors/likelihood.js';

export { logLikelihood, normalTail } from './detectors/likelihood.js';

/** How the detectors are combined (weights 0 switch a detector's contribution off). */
export interface EnsembleOptions {
  /** Weight of a change point's likelihood score. */
  changeWeight: number;
  /** Points in the short-term mean of the change-point likelihood. */
  changeWindow: number;
  /** Weight of a new extreme, and the exceedance (in range widths) that scores in full. */
  extremeWeight: number;
  extremeFull: number;
  /** Points the context detector must have seen before a new extreme counts. */
  extremeWarmup: number;
  /** Deviation and change scores are multiplied by min(1, gateBase + gateSlope · recent novelty). */
  gateBase: number;
  gateSlope: number;
  /** Points over which the recent novelty is the highest novelty. */
  gateMemory: number;
}

export const DEFAULT_ENSEMBLE_OPTIONS: EnsembleOptions = {
  changeWeight: 0.7,
  changeWindow: 3,
  extremeWeight: 0.7,
  extremeFull: 0.1,
  extremeWarmup: 300,
  gateBase: 0.6,
  gateSlope: 0.5,
  gateMemory: 5,
};

export interface AnomalyOptions {
  baseline: BaselineOptions;
  /** Surprises are capped at this many typical errors. */
  zCap: number;
  /** Samples in the short-term mean of surprises. */
  shortWindow: number;
  /** Smoothing of the long-term distribution of each likelihood's short-term mean. */
  longAlpha: number;
  /** Smoothing of each predictor's running absolute error. */
  errAlpha: number;
  /** Samples before the long-term distribution is trusted. */
  likelihoodWarmup: number;
  /** The seasonal predictor is used when its running error is below this fraction of the level's. */
  seasonalAdvantage: number;
  /** Evidence at or above this raises an alert and starts a cool-down of `cooldown` samples, during which evidence is multiplied by `cooldownDamping`. */
  alertLevel: number;
  cooldown: number;
  cooldownDamping: number;
  /** Samples after an alert during which no new alert is raised (the rest period of CAD OSE and ARTime). */
  restPeriod: number;
  context: ContextOptions;
  bocpd: BocpdOptions;
  ensemble: EnsembleOptions;
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
  restPeriod: 300,
  context: DEFAULT_CONTEXT_OPTIONS,
  bocpd: DEFAULT_BOCPD_OPTIONS,
  ensemble: DEFAULT_ENSEMBLE_OPTIONS,
};

/**
 * One metric's scorer. `short`..`longN` are the deviation detector's likelihood (the fields of a
 * `LikelihoodState`, kept flat as in state written before the ensemble existed).
 */
export interface MetricScorerState {
  baseline: MetricBaselineState;
  errLevel: number;
  errSeasonal: number;
  short: number[];
  longMean: number;
  longVar: number;
  longN: number;
  cooldownLeft: number;
  /** Samples left in the rest period after the last alert. */
  restLeft: number;
  context: ContextState;
  /** The context detector's novelty over the last `gateMemory` points. */
  novelty: number[];
  bocpd: BocpdState;
  change: LikelihoodState;
}

/** Each detector's contribution to a point's score, before the cool-down. */
export interface DetectorScores {
  deviation: number;
  change: number;
  extreme: number;
  novelty: number;
}

export interface MetricScore {
  /** The alert: 1 when an anomaly starts (evidence at the alert level outside a cool-down), else 0. */
  score: number;
  /** The graded evidence in [0, 1], damped during a cool-down. */
  evidence: number;
  /** Signed deviation from the trusted prediction, in typical errors. */
  z: number;
  /** The prediction the value was judged against. */
  expected: number;
  warm: boolean;
  detectors: DetectorScores;
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
    ...newDetectors(opts),
  };
}

/** The ensemble's detectors, fresh (also what state written before them is migrated with). */
export function newDetectors(
  opts: AnomalyOptions = DEFAULT_ANOMALY_OPTIONS,
): Pick<MetricScorerState, 'restLeft' | 'context' | 'novelty' | 'bocpd' | 'change'> {
  return {
    restLeft: 0,
    context: newContextDetector(opts.context),
    novelty: [],
    bocpd: newBocpd(),
    change: newLikelihood(),
  };
}

const COLD: DetectorScores = { deviation: 0, change: 0, extreme: 0, novelty: 0 };

/** Scores one point, then learns it (in place). */
export function scoreMetricPoint(
  state: MetricScorerState,
  t: number,
  v: number,
  opts: AnomalyOptions = DEFAULT_ANOMALY_OPTIONS,
): MetricScore {
  const base = state.baseline;
  const ens = opts.ensemble;
  // The context detector learns from the first point: its range and patterns need the history.
  const exceed = rangeExceedance(state.context, v);
  const extremeReady = state.context.count >= ens.extremeWarmup;
  const novelty = updateContext(state.context, v, opts.context);
  const recentNovelty = pushRecent(state.novelty, novelty, ens.gateMemory);
  if (!isWarm(base, opts.baseline)) {
    updateMetricBaseline(base, t, v, opts.baseline);
    return { score: 0, evidence: 0, z: 0, expected: v, warm: false, detectors: COLD };
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

  const likelihoods = likelihoodOptions(opts);
  const deviation = likelihoodScore(state, Math.min(Math.abs(z), opts.zCap) / opts.zCap, likelihoods.deviation);
  const cp = updateBocpd(state.bocpd, v, levelPred, floor, opts.bocpd);
  const change = likelihoodScore(state.change, cp, likelihoods.change);
  const extreme = extremeReady ? Math.min(1, exceed / ens.extremeFull) : 0;

  const gate = Math.min(1, ens.gateBase + ens.gateSlope * recentNovelty);
  const detectors: DetectorScores = {
    deviation: deviation * gate,
    change: ens.changeWeight * change * gate,
    extreme: ens.extremeWeight * extreme,
    novelty,
  };
  let evidence = Math.max(detectors.deviation, detectors.change, detectors.extreme);

  // Learn after scoring: each predictor's running error, then the baseline.
  const ea = Math.max(opts.errAlpha, 1 / (state.longN + 1));
  state.errLevel += ea * (errLevel - state.errLevel);
  state.errSeasonal += ea * (errSeasonal - state.errSeasonal);
  updateMetricBaseline(base, t, v, opts.baseline);

  let alert = 0;
  const resting = state.restLeft > 0;
  if (resting) state.restLeft--;
  if (state.cooldownLeft > 0) {
    state.cooldownLeft--;
    evidence *= opts.cooldownDamping;
  } else if (evidence >= opts.alertLevel) {
    state.cooldownLeft = opts.cooldown;
    if (!resting) {
      alert = 1;
      state.restLeft = opts.restPeriod;
    }
  }
  return { score: alert, evidence, z, expected, warm: true, detectors };
}

// The likelihoods' options per options object, built once (not an allocation per point).
const likelihoodCache = new WeakMap<AnomalyOptions, { deviation: LikelihoodOptions; change: LikelihoodOptions }>();
function likelihoodOptions(opts: AnomalyOptions): { deviation: LikelihoodOptions; change: LikelihoodOptions } {
  let l = likelihoodCache.get(opts);
  if (l === undefined) {
    const deviation = { shortWindow: opts.shortWindow, longAlpha: opts.longAlpha, warmup: opts.likelihoodWarmup };
    l = { deviation, change: { ...deviation, shortWindow: opts.ensemble.changeWindow } };
    likelihoodCache.set(opts, l);
  }
  return l;
}

/** Appends to a bounded list of recent values and returns their maximum. */
function pushRecent(recent: number[], value: number, size: number): number {
  recent.push(value);
  while (recent.length > size) recent.shift();
  let max = 0;
  for (let i = 0; i < recent.length; i++) if (recent[i]! > max) max = recent[i]!;
  return max;
}

/** A host's scorer state: one metric scorer per canonical metric name. */
export interface HostScorerState {
  metrics: Record<string, MetricScorerState>;
}

export interface HostScore {
  /** The host's alert: 1 when any metric's anomaly starts. */
  score: number;
  /** The host's evidence: the highest metric evidence. */
  evidence: number;
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
  let evidence = 0;
  for (const [name, value] of Object.entries(sample.metrics)) {
    if (!Number.isFinite(value)) continue;
    const s = scoreMetricPoint(scorerOf(state, name, opts), sample.timestamp, value, opts);
    metrics[name] = s;
    if (s.score > score) score = s.score;
    if (s.evidence > evidence) evidence = s.evidence;
  }
  return { score, evidence, metrics };
}

/**
 * The host evidence alone: `scoreHostSample(...).evidence`, without the per-metric records the
 * risk engine never reads (it runs on every sample of every host).
 */
export function hostAnomalyEvidence(
  state: HostScorerState,
  sample: { timestamp: number; metrics: Readonly<Record<string, number>> },
  opts: AnomalyOptions = DEFAULT_ANOMALY_OPTIONS,
): number {
  let evidence = 0;
  const metrics = sample.metrics;
  for (const name in metrics) {
    const value = metrics[name]!;
    if (!Number.isFinite(value)) continue;
    const s = scoreMetricPoint(scorerOf(state, name, opts), sample.timestamp, value, opts).evidence;
    if (s > evidence) evidence = s;
  }
  return evidence;
}

function scorerOf(state: HostScorerState, name: string, opts: AnomalyOptions): MetricScorerState {
  let m = state.metrics[name];
  if (m === undefined) {
    m = newMetricScorer(opts);
    state.metrics[name] = m;
  }
  return m;
}

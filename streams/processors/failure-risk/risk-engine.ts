/**
 * The risk engine: per host, features -> calibrated pFail -> HostRisk record, plus the delayed
 * labelling that trains the model online. Every evaluated feature vector waits in the host's
 * `pending` list for one horizon: a failure of the host (or a failed deployment on it) within that
 * time makes it a positive example; surviving the horizon makes it a negative one.
 *
 * Where a labelled example goes is the caller's `learn`: `true` trains the model passed in, in
 * place (one model object shared by every host is the fleet-wide model, as the fleet simulation
 * runs it), a `Learner` receives the example instead (the processor publishes it for the fleet's
 * one trainer, fleet-model.ts), `false` drops it (a frozen model).
 * Pure and synchronous: the processor, the fleet simulation and the tests all drive it the same way.
 */
import type { HostRisk, RiskLevel } from '../../../schemas/records/host-risk.js';
import {
  DEFAULT_FEATURE_OPTIONS,
  type FeatureOptions,
  type FeatureResult,
  type FeatureVector,
  featureVector,
  type HostFeatureState,
  newHostFeatures,
  noteDeploymentFailure,
  updateFeatures,
} from './features.js';
import {
  DEFAULT_MODEL_OPTIONS,
  type ModelOptions,
  type ModelState,
  modelVersion,
  predict,
  topDrivers,
  train,
} from './model.js';
import { fitLine, newSlidingFit, pushPoint, type SlidingFit, windowSize } from './sliding-fit.js';

export interface RiskOptions {
  features: FeatureOptions;
  model: ModelOptions;
  /** pFail thresholds of the levels. */
  watch: number;
  warning: number;
  critical: number;
  /** Window of the risk trend regression. */
  riskTrendWindowMs: number;
  /** pFail change per hour from which risk counts as rising. */
  risingPerHour: number;
  maxDrivers: number;
  /** Weight of a failed deployment as a positive label (a weaker signal than a host failure). */
  deploymentLabelWeight: number;
  /**
   * Exhaustion levels: a confident projection (steady climb) reaching capacity within these times
   * raises the level even while pFail (a probability for the next horizon only) is still low; that
   * is what gives operators hours, not minutes, on leaks and filling disks. WARNING additionally
   * needs the resource past `exhaustionWarnFill` or the projection within `exhaustionWarningMs / 2`.
   */
  exhaustionWatchMs: number;
  exhaustionWarningMs: number;
  exhaustionWarnFill: number;
}

export const DEFAULT_RISK_OPTIONS: RiskOptions = {
  features: DEFAULT_FEATURE_OPTIONS,
  model: DEFAULT_MODEL_OPTIONS,
  watch: 0.05,
  warning: 0.2,
  critical: 0.6,
  riskTrendWindowMs: 30 * 60_000,
  risingPerHour: 0.02,
  maxDrivers: 4,
  deploymentLabelWeight: 0.5,
  exhaustionWatchMs: 4 * 3_600_000,
  exhaustionWarningMs: 2 * 3_600_000,
  exhaustionWarnFill: 0.8,
};

export interface PendingExample {
  t: number;
  x: FeatureVector;
}

/** Receives a labelled example: the features at `t`, its label and its weight. */
export type Learner = (x: FeatureVector, label: 0 | 1, weight: number, t: number) => void;

/** Where labelled examples go: `true` trains the given model in place, `false` drops them. */
export type Learning = boolean | Learner;

function learnerFor(model: ModelState, learn: Learning, opts: RiskOptions): Learner | undefined {
  if (learn === false) return undefined;
  if (learn === true) return (x, label, weight) => train(model, x, label, weight, opts.model);
  return learn;
}

export interface HostRiskState {
  host: string;
  region: string;
  zone: string;
  features: HostFeatureState;
  pending: PendingExample[];
  /** pFail over the last `riskTrendWindowMs` (its slope is the record's `trend`). */
  riskTrend: SlidingFit;
  /** Timestamp of the last failure: samples up to it are the failure's own aftermath. */
  failedAt: number;
  /** Wall-clock time the last sample was processed (silence is judged on arrival, not event time). */
  lastSeenWall: number;
  /** Wall-clock time a silence record was last published. */
  silenceReportedWall: number;
}

export function newHostRiskState(host: string, region = '', zone = ''): HostRiskState {
  return {
    host,
    region,
    zone,
    features: newHostFeatures(),
    pending: [],
    riskTrend: newSlidingFit(),
    failedAt: 0,
    lastSeenWall: 0,
    silenceReportedWall: 0,
  };
}

export function levelOf(p: number, opts: RiskOptions = DEFAULT_RISK_OPTIONS): RiskLevel {
  if (p >= opts.critical) return 'CRITICAL';
  if (p >= opts.warning) return 'WARNING';
  if (p >= opts.watch) return 'WATCH';
  return 'OK';
}

const RANK: Record<RiskLevel, number> = { OK: 0, WATCH: 1, WARNING: 2, CRITICAL: 3 };

/** The level a confident time-to-exhaustion projection calls for (OK when none). */
export function exhaustionLevel(
  tteMs: number | null,
  confident: boolean,
  fill: number,
  opts: RiskOptions = DEFAULT_RISK_OPTIONS,
): RiskLevel {
  if (tteMs === null || !confident) return 'OK';
  if (tteMs <= opts.features.horizonMs) return 'CRITICAL';
  if (tteMs <= opts.exhaustionWarningMs && (fill >= opts.exhaustionWarnFill || tteMs <= opts.exhaustionWarningMs / 2))
    return 'WARNING';
  if (tteMs <= opts.exhaustionWatchMs) return 'WATCH';
  return 'OK';
}

export function maxLevel(a: RiskLevel, b: RiskLevel): RiskLevel {
  return RANK[a] >= RANK[b] ? a : b;
}

/**
 * Examples that outlived the horizon without a failure are negatives: they go to `learn` (see the
 * module comment). Returns how many settled.
 */
export function settlePending(
  state: HostRiskState,
  model: ModelState,
  now: number,
  opts: RiskOptions = DEFAULT_RISK_OPTIONS,
  learn: Learning = true,
): number {
  const learner = learnerFor(model, learn, opts);
  let n = 0;
  while (state.pending.length > 0 && state.pending[0]!.t < now - opts.features.horizonMs) {
    const e = state.pending.shift()!;
    learner?.(e.x, 0, 1, e.t);
    n++;
  }
  return n;
}

/** Evaluates one canonical sample of the host: updates its features, trains settled negatives, scores. */
export function evaluateSample(
  state: HostRiskState,
  model: ModelState,
  sample: {
    host: string;
    region?: string;
    zone?: string;
    timestamp: number;
    metrics: Readonly<Record<string, number>>;
  },
  opts: RiskOptions = DEFAULT_RISK_OPTIONS,
  learn: Learning = true,
): HostRisk {
  const t = sample.timestamp;
  if (sample.region) state.region = sample.region;
  if (sample.zone) state.zone = sample.zone;
  settlePending(state, model, t, opts, learn);
  const f = updateFeatures(state.features, sample, opts.features);
  const pFail = predict(model, f.x);
  state.pending.push({ t, x: f.x });

  return riskRecord(state, model, t, pFail, f.x, f, opts);
}

function riskRecord(
  state: HostRiskState,
  model: ModelState,
  t: number,
  pFail: number,
  x: FeatureVector,
  f: Pick<FeatureResult, 'deviating' | 'deviationScore' | 'timeToFailureMs' | 'exhaustionConfident' | 'exhaustionFill'>,
  opts: RiskOptions,
): HostRisk {
  pushPoint(state.riskTrend, t, pFail, opts.riskTrendWindowMs);
  let trend = 0;
  if (windowSize(state.riskTrend) >= 3) trend = fitLine(state.riskTrend)?.slope ?? 0;
  const drivers = topDrivers(model, x, opts.maxDrivers);
  return {
    host: state.host,
    region: state.region,
    zone: state.zone,
    timestamp: t,
    horizonMs: opts.features.horizonMs,
    pFail,
    level: maxLevel(
      levelOf(pFail, opts),
      exhaustionLevel(f.timeToFailureMs, f.exhaustionConfident, f.exhaustionFill, opts),
    ),
    trend,
    rising: trend >= opts.risingPerHour,
    deviating: f.deviating,
    deviationScore: f.deviationScore,
    timeToFailureMs: f.timeToFailureMs,
    drivers,
    modelVersion: modelVersion(model),
  };
}

/**
 * A host that stopped reporting: re-scores its last feature vector with the silence as missing
 * samples (heartbeat loss is itself a failure precursor). Returns null while the host is not silent
 * (less than `silentIntervals` expected samples overdue, judged on the wall clock of arrival) or has
 * already failed. Does not create a training example: there is no sample to learn from.
 */
export function evaluateSilence(
  state: HostRiskState,
  model: ModelState,
  wallNow: number,
  opts: RiskOptions = DEFAULT_RISK_OPTIONS,
  silentIntervals = 3,
): HostRisk | null {
  const interval = state.features.intervalMs;
  if (interval <= 0 || state.lastSeenWall <= 0 || state.failedAt >= state.features.lastTs) return null;
  const silentFor = wallNow - state.lastSeenWall;
  if (silentFor < silentIntervals * interval) return null;
  const last = state.pending[state.pending.length - 1]?.x;
  const l = last ?? ZERO_FEATURES;
  const x = featureVector(
    l.exhaustion,
    l.fill,
    l.error_growth,
    l.error_level,
    l.deviation,
    l.co_deviation,
    l.anomaly,
    Math.min(10, Math.max(0, silentFor / interval - 1.5)) / 5,
    l.deploy_failures,
  );

  const t = state.features.lastTs + silentFor;
  state.silenceReportedWall = wallNow;
  return riskRecord(
    state,
    model,
    t,
    predict(model, x),
    x,
    {
      deviating: true,
      deviationScore: 0,
      timeToFailureMs: null,
      exhaustionConfident: false,
      exhaustionFill: 0,
    },
    opts,
  );
}

const ZERO_FEATURES: FeatureVector = featureVector(0, 0, 0, 0, 0, 0, 0, 0, 0);

/**
 * A labelled outcome for the host at `at`: every pending example within the horizon before it is a
 * positive. A host failure then clears the host's history (what follows is a different host life);
 * a failed deployment only labels. Examples go to `learn` (see the module comment). Returns the
 * number of positives.
 */
export function applyOutcome(
  state: HostRiskState,
  model: ModelState,
  at: number,
  kind: 'host-failure' | 'deployment-failure',
  opts: RiskOptions = DEFAULT_RISK_OPTIONS,
  learn: Learning = true,
): number {
  const learner = learnerFor(model, learn, opts);
  const weight = kind === 'host-failure' ? 1 : opts.deploymentLabelWeight;
  let n = 0;
  const keep: PendingExample[] = [];
  for (const e of state.pending) {
    if (e.t <= at && e.t >= at - opts.features.horizonMs) {
      learner?.(e.x, 1, weight, e.t);
      n++;
    } else if (e.t > at) keep.push(e);
    else {
      learner?.(e.x, 0, 1, e.t);
    }
  }
  if (kind === 'host-failure') {
    state.pending = keep;
    state.failedAt = Math.max(state.failedAt, at);
  } else {
    state.pending = keep;
    noteDeploymentFailure(state.features, at, opts.features);
  }
  return n;
}

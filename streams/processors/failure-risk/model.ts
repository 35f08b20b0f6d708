/**
 * Online logistic regression for P(host fails within the horizon | features), trained one
 * labelled example at a time on the log loss. It starts from a hand-set prior (weights that
 * encode "exhaustion within the horizon, a collapsing error rate and missing heartbeats mean
 * trouble") and is regularised towards that prior rather than towards zero, so a handful of labels
 * adjusts it without erasing what it knew before any failure was seen.
 *
 * Steps are AdaGrad's (Duchi, Hazan & Singer 2011): each weight's step shrinks with the squared
 * gradients that weight has seen, not with the number of examples. The features are sparse (a
 * healthy host's are nearly all zero, and healthy hosts give almost every example), so a global
 * step decay starved the failure features of learning: after a fleet's 160,000 examples the
 * earlier SGD had a step 13x smaller for `exhaustion`, whose weight had only moved on the few
 * hundred examples near failures. The step size was chosen on a validation fleet (README).
 */
import { FEATURES, type FeatureName, type FeatureVector } from './features.js';

export interface ModelState {
  weights: Record<FeatureName, number>;
  bias: number;
  updates: number;
  positives: number;
  /** AdaGrad's sums of squared gradients, per weight and of the bias (absent before the first step). */
  gradSq?: Record<FeatureName, number>;
  biasGradSq?: number;
}

export interface ModelOptions {
  /** AdaGrad's base step. */
  learningRate: number;
  /** L2 pull towards the prior per update. */
  priorStrength: number;
}

export const DEFAULT_MODEL_OPTIONS: ModelOptions = { learningRate: 0.2, priorStrength: 1e-3 };

export const PRIOR_MODEL: Readonly<ModelState> = {
  weights: {
    exhaustion: 3.0,
    fill: 1.5,
    error_growth: 1.2,
    error_level: 1.0,
    deviation: 0.6,
    co_deviation: 0.5,
    anomaly: 0.8,
    missing: 1.5,
    deploy_failures: 0.8,
  },
  bias: -6,
  updates: 0,
  positives: 0,
};

export function newModel(): ModelState {
  return { ...PRIOR_MODEL, weights: { ...PRIOR_MODEL.weights } };
}

/** `logreg-v2.<updates>` (v1 was the plain-SGD model). */
export function modelVersion(m: ModelState): string {
  return `logreg-v2.${m.updates}`;
}

export function sigmoid(z: number): number {
  return z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z));
}

export function logit(m: ModelState, x: FeatureVector): number {
  let z = m.bias;
  for (const f of FEATURES) z += m.weights[f] * x[f];
  return z;
}

export function predict(m: ModelState, x: FeatureVector): number {
  return sigmoid(logit(m, x));
}

/** Per-feature logit contributions, largest first (the record's "drivers"). */
export function contributions(
  m: ModelState,
  x: FeatureVector,
): Array<{ feature: FeatureName; value: number; contribution: number }> {
  return FEATURES.map((f) => ({ feature: f, value: x[f], contribution: m.weights[f] * x[f] })).sort(
    (a, b) => b.contribution - a.contribution,
  );
}

/**
 * The positive contributions, largest first, at most `max` (the record's drivers): what
 * `contributions(...).filter(c > 0).slice(0, max)` gives, without building and sorting all nine
 * records on every sample. Both sorts are stable, so ties keep the feature order either way.
 */
export function topDrivers(
  m: ModelState,
  x: FeatureVector,
  max: number,
): Array<{ feature: FeatureName; value: number; contribution: number }> {
  const out: Array<{ feature: FeatureName; value: number; contribution: number }> = [];
  for (const f of FEATURES) {
    const contribution = m.weights[f] * x[f];
    if (contribution > 0) out.push({ feature: f, value: x[f], contribution });
  }
  if (out.length > 1) out.sort(byContributionDescending);
  if (out.length > max) out.length = max;
  return out;
}

function byContributionDescending(a: { contribution: number }, b: { contribution: number }): number {
  return b.contribution - a.contribution;
}

function zeroGradients(): Record<FeatureName, number> {
  return Object.fromEntries(FEATURES.map((f) => [f, 0])) as Record<FeatureName, number>;
}

/** One AdaGrad step on the (weighted) log loss, pulled towards the prior; in place. */
export function train(
  m: ModelState,
  x: FeatureVector,
  label: 0 | 1,
  weight = 1,
  opts: ModelOptions = DEFAULT_MODEL_OPTIONS,
): void {
  const g = (predict(m, x) - label) * weight;
  m.gradSq ??= zeroGradients();
  const gs = m.gradSq;
  for (const f of FEATURES) {
    const gf = g * x[f] + opts.priorStrength * (m.weights[f] - PRIOR_MODEL.weights[f]);
    gs[f] += gf * gf;
    // +1 under the root: the first steps are at most the base step, not a jump of its size per unit gradient.
    m.weights[f] -= (opts.learningRate * gf) / Math.sqrt(gs[f] + 1);
  }
  m.biasGradSq = (m.biasGradSq ?? 0) + g * g;
  m.bias -= (opts.learningRate * g) / Math.sqrt(m.biasGradSq + 1);
  m.updates++;
  if (label === 1) m.positives++;
}

export function brierScore(pairs: ReadonlyArray<{ p: number; y: number }>): number {
  if (pairs.length === 0) return 0;
  return pairs.reduce((s, { p, y }) => s + (p - y) ** 2, 0) / pairs.length;
}

export interface ReliabilityBucket {
  lower: number;
  upper: number;
  count: number;
  meanPredicted: number;
  observedRate: number;
}

/** Reliability diagram buckets: mean prediction vs observed frequency per probability band. */
export function reliability(
  pairs: ReadonlyArray<{ p: number; y: number }>,
  edges: readonly number[] = [0, 0.01, 0.05, 0.2, 0.5, 1],
): ReliabilityBucket[] {
  const out: ReliabilityBucket[] = [];
  for (let i = 0; i + 1 < edges.length; i++) {
    const lower = edges[i]!;
    const upper = edges[i + 1]!;
    const inside = pairs.filter(({ p }) => p >= lower && (p < upper || (i + 2 === edges.length && p <= upper)));
    const count = inside.length;
    out.push({
      lower,
      upper,
      count,
      meanPredicted: count ? inside.reduce((s, e) => s + e.p, 0) / count : 0,
      observedRate: count ? inside.reduce((s, e) => s + e.y, 0) / count : 0,
    });
  }
  return out;
}

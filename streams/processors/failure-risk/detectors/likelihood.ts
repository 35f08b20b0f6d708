/**
 * Anomaly likelihood in the spirit of Numenta's (Ahmad et al. 2017, "Unsupervised real-time
 * anomaly detection for streaming data"): a detector's raw per-point output is not a probability,
 * and what is unusual for one series is routine for another. So the raw output is averaged over a
 * short window, that mean is compared with the long-term distribution of the same mean (a Gaussian
 * tail), and the tail probability is put on a log scale where 0.5 means 1e-5. Every detector of
 * the ensemble goes through one of these, which puts their outputs on one comparable scale.
 */

export interface LikelihoodOptions {
  /** Points in the short-term mean. */
  shortWindow: number;
  /** Smoothing of the long-term mean and variance of the short-term mean. */
  longAlpha: number;
  /** Points before the long-term distribution is trusted (scores are 0 until then). */
  warmup: number;
}

export interface LikelihoodState {
  short: number[];
  longMean: number;
  longVar: number;
  longN: number;
}

export function newLikelihood(): LikelihoodState {
  return { short: [], longMean: 0, longVar: 0, longN: 0 };
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

/** The likelihood score of `raw`, then learns it (in place). */
export function likelihoodScore(s: LikelihoodState, raw: number, opts: LikelihoodOptions): number {
  s.short.push(raw);
  if (s.short.length > opts.shortWindow) s.short.shift();
  // A plain loop, same order of additions as a reduce (no closure per point).
  let sum = 0;
  for (let i = 0; i < s.short.length; i++) sum += s.short[i]!;
  const shortMean = sum / s.short.length;
  let score = 0;
  if (s.longN >= opts.warmup) {
    const sd = Math.sqrt(Math.max(s.longVar, 1e-6));
    score = logLikelihood(1 - normalTail((shortMean - s.longMean) / sd));
  }
  const a = Math.max(opts.longAlpha, 1 / (s.longN + 1));
  const d = shortMean - s.longMean;
  s.longMean += a * d;
  s.longVar = (1 - a) * (s.longVar + a * d * d);
  s.longN++;
  return score;
}

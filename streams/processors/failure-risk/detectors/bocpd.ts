/**
 * Bayesian online change-point detection (Adams & MacKay 2007, "Bayesian Online Changepoint
 * Detection"), implemented from the paper's description with its run-length pruning, so a point
 * costs O(R) for a fixed R: the state is at most `maxRuns` run-length hypotheses.
 *
 * The paper's recursion, per point x_t:
 * 1. the predictive probability of x_t under each run-length hypothesis r (here the Student-t of a
 *    Gaussian with unknown mean and precision under a Normal-Gamma prior, the paper's conjugate
 *    example);
 * 2. growth: P(r_t = r + 1) ∝ P(r_{t-1} = r) · pred_r · (1 - H); change point:
 *    P(r_t = 0) ∝ Σ_r P(r_{t-1} = r) · pred_r · H, with a constant hazard H = 1 / λ;
 * 3. normalise, then fold x_t into each hypothesis' sufficient statistics.
 * Three departures, each for a streaming monitor rather than a batch study:
 * - pruning: past `maxRuns` hypotheses the least probable one is dropped (the paper suggests
 *   discarding run lengths of negligible mass), keeping the cost and the stored state fixed;
 * - an outlier component: the predictive is a mixture (1 - ε)·Student-t + ε·broad uniform, so one
 *   spike is an outlier of the current run rather than the start of a new one (a Gaussian model
 *   otherwise declares a change point after every spike of a spiky server metric);
 * - bounded memory of a run: its statistics are exponentially forgotten past `maxRunMemory`
 *   points, so a run that lasts for weeks still follows slow drift;
 * - the prior's scale comes from the caller (the metric's robust scale at the time), so the
 *   detector is unit-free: the same options work for bytes per second and for CPU fractions.
 *
 * Output: the posterior mass on runs younger than `recentRuns` points, minus what the hazard
 * alone puts there: a change-point probability that is ~0 on a steady series and jumps when a
 * change is confirmed by a few points.
 */

export interface BocpdOptions {
  /** Run-length hypotheses kept (the R of the O(R) cost). */
  maxRuns: number;
  /** Expected run length λ (the hazard is 1 / λ). */
  expectedRunLength: number;
  /** Weight ε of the outlier component of the predictive. */
  outlierWeight: number;
  /** Width of the outlier component, in prior scales. */
  outlierWidth: number;
  /** Runs younger than this many points count as a recent change. */
  recentRuns: number;
  /** A run's statistics forget points older than about this many. */
  maxRunMemory: number;
  /** Normal-Gamma prior: pseudo-observations of the mean and shape α0. */
  priorKappa: number;
  priorAlpha: number;
}

export const DEFAULT_BOCPD_OPTIONS: BocpdOptions = {
  maxRuns: 12,
  expectedRunLength: 1000,
  outlierWeight: 0.01,
  outlierWidth: 60,
  recentRuns: 8,
  maxRunMemory: 500,
  priorKappa: 0.05,
  priorAlpha: 1,
};

/**
 * The hypotheses as parallel arrays, youngest first: their posterior probability, run length,
 * and (possibly forgotten) count, mean and sum of squared deviations of their points.
 */
export interface BocpdState {
  p: number[];
  run: number[];
  n: number[];
  mean: number[];
  m2: number[];
}

export function newBocpd(): BocpdState {
  return { p: [1], run: [0], n: [0], mean: [0], m2: [0] };
}

/** Number of hypotheses held (bounded by maxRuns). */
export function bocpdSize(s: BocpdState): number {
  return s.p.length;
}

// log Γ by the Lanczos approximation (g = 7, n = 9): accurate to ~1e-15 for the positive
// arguments used here.
const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
  12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
];
export function logGamma(x: number): number {
  if (x < 0.5) return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - logGamma(1 - x);
  const z = x - 1;
  let a = LANCZOS[0]!;
  const t = z + 7.5;
  for (let i = 1; i < 9; i++) a += LANCZOS[i]! / (z + i);
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(a);
}

// log Γ((ν+1)/2) - log Γ(ν/2) - ½ log(νπ) of the Student-t, by ν; ν = 2α0 + n takes few values
// (n is a count capped at maxRunMemory), so they are cached in a table indexed by 2ν.
const T_CONST_SLOTS = 1 << 14;
const tConst = new Float64Array(T_CONST_SLOTS).fill(Number.NaN);
function studentConst(nu: number): number {
  const key = Math.round(nu * 2);
  if (key < T_CONST_SLOTS) {
    const c = tConst[key]!;
    if (!Number.isNaN(c)) return c;
  }
  const v = key / 2;
  const c = logGamma((v + 1) / 2) - logGamma(v / 2) - 0.5 * Math.log(v * Math.PI);
  if (key < T_CONST_SLOTS) tConst[key] = c;
  return c;
}

/**
 * The change-point probability at x (see the module comment), then learns x (in place). `scale` is the prior's standard deviation (the metric's
 * robust scale) and `center` the prior mean for a new run; both come from the caller's baseline.
 */
export function updateBocpd(
  s: BocpdState,
  x: number,
  center: number,
  scale: number,
  opts: BocpdOptions = DEFAULT_BOCPD_OPTIONS,
): number {
  const h = 1 / opts.expectedRunLength;
  const k0 = opts.priorKappa;
  const a0 = opts.priorAlpha;
  const b0 = a0 * scale * scale;
  const eps = opts.outlierWeight;
  const outlier = eps / (opts.outlierWidth * scale);
  const len = s.p.length;
  let cp = 0;
  let total = 0;
  for (let i = 0; i < len; i++) {
    const n = s.n[i]!;
    const kn = k0 + n;
    const mu = (k0 * center + n * s.mean[i]!) / kn;
    const an = a0 + n / 2;
    const d0 = s.mean[i]! - center;
    const bn = b0 + s.m2[i]! / 2 + (k0 * n * d0 * d0) / (2 * kn);
    const nu = 2 * an;
    const var_ = (bn * (kn + 1)) / (an * kn);
    const dz = x - mu;
    const logT = studentConst(nu) - 0.5 * Math.log(var_) - ((nu + 1) / 2) * Math.log1p((dz * dz) / (nu * var_));
    const lik = (1 - eps) * Math.exp(logT) + outlier;
    const pl = s.p[i]! * lik;
    cp += pl * h;
    s.p[i] = pl * (1 - h);
    total += pl;
  }
  // Grow every run by this point (statistics forget past maxRunMemory), then prepend the new run.
  const cap = opts.maxRunMemory;
  for (let i = 0; i < len; i++) {
    const n = s.n[i]!;
    const w = n + 1 > cap ? 1 / cap : 1 / (n + 1);
    const d = x - s.mean[i]!;
    s.mean[i]! += w * d;
    s.m2[i] = (n + 1 > cap ? (1 - w) * s.m2[i]! : s.m2[i]!) + d * (x - s.mean[i]!);
    s.n[i] = Math.min(n + 1, cap);
    s.run[i]! += 1;
  }
  s.p.unshift(cp);
  s.run.unshift(0);
  s.n.unshift(0);
  s.mean.unshift(0);
  s.m2.unshift(0);
  if (s.p.length > opts.maxRuns) {
    // Drop the least probable hypothesis other than the new one.
    let worst = 1;
    for (let i = 2; i < s.p.length; i++) if (s.p[i]! < s.p[worst]!) worst = i;
    s.p.splice(worst, 1);
    s.run.splice(worst, 1);
    s.n.splice(worst, 1);
    s.mean.splice(worst, 1);
    s.m2.splice(worst, 1);
  }
  // Normalise over the hypotheses kept (a pruned one's mass is shared out among them).
  let kept = 0;
  for (let i = 0; i < s.p.length; i++) kept += s.p[i]!;
  let recent = 0;
  if (total > 0 && kept > 0 && Number.isFinite(kept)) {
    for (let i = 0; i < s.p.length; i++) {
      s.p[i]! /= kept;
      if (s.run[i]! < opts.recentRuns) recent += s.p[i]!;
    }
  } else {
    // Every hypothesis gave the point zero density (an impossible jump): restart from one run.
    resetTo(s);
    recent = 1;
  }
  // Under a constant hazard the young runs hold about recentRuns · H of the mass on a steady series.
  return Math.max(0, Math.min(1, (recent - opts.recentRuns * h) / (1 - opts.recentRuns * h)));
}

function resetTo(s: BocpdState): void {
  s.p = [1];
  s.run = [0];
  s.n = [0];
  s.mean = [0];
  s.m2 = [0];
}

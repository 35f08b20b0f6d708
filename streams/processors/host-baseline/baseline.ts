/**
 * Per-metric robust baseline, updated one sample at a time (pure maths, no I/O).
 *
 * A baseline keeps: a ring of the most recent values (median, MAD, p50/p95/p99 come from it),
 * an exponentially weighted mean/variance, and two seasonal profiles (time-of-day slots and
 * hour-of-week slots) holding a robust level and spread per slot. The seasonal level is a
 * Huber-clipped EWMA: each update moves at most a few spreads, so one spike cannot drag it, which
 * makes it behave like a running median of the slot without storing the slot's history.
 *
 * State is plain JSON (arrays and numbers) so stores can serialise it as is. Update functions
 * mutate the state they are given and return it: the fleet simulation and the NAB replay push
 * millions of points through here and copying the ring on each one would dominate the run time.
 */

import type { MetricBaseline } from '../../../schemas/records/host-baseline.js';
import { sortNumbers } from './sort-numbers.js';

export const DAY_MS = 86_400_000;
export const WEEK_MS = 7 * DAY_MS;
export const HOUR_MS = 3_600_000;

/** Start of the hour holding `t` (the hourly store's window). */
export function hourStart(t: number): number {
  return Math.floor(t / HOUR_MS) * HOUR_MS;
}

export interface BaselineOptions {
  /** How many recent values the robust statistics are computed over. */
  ringSize: number;
  /** Samples before the baseline counts (deviations are reported as 0 until then). */
  warmupSamples: number;
  /** Time-of-day slot width; the daily profile has DAY_MS / dailySlotMs slots. */
  dailySlotMs: number;
  /** Smoothing of the EW mean/variance and of the seasonal slots (per update). */
  alpha: number;
  slotAlpha: number;
  /** Seasonal slots need this many visits before they are trusted. */
  minSlotVisits: number;
  /** Robust statistics are recomputed every this many samples (they move slowly). */
  statsEvery: number;
}

export const DEFAULT_BASELINE_OPTIONS: BaselineOptions = {
  ringSize: 288,
  warmupSamples: 30,
  dailySlotMs: 30 * 60_000,
  alpha: 0.01,
  slotAlpha: 0.15,
  minSlotVisits: 3,
  statsEvery: 32,
};

/**
 * Level, spread and visits per slot of a period. The arrays grow as slots are reached instead of
 * starting with every slot: time moves forward, so a host's visited slots are a run from the slot
 * of its first sample on, and index i holds slot (base + i) mod slots. A young host's profiles are
 * a few numbers (dense 168 + 48 slot arrays were ~90% of its decoded state), a week-old host's are
 * full; a slot beyond the arrays has never been visited.
 */
export interface SeasonalProfile {
  slotMs: number;
  /** Slots in the period. */
  slots: number;
  /** The slot at index 0 of the arrays. */
  base: number;
  level: number[];
  spread: number[];
  visits: number[];
}

export interface RobustStats {
  median: number;
  mad: number;
  p5: number;
  p50: number;
  p95: number;
  p99: number;
}

export interface MetricBaselineState {
  count: number;
  firstTs: number;
  lastTs: number;
  ring: number[];
  head: number;
  ewMean: number;
  ewVar: number;
  daily: SeasonalProfile;
  weekly: SeasonalProfile;
  stats: RobustStats;
  statsAt: number;
}

function profile(periodMs: number, slotMs: number): SeasonalProfile {
  const slots = Math.max(1, Math.round(periodMs / slotMs));
  return { slotMs, slots, base: 0, level: [], spread: [], visits: [] };
}

export function newMetricBaseline(opts: BaselineOptions = DEFAULT_BASELINE_OPTIONS): MetricBaselineState {
  return {
    count: 0,
    firstTs: 0,
    lastTs: 0,
    ring: [],
    head: 0,
    ewMean: 0,
    ewVar: 0,
    daily: profile(DAY_MS, opts.dailySlotMs),
    weekly: profile(WEEK_MS, HOUR_MS),
    stats: { median: 0, mad: 0, p5: 0, p50: 0, p95: 0, p99: 0 },
    statsAt: 0,
  };
}

/** Slot of `t` in a profile (UTC; epoch day 0 was a Thursday, which only rotates the weekly slots). */
export function slotOf(p: SeasonalProfile, t: number): number {
  const n = p.slots;
  return (((Math.floor(t / p.slotMs) % n) + n) % n) as number;
}

/** Index of `t`'s slot in the profile's arrays (at or beyond their length: never visited). */
export function slotIndex(p: SeasonalProfile, t: number): number {
  return (slotOf(p, t) - p.base + p.slots) % p.slots;
}

/** Visits of `t`'s slot. */
function visitsAt(p: SeasonalProfile, t: number): number {
  return p.visits[slotIndex(p, t)] ?? 0;
}

/** Linear-interpolated quantile of an ascending array. */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) return 0;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  const a = sorted[lo]!;
  const b = sorted[hi]!;
  return a + (b - a) * (pos - lo);
}

// Scratch space of robustStats, grown to the largest ring seen: it runs for every metric of every
// host every `statsEvery` samples, and a fresh typed array per call was a good part of its cost.
let scratch = new Float64Array(0);

/** Quantile of the first `n` (ascending) numbers, interpolated as `quantileSorted`. */
function quantileOf(sorted: Float64Array, n: number, q: number): number {
  if (n === 0) return 0;
  const pos = (n - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  const a = sorted[lo]!;
  const b = sorted[hi]!;
  return a + (b - a) * (pos - lo);
}

/**
 * Median of |v - median| over ascending values without sorting the deviations: they are the
 * merge of two ascending runs (median - v walking down from the middle, v - median walking up),
 * so the middle ones are found in half a pass. Same values, same interpolation as sorting them.
 */
function medianAbsDeviation(sorted: Float64Array, n: number, median: number): number {
  if (n === 0) return 0;
  const pos = (n - 1) * 0.5;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  // Split point: values below the median on the left run, the rest on the right run.
  let right = 0;
  while (right < n && sorted[right]! < median) right++;
  let left = right - 1;
  let a = 0;
  let b = 0;
  for (let k = 0; k <= hi; k++) {
    let d: number;
    const dl = left >= 0 ? median - sorted[left]! : Number.POSITIVE_INFINITY;
    const dr = right < n ? sorted[right]! - median : Number.POSITIVE_INFINITY;
    if (dl <= dr) {
      d = dl;
      left--;
    } else {
      d = dr;
      right++;
    }
    if (k === lo) a = d;
    if (k === hi) b = d;
  }
  return a + (b - a) * (pos - lo);
}

export function robustStats(values: readonly number[]): RobustStats {
  const n = values.length;
  if (scratch.length < n) scratch = new Float64Array(n);
  const sorted = scratch;
  for (let i = 0; i < n; i++) sorted[i] = values[i]!;
  sortNumbers(sorted, n);
  const median = quantileOf(sorted, n, 0.5);
  return {
    median,
    mad: medianAbsDeviation(sorted, n, median),
    p5: quantileOf(sorted, n, 0.05),
    p50: median,
    p95: quantileOf(sorted, n, 0.95),
    p99: quantileOf(sorted, n, 0.99),
  };
}

function updateProfile(p: SeasonalProfile, t: number, v: number, alpha: number): void {
  // The first visit anchors the arrays; later slots extend them (with zeros over any gap).
  if (p.level.length === 0) p.base = slotOf(p, t);
  const s = slotIndex(p, t);
  while (p.level.length <= s) {
    p.level.push(0);
    p.spread.push(0);
    p.visits.push(0);
  }
  const visits = p.visits[s]!;
  if (visits === 0) {
    p.level[s] = v;
    p.spread[s] = 0;
  } else {
    const level = p.level[s]!;
    const spread = p.spread[s]!;
    // Huber clip: an outlier moves the level at most 3 spreads, so the level tracks the slot's median.
    const limit = spread > 0 ? 3 * spread : Math.abs(v - level);
    const step = Math.max(-limit, Math.min(limit, v - level));
    const a = Math.max(alpha, 1 / (visits + 1));
    p.level[s] = level + a * step;
    p.spread[s] = spread + a * (Math.abs(v - level) - spread);
  }
  p.visits[s] = visits + 1;
}

/** Folds one sample into the baseline (in place; returns the same object). */
export function updateMetricBaseline(
  state: MetricBaselineState,
  t: number,
  v: number,
  opts: BaselineOptions = DEFAULT_BASELINE_OPTIONS,
): MetricBaselineState {
  if (state.count === 0) {
    state.firstTs = t;
    state.ewMean = v;
    state.ewVar = 0;
  } else {
    // Warm-up uses a plain average so the first samples are not dominated by the initial value.
    const a = Math.max(opts.alpha, 1 / (state.count + 1));
    const d = v - state.ewMean;
    state.ewMean += a * d;
    state.ewVar = (1 - a) * (state.ewVar + a * d * d);
  }
  state.lastTs = t;
  state.count++;
  if (state.ring.length < opts.ringSize) state.ring.push(v);
  else {
    state.ring[state.head] = v;
    state.head = (state.head + 1) % opts.ringSize;
  }
  updateProfile(state.daily, t, v, opts.slotAlpha);
  updateProfile(state.weekly, t, v, opts.slotAlpha);
  if (state.count - state.statsAt >= opts.statsEvery || state.count <= opts.warmupSamples) {
    state.stats = robustStats(state.ring);
    state.statsAt = state.count;
  }
  return state;
}

export function isWarm(state: MetricBaselineState, opts: BaselineOptions = DEFAULT_BASELINE_OPTIONS): boolean {
  return state.count >= opts.warmupSamples;
}

/** The profile whose slot of `t` is trusted: weekly when it has history, else daily, else none. */
function trustedProfile(state: MetricBaselineState, t: number, opts: BaselineOptions): SeasonalProfile | null {
  // No [weekly, daily] array and no result object: this runs for every metric of every sample.
  if (visitsAt(state.weekly, t) >= opts.minSlotVisits) return state.weekly;
  if (visitsAt(state.daily, t) >= opts.minSlotVisits) return state.daily;
  return null;
}

/** The robust seasonal level for `t`: weekly slot when it has history, else the daily slot. */
export function seasonalLevel(
  state: MetricBaselineState,
  t: number,
  opts: BaselineOptions = DEFAULT_BASELINE_OPTIONS,
): { level: number; spread: number } | null {
  const p = trustedProfile(state, t, opts);
  if (!p) return null;
  const s = slotIndex(p, t);
  return { level: p.level[s]!, spread: p.spread[s]! };
}

/** The seasonal level for `t`, or NaN without a trusted slot (allocation-free `seasonalLevel`). */
export function seasonalLevelOrNaN(
  state: MetricBaselineState,
  t: number,
  opts: BaselineOptions = DEFAULT_BASELINE_OPTIONS,
): number {
  const p = trustedProfile(state, t, opts);
  return p ? p.level[slotIndex(p, t)]! : Number.NaN;
}

/** A spread that is never zero: flat series still need a finite scale for deviations. */
export function robustScale(stats: RobustStats, reference: number): number {
  return Math.max(1.4826 * stats.mad, 0.05 * (stats.p95 - stats.p5), 1e-3 * Math.abs(reference), 1e-9);
}

/** Robust deviation of `v` from the baseline, in robust standard deviations (signed). */
export function robustDeviation(
  state: MetricBaselineState,
  t: number,
  v: number,
  opts: BaselineOptions = DEFAULT_BASELINE_OPTIONS,
): number {
  if (!isWarm(state, opts)) return 0;
  const global = robustScale(state.stats, state.stats.median);
  const p = trustedProfile(state, t, opts);
  if (!p) return (v - state.stats.median) / global;
  const s = slotIndex(p, t);
  // Against the slot's own spread (mean absolute deviation ~ 0.8 sigma): the daily swing is not
  // noise. Floored at a quarter of the overall spread so a perfectly regular slot is not infinitely strict.
  return (v - p.level[s]!) / Math.max(1.25 * p.spread[s]!, 0.25 * global);
}

export function summariseBaseline(
  state: MetricBaselineState,
  t: number,
  opts: BaselineOptions = DEFAULT_BASELINE_OPTIONS,
): MetricBaseline {
  const s = state.stats;
  const seasonal = seasonalLevel(state, t, opts);
  return {
    mean: state.ewMean,
    stddev: Math.sqrt(Math.max(0, state.ewVar)),
    median: s.median,
    mad: s.mad,
    p50: s.p50,
    p95: s.p95,
    p99: s.p99,
    seasonalMedian: seasonal ? seasonal.level : null,
    count: state.count,
    warm: isWarm(state, opts),
  };
}

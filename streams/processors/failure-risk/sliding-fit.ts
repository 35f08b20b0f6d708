/**
 * A least-squares line over a sliding time window, updated in O(1) per point: the failure-risk
 * trends (filling resources, log error rates) and the risk trend fit one on every sample, and
 * rebuilding a 360-point regression each time was most of the engine's cost.
 *
 * The window is a FIFO in arrival order, evicted from the front while the front point is older
 * than `windowMs` before the newest, exactly as the array version it replaces. Moments are kept
 * with Welford's update and its inverse (means and centred co-moments, not raw sums: raw Σx² and
 * Σy² of utilisation-like series cancel catastrophically), x in hours from an anchor time that only
 * moves when the moments are recomputed exactly from the points, every `EXACT_EVERY` updates, so
 * rounding drift stays bounded. Non-finite values are counted, not summed: a full regression over
 * them has no fit, and neither has the window while one is inside.
 *
 * Plain numbers and arrays only, so the state serialises as it is.
 */

const HOUR_MS = 3_600_000;
/** Updates between exact recomputations of the moments (each costs one pass over the window). */
export const EXACT_EVERY = 256;
/** Evicted slots kept at the front of the arrays before they are cut off (amortises the copy). */
const COMPACT_MIN = 64;

export interface SlidingFit {
  /** Times (ms) and values in arrival order; the live points are the indices from `start` on. */
  t: number[];
  v: number[];
  start: number;
  /** x of a point = (t - anchorT) / 1 h. */
  anchorT: number;
  /** Finite points in the window and their moments. */
  n: number;
  meanX: number;
  meanY: number;
  sxx: number;
  syy: number;
  sxy: number;
  /** Live points whose value is not finite. */
  nonFinite: number;
  /** Updates since the moments were last recomputed from the points. */
  sinceExact: number;
}

export interface LineFit {
  /** Slope per hour. */
  slope: number;
  /** The fitted line's value at the newest point's time. */
  fitted: number;
  r2: number;
}

export function newSlidingFit(): SlidingFit {
  return {
    t: [],
    v: [],
    start: 0,
    anchorT: 0,
    n: 0,
    meanX: 0,
    meanY: 0,
    sxx: 0,
    syy: 0,
    sxy: 0,
    nonFinite: 0,
    sinceExact: 0,
  };
}

/** Live points in the window (finite or not), what the array version's `length` was. */
export function windowSize(w: SlidingFit): number {
  return w.t.length - w.start;
}

function clearMoments(w: SlidingFit): void {
  w.n = 0;
  w.meanX = 0;
  w.meanY = 0;
  w.sxx = 0;
  w.syy = 0;
  w.sxy = 0;
}

function addMoments(w: SlidingFit, x: number, y: number): void {
  const n = w.n + 1;
  const dx = x - w.meanX;
  const dy = y - w.meanY;
  w.meanX += dx / n;
  w.meanY += dy / n;
  const ry = y - w.meanY;
  w.sxx += dx * (x - w.meanX);
  w.syy += dy * ry;
  w.sxy += dx * ry;
  w.n = n;
}

function removeMoments(w: SlidingFit, x: number, y: number): void {
  const n = w.n - 1;
  if (n <= 0) {
    clearMoments(w);
    return;
  }
  const dx = x - w.meanX;
  const dy = y - w.meanY;
  w.meanX -= dx / n;
  w.meanY -= dy / n;
  const ry = y - w.meanY;
  w.sxx -= dx * (x - w.meanX);
  w.syy -= dy * ry;
  w.sxy -= dx * ry;
  w.n = n;
}

/** Recomputes the moments from the live points (two passes, centred), anchored at the oldest. */
export function recomputeExactly(w: SlidingFit): void {
  clearMoments(w);
  w.nonFinite = 0;
  w.sinceExact = 0;
  const end = w.t.length;
  if (w.start >= end) return;
  w.anchorT = w.t[w.start]!;
  let n = 0;
  let sumX = 0;
  let sumY = 0;
  for (let i = w.start; i < end; i++) {
    const y = w.v[i]!;
    if (!Number.isFinite(y)) {
      w.nonFinite++;
      continue;
    }
    n++;
    sumX += (w.t[i]! - w.anchorT) / HOUR_MS;
    sumY += y;
  }
  if (n === 0) return;
  const mx = sumX / n;
  const my = sumY / n;
  let sxx = 0;
  let syy = 0;
  let sxy = 0;
  for (let i = w.start; i < end; i++) {
    const y = w.v[i]!;
    if (!Number.isFinite(y)) continue;
    const dx = (w.t[i]! - w.anchorT) / HOUR_MS - mx;
    const dy = y - my;
    sxx += dx * dx;
    syy += dy * dy;
    sxy += dx * dy;
  }
  w.n = n;
  w.meanX = mx;
  w.meanY = my;
  w.sxx = sxx;
  w.syy = syy;
  w.sxy = sxy;
}

/** Appends a point, then evicts from the front what fell out of `windowMs` before `t`. */
export function pushPoint(w: SlidingFit, t: number, v: number, windowMs: number): void {
  if (windowSize(w) === 0) {
    // An empty window starts afresh: nothing to drift from, and the anchor follows the data.
    w.t.length = 0;
    w.v.length = 0;
    w.start = 0;
    w.anchorT = t;
    w.nonFinite = 0;
    w.sinceExact = 0;
    clearMoments(w);
  }
  w.t.push(t);
  w.v.push(v);
  if (Number.isFinite(v)) addMoments(w, (t - w.anchorT) / HOUR_MS, v);
  else w.nonFinite++;
  const oldest = t - windowMs;
  while (w.start < w.t.length && w.t[w.start]! < oldest) {
    const y = w.v[w.start]!;
    if (Number.isFinite(y)) removeMoments(w, (w.t[w.start]! - w.anchorT) / HOUR_MS, y);
    else w.nonFinite--;
    w.start++;
  }
  if (w.start >= COMPACT_MIN && w.start * 2 >= w.t.length) {
    w.t.splice(0, w.start);
    w.v.splice(0, w.start);
    w.start = 0;
  }
  if (++w.sinceExact >= EXACT_EVERY) recomputeExactly(w);
}

/**
 * The least-squares line of the window (null without a defined fit: fewer than two points, all at
 * one time, or a non-finite value inside). R² is 0 for a flat series.
 */
export function fitLine(w: SlidingFit): LineFit | null {
  if (windowSize(w) < 2 || w.nonFinite > 0 || !(w.sxx > 0)) return null;
  const slope = w.sxy / w.sxx;
  const lastX = (w.t[w.t.length - 1]! - w.anchorT) / HOUR_MS;
  const fitted = w.meanY + slope * (lastX - w.meanX);
  if (!Number.isFinite(slope) || !Number.isFinite(fitted)) return null;
  return { slope, fitted, r2: w.syy > 0 ? (w.sxy * w.sxy) / (w.sxx * w.syy) : 0 };
}

/** A window holding exactly these points (for state written before windows kept their moments). */
export function slidingFitOf(t: readonly number[], v: readonly number[]): SlidingFit {
  const w = newSlidingFit();
  w.t = [...t];
  w.v = [...v];
  recomputeExactly(w);
  return w;
}

/**
 * The reference least-squares fit the incremental sliding windows (`sliding-fit.ts`) are tested
 * against: a plain batch regression by simple-statistics over the whole window.
 */
import { linearRegression } from 'simple-statistics';

/** A plain window of points. */
export interface Series {
  t: number[];
  v: number[];
}

/** Least-squares slope per hour of a window, the fitted value at its last point, and R². */
export function slopePerHour(s: Series): { slope: number; fitted: number; r2: number } | null {
  if (s.t.length < 2) return null;
  const t0 = s.t[s.t.length - 1]!;
  const pts = s.t.map((t, i) => [(t - t0) / 3_600_000, s.v[i]!]);
  const { m, b } = linearRegression(pts);
  if (!Number.isFinite(m) || !Number.isFinite(b)) return null;
  const mean = s.v.reduce((a, c) => a + c, 0) / s.v.length;
  let ssTot = 0;
  let ssRes = 0;
  for (const [x, y] of pts as Array<[number, number]>) {
    ssTot += (y - mean) ** 2;
    ssRes += (y - (m * x + b)) ** 2;
  }
  return { slope: m, fitted: b, r2: ssTot > 0 ? 1 - ssRes / ssTot : 0 };
}

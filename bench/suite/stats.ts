/**
 * Small statistics for benchmark runs. The machine is shared and noisy, so every figure is the
 * median of repeats and the raw runs are kept beside it for anyone who distrusts the median.
 */
import { median as sampleMedian } from 'simple-statistics';

/** The median (the mean of the middle two for an even count); NaN for no values. */
export function median(values: readonly number[]): number {
  return values.length === 0 ? Number.NaN : sampleMedian([...values]);
}

/** Nearest-rank percentile (p in 0..100) of unsorted values. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1]!;
}

export function round(value: number, digits = 0): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

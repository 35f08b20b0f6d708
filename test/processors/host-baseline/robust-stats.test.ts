import { describe, expect, it } from 'vitest';
import { rng } from '../../../bench/fleet/fleet-sim.js';
import { quantileSorted, robustStats } from '../../../streams/processors/host-baseline/baseline.js';
import { sortNumbers } from '../../../streams/processors/host-baseline/sort-numbers.js';

/** The straightforward definition: sort the values, sort the absolute deviations, interpolate. */
function reference(values: number[]) {
  const sorted = [...values].sort((a, b) => a - b);
  const median = quantileSorted(sorted, 0.5);
  const dev = sorted.map((v) => Math.abs(v - median)).sort((a, b) => a - b);
  return {
    median,
    mad: quantileSorted(dev, 0.5),
    p5: quantileSorted(sorted, 0.05),
    p50: median,
    p95: quantileSorted(sorted, 0.95),
    p99: quantileSorted(sorted, 0.99),
  };
}

describe('robust statistics without allocating', () => {
  it('equal the sort-everything definition exactly, ties and constant rings included', () => {
    const r = rng(23);
    for (let k = 0; k < 2_000; k++) {
      const n = 1 + Math.floor(r() * 300);
      const shape = k % 4;
      const values = Array.from({ length: n }, () =>
        shape === 0 ? r() : shape === 1 ? Math.round(r() * 4) : shape === 2 ? 0.25 : (r() - 0.5) * 1e9,
      );
      expect(robustStats(values)).toEqual(reference(values));
    }
  });

  it('sorts ascending like a numeric comparator sort', () => {
    const r = rng(5);
    for (const n of [0, 1, 2, 15, 16, 17, 288, 1_000]) {
      const values = Array.from({ length: n }, () => Math.floor(r() * 50) - 25 + r());
      const a = Float64Array.from(values);
      sortNumbers(a, n);
      expect([...a]).toEqual([...values].sort((x, y) => x - y));
    }
  });
});

import { describe, expect, it } from 'vitest';
import { benchScorer, syntheticSeries } from '../../bench/scorer/scorer-bench.js';

describe('scorer benchmark (µs per point)', () => {
  it('times every detector and the whole ensemble on the given series', () => {
    const series = [syntheticSeries(3000, 1), syntheticSeries(2000, 2)];
    const report = benchScorer(series, 'synthetic', 1);
    expect(report.points).toBe(5000);
    expect(report.series).toBe(2);
    const m = report.microsPerPoint;
    for (const k of ['deviation', 'context', 'bocpd', 'changeLikelihood', 'ensemble'] as const) {
      expect(m[k]).toBeGreaterThan(0);
      expect(Number.isFinite(m[k])).toBe(true);
    }
    expect(report.command).toBe('npm run bench:scorer');
  });
});

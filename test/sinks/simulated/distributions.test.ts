import { describe, expect, it } from 'vitest';
import { sample, seededRandom } from '../../../sinks/simulated/distributions.js';

describe('delay distributions', () => {
  const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
  const draw = (n: number, f: (r: () => number) => number): number[] => {
    const r = seededRandom(42);
    return Array.from({ length: n }, () => f(r));
  };

  it('is reproducible from the seed', () => {
    const a = seededRandom(7);
    const b = seededRandom(7);
    expect([a(), a(), a()]).toEqual([b(), b(), b()]);
  });

  it('samples each distribution with the configured centre', () => {
    expect(sample({ type: 'constant', value: 5 }, Math.random)).toBe(5);
    const u = draw(5000, (r) => sample({ type: 'uniform', min: 10, max: 20 }, r));
    expect(Math.min(...u)).toBeGreaterThanOrEqual(10);
    expect(Math.max(...u)).toBeLessThan(20);
    expect(mean(draw(20000, (r) => sample({ type: 'exponential', mean: 100 }, r)))).toBeGreaterThan(95);
    expect(mean(draw(20000, (r) => sample({ type: 'exponential', mean: 100 }, r)))).toBeLessThan(105);
    const n = draw(20000, (r) => sample({ type: 'normal', mean: 50, stddev: 10 }, r));
    expect(Math.abs(mean(n) - 50)).toBeLessThan(1);
    const ln = draw(20001, (r) => sample({ type: 'lognormal', median: 200, sigma: 0.5 }, r)).sort((a, b) => a - b);
    expect(Math.abs((ln[10000] ?? 0) - 200)).toBeLessThan(10);
    expect(Math.min(...draw(1000, (r) => sample({ type: 'normal', mean: 0, stddev: 10 }, r)))).toBe(0);
  });
});

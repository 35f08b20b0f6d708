import { describe, expect, it } from 'vitest';
import { median, percentile, round } from '../../bench/suite/stats.js';

describe('benchmark statistics', () => {
  it('median of repeats: the middle value, or the mean of the middle two; NaN for none', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([])).toBeNaN();
    const values = [5, 1, 4];
    median(values);
    expect(values).toEqual([5, 1, 4]);
  });

  it('nearest-rank percentiles and rounding', () => {
    expect(percentile([10, 20, 30, 40], 50)).toBe(20);
    expect(percentile([10, 20, 30, 40], 99)).toBe(40);
    expect(round(1.2345, 2)).toBe(1.23);
  });
});

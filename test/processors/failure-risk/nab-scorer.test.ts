import { describe, expect, it } from 'vitest';
import {
  probationaryLength,
  type ScoredSeries,
  scaledSigmoid,
  scoreCorpus,
  sweepSeries,
} from '../../../bench/nab/nab-scorer.js';

const standard = { tpWeight: 1, fpWeight: 0.11, fnWeight: 1 };
const MIN = 60_000;

function series(n: number, windows: Array<[number, number]>, detections: number[]): ScoredSeries {
  const timestamps = Array.from({ length: n }, (_, i) => i * MIN);
  const scores = timestamps.map((_, i) => (detections.includes(i) ? 1 : 0));
  return { name: 'x.csv', timestamps, windows: windows.map(([a, b]) => [a * MIN, b * MIN]), scores };
}

describe('NAB scorer', () => {
  it('uses the scaled sigmoid of NAB', () => {
    expect(scaledSigmoid(-1)).toBeCloseTo(0.98661, 4);
    expect(scaledSigmoid(0)).toBe(0);
    expect(scaledSigmoid(3)).toBe(-1);
    expect(scaledSigmoid(1)).toBeCloseTo(-0.98661, 4);
    expect(probationaryLength(4032)).toBe(604);
    expect(probationaryLength(100_000)).toBe(750);
  });

  it('gives a detection at the window start the full tp weight, and later ones less', () => {
    const early = sweepSeries(series(1000, [[500, 599]], [500]), standard);
    const late = sweepSeries(series(1000, [[500, 599]], [590]), standard);
    expect(early.find((p) => p.score === 1)!.weight).toBeCloseTo(1, 6);
    const lateW = late.find((p) => p.score === 1)!.weight;
    expect(lateW).toBeGreaterThan(0);
    expect(lateW).toBeLessThan(0.3);
  });

  it('costs a false positive right after a window less than one far away', () => {
    const all = sweepSeries(series(2000, [[500, 599]], []), standard);
    const prob = probationaryLength(2000);
    expect(all[601 - prob]!.weight).toBeGreaterThan(-0.11 * 0.2);
    expect(all[1500 - prob]!.weight).toBeCloseTo(-0.11, 9);
  });

  it('normalises: never firing = 0, perfect = 100, and an early hit with one FP in between', () => {
    const windows: Array<[number, number]> = [
      [500, 599],
      [1500, 1599],
    ];
    expect(scoreCorpus([series(2000, windows, [])], standard).normalised).toBe(0);
    expect(scoreCorpus([series(2000, windows, [500, 1500])], standard).normalised).toBeCloseTo(100, 6);
    const r = scoreCorpus([series(2000, windows, [500, 1000])], standard);
    // one full TP, one FN, one far FP: (1 - 1 - 0.11 - (-2)) / (2 - (-2))
    expect(r.normalised).toBeCloseTo((100 * (1 - 1 - 0.11 + 2)) / 4, 6);
    expect(r.tp).toBe(1);
    expect(r.fp).toBe(1);
    expect(r.fn).toBe(1);
  });

  it('ignores windows inside the probationary period', () => {
    const r = scoreCorpus(
      [
        series(
          2000,
          [
            [10, 50],
            [1500, 1599],
          ],
          [1500],
        ),
      ],
      standard,
    );
    expect(r.normalised).toBeCloseTo(100, 6);
  });
});

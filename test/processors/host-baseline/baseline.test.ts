import { describe, expect, it } from 'vitest';
import {
  DAY_MS,
  DEFAULT_BASELINE_OPTIONS,
  isWarm,
  newMetricBaseline,
  quantileSorted,
  robustDeviation,
  robustStats,
  seasonalLevel,
  summariseBaseline,
  updateMetricBaseline,
} from '../../../streams/processors/host-baseline/baseline.js';

const STEP = 5 * 60_000;
const T0 = Date.UTC(2026, 0, 5);

describe('robust statistics', () => {
  it('computes median, MAD and quantiles unaffected by one huge outlier', () => {
    const s = robustStats([1, 2, 3, 4, 5, 6, 7, 8, 9, 1000]);
    expect(s.median).toBe(5.5);
    expect(s.mad).toBe(2.5);
    expect(s.p99).toBeGreaterThan(900);
    expect(quantileSorted([10, 20], 0.25)).toBe(12.5);
  });
});

describe('metric baseline', () => {
  it('stays cold until warm-up, then reports the summary', () => {
    const b = newMetricBaseline();
    for (let i = 0; i < DEFAULT_BASELINE_OPTIONS.warmupSamples - 1; i++) updateMetricBaseline(b, T0 + i * STEP, 0.5);
    expect(isWarm(b)).toBe(false);
    expect(robustDeviation(b, T0, 100)).toBe(0);
    updateMetricBaseline(b, T0 + 30 * STEP, 0.5);
    expect(isWarm(b)).toBe(true);
    const s = summariseBaseline(b, T0 + 31 * STEP);
    expect(s).toMatchObject({ median: 0.5, mad: 0, p95: 0.5, count: 30, warm: true });
    expect(s.mean).toBeCloseTo(0.5, 12);
  });

  it('learns the daily rhythm: the same value is normal at the peak and deviant at night', () => {
    const b = newMetricBaseline();
    const load = (t: number) => 0.5 + 0.4 * Math.sin((2 * Math.PI * (t % DAY_MS)) / DAY_MS);
    for (let t = T0; t < T0 + 5 * DAY_MS; t += STEP) updateMetricBaseline(b, t, load(t) + 0.01 * Math.sin(t / 7e5));
    const peak = T0 + 5 * DAY_MS + DAY_MS / 4; // sin = 1
    const night = T0 + 5 * DAY_MS + (3 * DAY_MS) / 4; // sin = -1
    expect(seasonalLevel(b, peak)!.level).toBeCloseTo(0.9, 1);
    expect(seasonalLevel(b, night)!.level).toBeCloseTo(0.1, 1);
    expect(Math.abs(robustDeviation(b, peak, 0.9))).toBeLessThan(1);
    expect(robustDeviation(b, night, 0.9)).toBeGreaterThan(3);
  });

  it('is a JSON round-trippable value', () => {
    const b = newMetricBaseline();
    for (let i = 0; i < 50; i++) updateMetricBaseline(b, T0 + i * STEP, i % 7);
    const copy = JSON.parse(JSON.stringify(b));
    updateMetricBaseline(b, T0 + 50 * STEP, 3);
    updateMetricBaseline(copy, T0 + 50 * STEP, 3);
    expect(copy).toEqual(b);
  });
});

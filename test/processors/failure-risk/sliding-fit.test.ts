import { describe, expect, it } from 'vitest';
import { rng } from '../../../bench/fleet/fleet-sim.js';
import {
  EXACT_EVERY,
  fitLine,
  newSlidingFit,
  pushPoint,
  slidingFitOf,
  windowSize,
} from '../../../streams/processors/failure-risk/sliding-fit.js';
import { type Series, slopePerHour } from './reference-fit.js';

const HOUR = 3_600_000;
const T0 = Date.UTC(2026, 0, 5);

/** The array window the incremental one replaces: push, then drop from the front what is too old. */
function pushArray(s: Series, t: number, v: number, windowMs: number): void {
  s.t.push(t);
  s.v.push(v);
  while (s.t.length > 0 && s.t[0]! < t - windowMs) {
    s.t.shift();
    s.v.shift();
  }
}

function expectClose(a: number, b: number, scale: number): void {
  expect(Math.abs(a - b)).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(scale)));
}

describe('incremental sliding-window regression', () => {
  it('matches a full regression over the same window on every step of long noisy series', () => {
    const r = rng(17);
    for (const [stepMs, level, noise] of [
      [10_000, 0.5, 0.01], // utilisation every 10 s
      [300_000, Math.log(1e-3), 0.5], // log error rate every 5 min
      [10_000, 1e9, 1e6], // bytes
    ] as const) {
      const w = newSlidingFit();
      const s: Series = { t: [], v: [] };
      let t = T0;
      for (let i = 0; i < 3 * EXACT_EVERY + 500; i++) {
        // jittered times, the odd out-of-order sample, a slow climb and noise
        t += stepMs * (0.5 + r()) * (r() < 0.02 ? -0.3 : 1);
        const v = level + (level / 50) * (i / 100) + noise * (r() - 0.5);
        pushPoint(w, t, v, HOUR);
        pushArray(s, t, v, HOUR);
        expect(windowSize(w)).toBe(s.t.length);
        if (s.t.length < 3) continue;
        const ref = slopePerHour(s)!;
        const fit = fitLine(w)!;
        const spread = Math.max(...s.v) - Math.min(...s.v);
        expectClose(fit.slope, ref.slope, Math.abs(ref.slope) + spread);
        expectClose(fit.fitted, ref.fitted, Math.abs(ref.fitted) + spread);
        expect(Math.abs(fit.r2 - ref.r2)).toBeLessThan(1e-7);
      }
    }
  });

  it('has no fit while a non-finite value is in the window, and fits again once it has left', () => {
    const w = newSlidingFit();
    for (let i = 0; i < 10; i++) pushPoint(w, T0 + i * 60_000, i, HOUR);
    expect(fitLine(w)!.slope).toBeCloseTo(60, 9);
    pushPoint(w, T0 + 10 * 60_000, Number.NaN, HOUR);
    expect(fitLine(w)).toBeNull();
    // an hour later the NaN has been evicted
    for (let i = 11; i < 80; i++) pushPoint(w, T0 + i * 60_000, i, HOUR);
    expect(fitLine(w)!.slope).toBeCloseTo(60, 9);
  });

  it('has no fit for points at one time, a flat fit (R² 0) for a constant series, and restarts when emptied', () => {
    const same = newSlidingFit();
    for (let i = 0; i < 8; i++) pushPoint(same, T0, i, HOUR);
    expect(fitLine(same)).toBeNull();
    const flat = newSlidingFit();
    for (let i = 0; i < 8; i++) pushPoint(flat, T0 + i * 10_000, 0.1, HOUR);
    expect(fitLine(flat)).toEqual({ slope: 0, fitted: 0.1, r2: 0 });
    // a week of silence empties the window: the new point starts a fresh one
    pushPoint(flat, T0 + 7 * 24 * HOUR, 0.7, HOUR);
    expect(windowSize(flat)).toBe(1);
    expect(flat.meanY).toBe(0.7);
  });

  it('rebuilds a window from plain points (state written before the running moments existed)', () => {
    const t = [0, 1, 2, 3].map((h) => T0 + h * HOUR);
    const v = [0.5, 0.6, 0.7, 0.8];
    const fit = fitLine(slidingFitOf(t, v))!;
    const ref = slopePerHour({ t, v })!;
    expect(fit.slope).toBeCloseTo(ref.slope, 12);
    expect(fit.fitted).toBeCloseTo(ref.fitted, 12);
    expect(fit.r2).toBeCloseTo(1, 12);
  });
});

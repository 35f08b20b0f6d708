import { describe, expect, it } from 'vitest';
import { rng } from '../../../../bench/fleet/fleet-sim.js';
import {
  bocpdSize,
  DEFAULT_BOCPD_OPTIONS,
  logGamma,
  newBocpd,
  updateBocpd,
} from '../../../../streams/processors/failure-risk/detectors/bocpd.js';

/** Standard normal noise from the simulator's seeded generator. */
function gaussian(seed: number): () => number {
  const r = rng(seed);
  return () => Math.sqrt(-2 * Math.log(Math.max(r(), 1e-12))) * Math.cos(2 * Math.PI * r());
}

function run(values: number[], scale = 1): Array<{ change: number }> {
  const s = newBocpd();
  return values.map((v) => ({ change: updateBocpd(s, v, 0, scale) }));
}

describe('Bayesian online change-point detection (bounded run lengths)', () => {
  it('has an accurate log-gamma', () => {
    expect(logGamma(5)).toBeCloseTo(Math.log(24), 12);
    expect(logGamma(0.5)).toBeCloseTo(0.5 * Math.log(Math.PI), 12);
    expect(logGamma(10.5)).toBeCloseTo(13.940625219403763, 10);
  });

  it('finds a known level shift within a few points and stays quiet on the steady parts', () => {
    const g = gaussian(3);
    const values = Array.from({ length: 800 }, (_, i) => (i < 500 ? 10 : 14) + g());
    const out = run(values);
    const before = out.slice(100, 500).map((o) => o.change);
    const after = out.slice(500, 510).map((o) => o.change);
    // steady: the mass on young runs is what the hazard alone puts there
    expect(before.filter((c) => c > 0.5).length).toBeLessThanOrEqual(2);
    expect(Math.max(...after)).toBeGreaterThan(0.9);
    // and once the new level is learnt the young-run mass falls back
    expect(Math.max(...out.slice(600, 800).map((o) => o.change))).toBeLessThan(0.5);
  });

  it('finds a change of variance', () => {
    const g = gaussian(5);
    const values = Array.from({ length: 900 }, (_, i) => 3 + (i < 600 ? 0.2 : 3) * g());
    const out = run(values, 0.2);
    expect(Math.max(...out.slice(600, 620).map((o) => o.change))).toBeGreaterThan(0.5);
    expect(out.slice(200, 600).filter((o) => o.change > 0.5).length).toBeLessThanOrEqual(2);
  });

  it('keeps at most maxRuns hypotheses however long the series (O(R) per point, bounded state)', () => {
    const g = gaussian(8);
    const s = newBocpd();
    let most = 0;
    for (let i = 0; i < 20_000; i++) {
      updateBocpd(s, (i % 3000 < 1500 ? 0 : 5) + g(), 0, 1);
      most = Math.max(most, bocpdSize(s));
      expect(s.run.length).toBe(s.p.length);
      expect(s.n.length).toBe(s.p.length);
    }
    expect(most).toBe(DEFAULT_BOCPD_OPTIONS.maxRuns);
    // a distribution: probabilities sum to one, statistics never outgrow the run memory
    expect(s.p.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 9);
    expect(Math.max(...s.n)).toBeLessThanOrEqual(DEFAULT_BOCPD_OPTIONS.maxRunMemory);
  });

  it('treats a single spike as an outlier of the run, not as a lasting change', () => {
    const g = gaussian(9);
    const values = Array.from({ length: 600 }, (_, i) => 10 + g() + (i === 400 ? 40 : 0));
    const out = run(values);
    // some young-run mass right at the spike, gone a few points later
    expect(Math.max(...out.slice(410, 600).map((o) => o.change))).toBeLessThan(0.5);
  });
});

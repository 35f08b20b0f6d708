import { describe, expect, it } from 'vitest';
import { rng } from '../../../bench/fleet/fleet-sim.js';
import {
  newHostFeatures,
  timeToExhaustionHours,
  trendConfidence,
  updateFeatures,
} from '../../../streams/processors/failure-risk/features.js';
import {
  brierScore,
  contributions,
  newModel,
  PRIOR_MODEL,
  predict,
  reliability,
  train,
} from '../../../streams/processors/failure-risk/model.js';
import {
  applyOutcome,
  evaluateSample,
  exhaustionLevel,
  levelOf,
  newHostRiskState,
} from '../../../streams/processors/failure-risk/risk-engine.js';
import { slopePerHour } from './reference-fit.js';

const STEP = 5 * 60_000;
const T0 = Date.UTC(2026, 0, 5);
const zero = {
  exhaustion: 0,
  fill: 0,
  error_growth: 0,
  error_level: 0,
  deviation: 0,
  co_deviation: 0,
  anomaly: 0,
  missing: 0,
  deploy_failures: 0,
};

describe('trend features', () => {
  it('fits slope, level and R² and projects exhaustion', () => {
    const fit = slopePerHour({ t: [0, 1, 2, 3].map((h) => h * 3_600_000), v: [0.5, 0.6, 0.7, 0.8] })!;
    expect(fit.slope).toBeCloseTo(0.1, 9);
    expect(fit.fitted).toBeCloseTo(0.8, 9);
    expect(fit.r2).toBeCloseTo(1, 9);
    expect(timeToExhaustionHours(0.8, 0.1, 1)).toBeCloseTo(2, 9);
    expect(timeToExhaustionHours(0.8, -0.1, 1)).toBeNull();
    expect(trendConfidence(0.3)).toBe(0);
    expect(trendConfidence(0.9)).toBe(1);
  });

  it('sees a memory leak as exhaustion within hours, and a steady host as nothing', () => {
    const r = rng(3);
    const leak = newHostFeatures();
    const steady = newHostFeatures();
    let leakF = updateFeatures(leak, { timestamp: T0, metrics: { 'mem.utilization': 0.5 } });
    let steadyF = leakF;
    for (let i = 1; i < 400; i++) {
      const t = T0 + i * STEP;
      const noise = 0.005 * (r() - 0.5);
      // leak from sample 300 on: +0.05 per hour
      const mem = 0.5 + noise + (i > 300 ? ((i - 300) * STEP * 0.05) / 3_600_000 : 0);
      leakF = updateFeatures(leak, { timestamp: t, metrics: { 'mem.utilization': mem } });
      steadyF = updateFeatures(steady, { timestamp: t, metrics: { 'mem.utilization': 0.5 + noise } });
    }
    // at sample 399 the leak has run 8.25 h: ~0.91, climbing 0.05/h, so ~1.8 h to full
    expect(leakF.timeToFailureMs! / 3_600_000).toBeGreaterThan(1.5);
    expect(leakF.timeToFailureMs! / 3_600_000).toBeLessThan(2.1);
    expect(leakF.exhaustionConfident).toBe(true);
    expect(leakF.deviating).toBe(true);
    expect(steadyF.exhaustionConfident).toBe(false);
    expect(steadyF.x.exhaustion).toBeLessThan(0.05);
    expect(steadyF.deviating).toBe(false);
  });

  it('reports a gap in samples as missing', () => {
    const f = newHostFeatures();
    for (let i = 0; i < 20; i++) updateFeatures(f, { timestamp: T0 + i * STEP, metrics: { 'cpu.utilization': 0.2 } });
    const after = updateFeatures(f, { timestamp: T0 + 30 * STEP, metrics: { 'cpu.utilization': 0.2 } });
    expect(after.x.missing).toBeGreaterThan(1);
  });
});

describe('online logistic regression', () => {
  it('starts from a prior that is quiet on a healthy host and loud on imminent exhaustion', () => {
    const m = newModel();
    expect(predict(m, zero)).toBeLessThan(0.01);
    expect(predict(m, { ...zero, exhaustion: 2, fill: 0.9 })).toBeGreaterThan(0.5);
    expect(contributions(m, { ...zero, missing: 2, anomaly: 0.5 })[0]!.feature).toBe('missing');
  });

  it('learns a signal the prior did not weigh, and stays close to the prior elsewhere', () => {
    const m = newModel();
    const r = rng(11);
    for (let i = 0; i < 4000; i++) {
      const deploy = r() < 0.5 ? 2 : 0;
      // failures follow deployment failures: 60% vs 1%
      const y = r() < (deploy ? 0.6 : 0.01) ? 1 : 0;
      train(m, { ...zero, deploy_failures: deploy }, y);
    }
    expect(m.weights.deploy_failures).toBeGreaterThan(PRIOR_MODEL.weights.deploy_failures);
    expect(predict(m, { ...zero, deploy_failures: 2 })).toBeGreaterThan(0.4);
    expect(predict(m, { ...zero, deploy_failures: 2 })).toBeLessThan(0.8);
    expect(predict(m, zero)).toBeLessThan(0.03);
    expect(m.weights.exhaustion).toBeCloseTo(PRIOR_MODEL.weights.exhaustion, 1);
    expect(m.updates).toBe(4000);
  });

  it('scores calibration with Brier and reliability buckets', () => {
    expect(
      brierScore([
        { p: 1, y: 1 },
        { p: 0, y: 0 },
      ]),
    ).toBe(0);
    expect(
      brierScore([
        { p: 0.5, y: 1 },
        { p: 0.5, y: 0 },
      ]),
    ).toBe(0.25);
    const buckets = reliability([
      { p: 0.001, y: 0 },
      { p: 0.3, y: 1 },
      { p: 0.35, y: 0 },
      { p: 1, y: 1 },
    ]);
    expect(buckets.map((b) => b.count)).toEqual([1, 0, 0, 2, 1]);
    expect(buckets[3]!.observedRate).toBe(0.5);
    expect(buckets[3]!.meanPredicted).toBeCloseTo(0.325, 9);
  });
});

describe('risk engine', () => {
  it('maps probabilities and confident exhaustion projections to levels', () => {
    expect(levelOf(0.01)).toBe('OK');
    expect(levelOf(0.1)).toBe('WATCH');
    expect(levelOf(0.3)).toBe('WARNING');
    expect(levelOf(0.95)).toBe('CRITICAL');
    expect(exhaustionLevel(3 * 3_600_000, true, 0.6)).toBe('WATCH');
    expect(exhaustionLevel(90 * 60_000, true, 0.85)).toBe('WARNING');
    expect(exhaustionLevel(90 * 60_000, true, 0.6)).toBe('WATCH');
    expect(exhaustionLevel(20 * 60_000, true, 0.6)).toBe('CRITICAL');
    expect(exhaustionLevel(20 * 60_000, false, 0.6)).toBe('OK');
  });

  it('labels pending examples: negatives after the horizon, positives before a failure', () => {
    const m = newModel();
    const s = newHostRiskState('h');
    for (let i = 0; i < 10; i++)
      evaluateSample(s, m, { host: 'h', timestamp: T0 + i * STEP, metrics: { 'cpu.utilization': 0.2 } });
    // horizon 30 min = 6 steps: samples 0..2 have settled as negatives before sample 9
    expect(m.updates).toBe(3);
    expect(s.pending).toHaveLength(7);
    const positives = applyOutcome(s, m, T0 + 10 * STEP, 'host-failure');
    expect(positives).toBe(6); // samples 4..9 lie within 30 min of the failure
    expect(m.positives).toBe(6);
    expect(s.pending).toHaveLength(0);
  });

  it('makes the trigger readable from the record: deviating and rising before a leak kills the host', () => {
    const m = newModel();
    const s = newHostRiskState('h', 'eu-west-1', 'a');
    const r = rng(5);
    let last = evaluateSample(s, m, { host: 'h', timestamp: T0, metrics: { 'mem.utilization': 0.5 } });
    let firstWarning: number | null = null;
    let sawTrigger = false;
    for (let i = 1; i < 420; i++) {
      const t = T0 + i * STEP;
      const mem = Math.min(1, 0.5 + 0.004 * (r() - 0.5) + (i > 300 ? ((i - 300) * STEP * 0.2) / 3_600_000 : 0));
      last = evaluateSample(s, m, { host: 'h', timestamp: t, metrics: { 'mem.utilization': mem } });
      if (i <= 300) expect(last.level).toBe('OK');
      if (firstWarning === null && (last.level === 'WARNING' || last.level === 'CRITICAL')) firstWarning = t;
      if (last.deviating && last.rising) sawTrigger = true;
      if (mem >= 0.98) break;
    }
    expect(firstWarning).not.toBeNull();
    expect(sawTrigger).toBe(true);
    expect(last.level).toBe('CRITICAL');
    expect(last.drivers[0]!.feature).toBe('exhaustion');
    expect(last.timeToFailureMs).not.toBeNull();
    expect(last.modelVersion).toMatch(/^logreg-v2\.\d+$/);
    expect(last.horizonMs).toBe(30 * 60_000);
  });
});

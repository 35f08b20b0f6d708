import { describe, expect, it } from 'vitest';
import { rng } from '../../../bench/fleet/fleet-sim.js';
import {
  DEFAULT_ANOMALY_OPTIONS,
  logLikelihood,
  newHostScorer,
  newMetricScorer,
  normalTail,
  scoreHostSample,
  scoreMetricPoint,
} from '../../../streams/processors/failure-risk/anomaly-scorer.js';

const STEP = 5 * 60_000;

describe('streaming anomaly scorer', () => {
  it('has a sane normal tail and log-likelihood scale', () => {
    expect(normalTail(0)).toBeCloseTo(0.5, 6);
    expect(normalTail(1.96)).toBeCloseTo(0.025, 3);
    expect(normalTail(-1.96)).toBeCloseTo(0.975, 3);
    expect(logLikelihood(1 - 1e-5)).toBeCloseTo(0.5, 3);
    expect(logLikelihood(0.5)).toBeLessThan(0.05);
  });

  it('scores noise low and a level shift high, one point at a time', () => {
    const r = rng(7);
    const state = newHostScorer();
    const scores: number[] = [];
    for (let i = 0; i < 1500; i++) {
      const value = (i < 1200 ? 10 : 25) + r();
      scores.push(scoreHostSample(state, { timestamp: i * STEP, metrics: { 'cpu.utilization': value } }).score);
    }
    const before = Math.max(...scores.slice(300, 1200));
    const after = Math.max(...scores.slice(1200, 1215));
    expect(before).toBeLessThan(0.5);
    expect(after).toBeGreaterThan(0.5);
    expect(after).toBeGreaterThan(before);
  });

  it('never looks ahead: scores of a prefix do not change when more data follows', () => {
    const values = Array.from({ length: 400 }, (_, i) => Math.sin(i / 10) + (i === 350 ? 9 : 0));
    const run = (n: number) => {
      const s = newHostScorer();
      return values.slice(0, n).map((v, i) => scoreHostSample(s, { timestamp: i * STEP, metrics: { m: v } }).score);
    };
    expect(run(360).slice(0, 300)).toEqual(run(300));
  });

  it('scores each metric of a host sample and takes the highest as the host score', () => {
    const state = newHostScorer();
    let last = { score: 0, metrics: {} as Record<string, { score: number }> };
    for (let i = 0; i < 400; i++) {
      last = scoreHostSample(state, {
        timestamp: i * STEP,
        metrics: { a: 1 + (i % 3) * 0.01, b: i === 399 ? 50 : 2 + (i % 5) * 0.01 },
      });
    }
    expect(Object.keys(state.metrics).sort()).toEqual(['a', 'b']);
    expect(last.metrics.b!.score).toBeGreaterThan(last.metrics.a!.score);
    expect(last.score).toBe(last.metrics.b!.score);
  });

  it('alerts once per incident (1 at its onset, then a rest period), with graded evidence alongside', () => {
    const r = rng(11);
    const state = newMetricScorer();
    const out = Array.from({ length: 2000 }, (_, i) => scoreMetricPoint(state, i * STEP, (i < 1200 ? 10 : 25) + r()));
    expect(out.every((o) => o.score === 0 || o.score === 1)).toBe(true);
    expect(out.every((o) => o.evidence >= 0 && o.evidence <= 1)).toBe(true);
    const alerts = out.flatMap((o, i) => (o.score === 1 ? [i] : []));
    expect(alerts.filter((i) => i >= 1200 && i < 1220)).toHaveLength(1);
    for (let k = 1; k < alerts.length; k++)
      expect(alerts[k]! - alerts[k - 1]!).toBeGreaterThan(DEFAULT_ANOMALY_OPTIONS.restPeriod);
    // the shift itself is strong evidence, from the deviation and the change-point detectors
    const shift = out[alerts.find((i) => i >= 1200)!]!;
    expect(shift.evidence).toBeGreaterThanOrEqual(DEFAULT_ANOMALY_OPTIONS.alertLevel);
    expect(Math.max(...out.slice(1200, 1215).map((o) => o.detectors.change))).toBeGreaterThan(0.3);
  });

  it('learns a recurring spike as familiar, and still alerts on a value beyond anything seen', () => {
    const r = rng(12);
    const state = newMetricScorer();
    const value = (i: number) => 1 + 0.05 * r() + (i % 200 === 100 ? 5 : 0) + (i === 3500 ? 12 : 0);
    const out = Array.from({ length: 3600 }, (_, i) => scoreMetricPoint(state, i * STEP, value(i)));
    // the same spike every 200 points: new at first, then its contexts are known and it stops alerting
    expect(out[100]!.detectors.novelty).toBeGreaterThan(0.5);
    const spikeAlerts = out.slice(2000, 3400).filter((o, k) => o.score === 1 && k % 200 === 100).length;
    expect(spikeAlerts).toBe(0);
    expect(Math.max(...out.slice(2000, 3400).map((o) => o.detectors.novelty))).toBeLessThan(0.5);
    // a spike twice as high as any before lies beyond the range: a new extreme, and an alert
    expect(out[3500]!.detectors.extreme).toBeGreaterThan(0.5);
    expect(out[3500]!.score).toBe(1);
  });

  it('keeps a bounded state per metric however long the series', () => {
    const r = rng(13);
    const state = newMetricScorer();
    const o = DEFAULT_ANOMALY_OPTIONS;
    for (let i = 0; i < 20_000; i++)
      scoreMetricPoint(state, i * STEP, Math.sin(i / 40) + r() + (i % 5000 === 0 ? 9 : 0));
    expect(state.short.length).toBeLessThanOrEqual(o.shortWindow);
    expect(state.change.short.length).toBeLessThanOrEqual(o.ensemble.changeWindow);
    expect(state.novelty.length).toBeLessThanOrEqual(o.ensemble.gateMemory);
    expect(state.bocpd.p.length).toBeLessThanOrEqual(o.bocpd.maxRuns);
    expect(state.context.current.length * 32).toBe(o.context.memoryBits);
    expect(state.context.recent.length).toBeLessThan(o.context.orders);
    expect(state.baseline.ring.length).toBeLessThanOrEqual(o.baseline.ringSize);
  });
});

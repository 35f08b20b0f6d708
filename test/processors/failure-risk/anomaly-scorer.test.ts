import { describe, expect, it } from 'vitest';
import {
  logLikelihood,
  newHostScorer,
  normalTail,
  scoreHostSample,
} from '../../../streams/processors/failure-risk/anomaly-scorer.js';
import { rng } from '../../../streams/processors/failure-risk/fleet-sim.js';

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
});

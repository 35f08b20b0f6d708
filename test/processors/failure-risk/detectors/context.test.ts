import { describe, expect, it } from 'vitest';
import {
  DEFAULT_CONTEXT_OPTIONS,
  newContextDetector,
  quantise,
  rangeExceedance,
  updateContext,
} from '../../../../streams/processors/failure-risk/detectors/context.js';

const sawtooth = (i: number) => (i % 12) / 11;

describe('contextual novelty detector', () => {
  it('learns a repeating pattern until nothing in it is new, and finds a new pattern new', () => {
    const s = newContextDetector();
    const novelty: number[] = [];
    for (let i = 0; i < 600; i++) novelty.push(updateContext(s, sawtooth(i)));
    // the first period is all new, later ones are familiar
    expect(Math.max(...novelty.slice(0, 12))).toBe(1);
    expect(Math.max(...novelty.slice(300, 600))).toBe(0);
    // the same values in another order: unigrams known, longer contexts new
    const shuffled = [0, 1, 0.5, 0.1, 0.9, 0.2, 0.8, 0.3];
    const later = shuffled.map((v) => updateContext(s, v));
    expect(Math.max(...later)).toBeGreaterThan(0.5);
  });

  it('measures how far a value lies beyond the range seen, before learning it', () => {
    const s = newContextDetector();
    for (let i = 0; i < 100; i++) updateContext(s, 10 + (i % 10));
    expect(rangeExceedance(s, 15)).toBe(0);
    expect(rangeExceedance(s, 19 + 0.9)).toBeCloseTo(0.1, 3);
    expect(rangeExceedance(s, 10 - 4.5)).toBeCloseTo(0.5, 3);
    updateContext(s, 28);
    // the range widened at once to the new extreme
    expect(rangeExceedance(s, 28)).toBe(0);
    expect(quantise(s, 28, DEFAULT_CONTEXT_OPTIONS.levels)).toBe(DEFAULT_CONTEXT_OPTIONS.levels - 1);
    // a range of one value: any other value lies beyond it
    const flat = newContextDetector();
    for (let i = 0; i < 10; i++) updateContext(flat, 3);
    expect(rangeExceedance(flat, 3)).toBe(0);
    expect(rangeExceedance(flat, 3.1)).toBe(1);
  });

  it('keeps a fixed-size memory that forgets contexts not seen for two epochs', () => {
    const opts = { ...DEFAULT_CONTEXT_OPTIONS, epoch: 100 };
    const s = newContextDetector(opts);
    const words = opts.memoryBits / 32;
    for (let i = 0; i < 300; i++) updateContext(s, sawtooth(i), opts);
    // a pattern of another shape for two epochs...
    for (let i = 0; i < 250; i++) updateContext(s, i % 2, opts);
    expect(s.current).toHaveLength(words);
    expect(s.previous).toHaveLength(words);
    expect(s.recent.length).toBeLessThan(opts.orders);
    // ...and the sawtooth is new again
    const back = Array.from({ length: 12 }, (_, i) => updateContext(s, sawtooth(i), opts));
    expect(Math.max(...back)).toBeGreaterThan(0.5);
  });
});

import { describe, expect, it } from 'vitest';
import { HoppingWindows, SlidingWindows, TimeWindows } from '../../../streams/windows/windows.js';

describe('TimeWindows', () => {
  it('maps a timestamp to its one aligned window, negative times included', () => {
    const w = TimeWindows.of({ sizeMs: 10, graceMs: 5 });
    expect(w.windowsFor(0)).toEqual([{ start: 0, end: 10 }]);
    expect(w.windowsFor(19)).toEqual([{ start: 10, end: 20 }]);
    expect(w.windowsFor(-1)).toEqual([{ start: -10, end: 0 }]);
  });

  it('closes a window at end + grace and defaults retention to size + grace', () => {
    const w = TimeWindows.of({ sizeMs: 10, graceMs: 5 });
    expect(w.isClosed({ start: 0, end: 10 }, 14)).toBe(false);
    expect(w.isClosed({ start: 0, end: 10 }, 15)).toBe(true);
    expect(w.retentionMs).toBe(15);
  });

  it('rejects retention shorter than size + grace and non-positive sizes', () => {
    expect(() => TimeWindows.of({ sizeMs: 10, graceMs: 5, retentionMs: 12 })).toThrow(/retention/);
    expect(() => TimeWindows.of({ sizeMs: 0 })).toThrow(/positive/);
  });
});

describe('HoppingWindows', () => {
  it('puts a record into size/advance overlapping windows, oldest first', () => {
    const w = HoppingWindows.of({ sizeMs: 10, advanceMs: 5 });
    expect(w.windowsFor(12)).toEqual([
      { start: 5, end: 15 },
      { start: 10, end: 20 },
    ]);
    expect(w.windowsFor(10)).toEqual([
      { start: 5, end: 15 },
      { start: 10, end: 20 },
    ]);
    expect(HoppingWindows.of({ sizeMs: 9, advanceMs: 3 }).windowsFor(4)).toHaveLength(3);
  });

  it('rejects an advance larger than the size', () => {
    expect(() => HoppingWindows.of({ sizeMs: 5, advanceMs: 10 })).toThrow(/advance/);
  });
});

describe('SlidingWindows', () => {
  it('defines the window [t - d, t] for each record and finds the record windows covering a time', () => {
    const w = SlidingWindows.of({ timeDifferenceMs: 10, graceMs: 2 });
    expect(w.windowsFor(20)).toEqual([{ start: 10, end: 21 }]);
    expect(w.windowsCovering(15, [5, 12, 20, 25, 26])).toEqual([
      { start: 5, end: 16 },
      { start: 10, end: 21 },
      { start: 15, end: 26 },
    ]);
    expect(w.isClosed({ start: 10, end: 21 }, 23)).toBe(true);
  });
});

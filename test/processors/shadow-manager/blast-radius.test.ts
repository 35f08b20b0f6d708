/** The blast-radius limit: failover actions per sliding minute, fleet-wide and per region. */
import { describe, expect, it } from 'vitest';
import {
  admitPromotions,
  notePromotion,
  recentPromotions,
} from '../../../streams/processors/shadow-manager/blast-radius.js';

const T0 = 1_700_000_000_000;
const limits = { maxPromotionsPerMinute: 4, maxPromotionsPerMinutePerRegion: 2 };
const c = (id: string, region: string, priority = 1) => ({ id, region, priority });

describe('blast radius', () => {
  it('admits per region up to its limit, highest priority first, and holds the rest with the reason', () => {
    const a = admitPromotions([c('low', 'eu', 1), c('crit', 'eu', 9), c('high', 'eu', 5)], [], T0, limits);
    expect(a.admitted.map((e) => e.id)).toEqual(['crit', 'high']);
    expect(a.held).toEqual([
      {
        entry: c('low', 'eu', 1),
        reason: 'blast radius: 2 promotion(s) in eu in the last minute, region limit 2',
      },
    ]);
    expect(a.log).toEqual([
      { at: T0, region: 'eu' },
      { at: T0, region: 'eu' },
    ]);
  });

  it('a region at its limit does not stop other regions; the fleet limit stops all', () => {
    const a = admitPromotions(
      [c('e1', 'eu'), c('e2', 'eu'), c('e3', 'eu'), c('u1', 'us'), c('u2', 'us'), c('a1', 'ap')],
      [],
      T0,
      limits,
    );
    expect(a.admitted.map((e) => e.id).sort()).toEqual(['a1', 'e1', 'e2', 'u1']);
    const reasons = new Map(a.held.map((h) => [h.entry.id, h.reason]));
    expect(reasons.get('e3')).toMatch(/in eu .* region limit 2/);
    expect(reasons.get('u2')).toMatch(/4 promotion\(s\) in the last minute, fleet limit 4/);
  });

  it('counts the promotions of the last minute only: the window slides', () => {
    const log = [
      { at: T0, region: 'eu' },
      { at: T0 + 30_000, region: 'eu' },
    ];
    expect(admitPromotions([c('x', 'eu')], log, T0 + 59_999, limits).admitted).toEqual([]);
    // The first one leaves the window at T0 + 60 s: one slot frees up.
    const later = admitPromotions([c('x', 'eu'), c('y', 'eu')], log, T0 + 60_000, limits);
    expect(later.admitted.map((e) => e.id)).toEqual(['x']);
    expect(later.log).toEqual([
      { at: T0 + 30_000, region: 'eu' },
      { at: T0 + 60_000, region: 'eu' },
    ]);
    expect(recentPromotions(later.log, T0 + 90_001)).toEqual([{ at: T0 + 60_000, region: 'eu' }]);
  });

  it("operators' promotions count against the limit", () => {
    let log = notePromotion([], 'eu', T0);
    log = notePromotion(log, 'eu', T0 + 1);
    expect(admitPromotions([c('x', 'eu'), c('y', 'us')], log, T0 + 2, limits).admitted.map((e) => e.id)).toEqual(['y']);
  });
});

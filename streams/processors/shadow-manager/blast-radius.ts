/**
 * The blast-radius limit: at most `maxPromotionsPerMinute` failover actions (a shadow promoted or a
 * resource redeployed elsewhere: both move a primary) in any sliding minute across the fleet, and
 * at most `maxPromotionsPerMinutePerRegion` in one region. A burst beyond that is more likely a
 * detector gone wrong (a partition, a bad probe, a flood of alerts) than that many real failures at
 * once, and promoting the whole fleet is the one mistake that cannot be undone quickly. Promotions
 * over the limit are HELD — queued with the reason, reported, released in priority order as the
 * window slides — never dropped. Operators' own promotions are counted but never held.
 *
 * Time is the manager's wall clock (a rate of real actions), never event time.
 */

export interface PromotionLimits {
  maxPromotionsPerMinute: number;
  maxPromotionsPerMinutePerRegion: number;
}

export interface PromotionRecord {
  at: number;
  region: string;
}

export const PROMOTION_WINDOW_MS = 60_000;

/** The promotions still inside the sliding minute ending at `now`. */
export function recentPromotions(log: readonly PromotionRecord[], now: number): PromotionRecord[] {
  return log.filter((p) => p.at > now - PROMOTION_WINDOW_MS && p.at <= now);
}

export interface PromotionCandidate {
  region: string;
  priority: number;
  /** Tie-break, so admission order is total. */
  id: string;
}

export interface PromotionAdmission<E extends PromotionCandidate> {
  admitted: E[];
  held: { entry: E; reason: string }[];
  /** The log with the admitted promotions added (and expired ones dropped). */
  log: PromotionRecord[];
}

/** Highest priority first, then id: critical resources are promoted first when the limit bites. */
export function comparePromotions(a: PromotionCandidate, b: PromotionCandidate): number {
  return b.priority - a.priority || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/**
 * Admits candidates in priority order while the fleet-wide and per-region budgets of the sliding
 * minute last. A region at its limit does not stop candidates of other regions.
 */
export function admitPromotions<E extends PromotionCandidate>(
  candidates: readonly E[],
  log: readonly PromotionRecord[],
  now: number,
  limits: PromotionLimits,
): PromotionAdmission<E> {
  const recent = recentPromotions(log, now);
  const admitted: E[] = [];
  const held: { entry: E; reason: string }[] = [];
  const perRegion = new Map<string, number>();
  for (const p of recent) perRegion.set(p.region, (perRegion.get(p.region) ?? 0) + 1);
  let total = recent.length;
  for (const entry of [...candidates].sort(comparePromotions)) {
    const inRegion = perRegion.get(entry.region) ?? 0;
    if (total >= limits.maxPromotionsPerMinute) {
      held.push({
        entry,
        reason: `blast radius: ${total} promotion(s) in the last minute, fleet limit ${limits.maxPromotionsPerMinute}`,
      });
      continue;
    }
    if (inRegion >= limits.maxPromotionsPerMinutePerRegion) {
      held.push({
        entry,
        reason: `blast radius: ${inRegion} promotion(s) in ${entry.region || '(no region)'} in the last minute, region limit ${limits.maxPromotionsPerMinutePerRegion}`,
      });
      continue;
    }
    admitted.push(entry);
    total += 1;
    perRegion.set(entry.region, inRegion + 1);
    recent.push({ at: now, region: entry.region });
  }
  return { admitted, held, log: recent };
}

/** Records promotions that are never held (operators' own), so they count against the limit. */
export function notePromotion(log: readonly PromotionRecord[], region: string, now: number): PromotionRecord[] {
  return [...recentPromotions(log, now), { at: now, region }];
}

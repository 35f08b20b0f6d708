/**
 * The shadow budget and rate limit. Shadows cost capacity, so at most `maxConcurrentShadows` are
 * reserved at once, together reserving at most `maxFleetShare` of the fleet's CPU, and creations
 * pass a token bucket. What does not fit stays QUEUED (never dropped) and is served in priority
 * order as soon as budget or tokens free up.
 */

export interface BudgetLimits {
  maxConcurrentShadows: number;
  maxFleetShare: number;
  createsPerMinute: number;
  createBurst: number;
}

export interface BudgetUsage {
  activeShadows: number;
  reservedCpu: number;
  fleetCpu: number;
}

export interface RateBucket {
  tokens: number;
  refilledAt: number;
}

export function fullBucket(limits: BudgetLimits, now: number): RateBucket {
  return { tokens: limits.createBurst, refilledAt: now };
}

/** Tokens accrue with time; a clock that steps back adds nothing rather than taking tokens away. */
export function refill(bucket: RateBucket, now: number, limits: BudgetLimits): RateBucket {
  if (now <= bucket.refilledAt) return bucket;
  const gained = ((now - bucket.refilledAt) * limits.createsPerMinute) / 60_000;
  return { tokens: Math.min(limits.createBurst, bucket.tokens + gained), refilledAt: now };
}

export interface QueueEntry {
  resourceId: string;
  priority: number;
  enqueuedAt: number;
  cpu: number;
}

/** Highest priority first; among equals the longest waiting; then resource id, so order is total. */
export function compareQueue(a: QueueEntry, b: QueueEntry): number {
  if (a.priority !== b.priority) return b.priority - a.priority;
  if (a.enqueuedAt !== b.enqueuedAt) return a.enqueuedAt - b.enqueuedAt;
  return a.resourceId < b.resourceId ? -1 : a.resourceId > b.resourceId ? 1 : 0;
}

export type DeferReason = 'MAX_CONCURRENT' | 'FLEET_SHARE' | 'RATE_LIMIT';

export interface Admission<E extends QueueEntry> {
  admitted: E[];
  deferred: { entry: E; reason: DeferReason }[];
  bucket: RateBucket;
}

/**
 * Admits queue entries in priority order while budget and tokens last. A large entry that does not
 * fit the CPU share does not block smaller ones behind it (they may still fit), but the concurrency
 * cap and the rate limit stop admission outright since no later entry could pass them.
 */
export function admit<E extends QueueEntry>(
  queue: readonly E[],
  usage: BudgetUsage,
  bucket: RateBucket,
  limits: BudgetLimits,
): Admission<E> {
  const ordered = [...queue].sort(compareQueue);
  const admitted: E[] = [];
  const deferred: { entry: E; reason: DeferReason }[] = [];
  let active = usage.activeShadows;
  let reserved = usage.reservedCpu;
  let tokens = bucket.tokens;
  const cpuCap = usage.fleetCpu * limits.maxFleetShare;
  for (const entry of ordered) {
    if (active >= limits.maxConcurrentShadows) {
      deferred.push({ entry, reason: 'MAX_CONCURRENT' });
      continue;
    }
    if (tokens < 1) {
      deferred.push({ entry, reason: 'RATE_LIMIT' });
      continue;
    }
    if (reserved + entry.cpu > cpuCap + 1e-9) {
      deferred.push({ entry, reason: 'FLEET_SHARE' });
      continue;
    }
    admitted.push(entry);
    active += 1;
    reserved += entry.cpu;
    tokens -= 1;
  }
  return { admitted, deferred, bucket: { tokens, refilledAt: bucket.refilledAt } };
}

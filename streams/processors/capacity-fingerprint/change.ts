/**
 * When is a capacity profile "materially" different from the last one emitted? A new fingerprint
 * goes out on schedule anyway; between schedules only a change that would alter a shadow region's
 * size or shape justifies one (a service appearing or vanishing, host/instance counts moving, or a
 * p95 moving by more than the threshold).
 */
import { CAPACITY_METRICS } from './metrics.js';
import type { CapacityProfile } from './profile.js';

export interface ChangeThresholds {
  /** Relative p95 change that counts as material (0.1 = 10%). */
  p95Relative: number;
  /** Values below this floor are treated as equal to it, so noise around zero never triggers. */
  absoluteFloor: number;
}

export const DEFAULT_CHANGE_THRESHOLDS: ChangeThresholds = { p95Relative: 0.1, absoluteFloor: 1e-3 };

/** Human-readable reasons the profile changed materially; empty when it did not. */
export function materialChanges(
  previous: CapacityProfile | undefined,
  next: CapacityProfile,
  thresholds: ChangeThresholds = DEFAULT_CHANGE_THRESHOLDS,
): string[] {
  if (!previous) return ['first profile'];
  const reasons: string[] = [];
  if (previous.hostCount !== next.hostCount) reasons.push(`hosts ${previous.hostCount} -> ${next.hostCount}`);
  if (previous.instanceCount !== next.instanceCount) {
    reasons.push(`instances ${previous.instanceCount} -> ${next.instanceCount}`);
  }
  const before = new Map(previous.services.map((s) => [s.service, s]));
  const after = new Map(next.services.map((s) => [s.service, s]));
  for (const name of after.keys()) if (!before.has(name)) reasons.push(`service ${name} appeared`);
  for (const name of before.keys()) if (!after.has(name)) reasons.push(`service ${name} vanished`);
  for (const [name, s] of after) {
    const old = before.get(name);
    if (!old) continue;
    if (old.instanceCount !== s.instanceCount) {
      reasons.push(`${name} instances ${old.instanceCount} -> ${s.instanceCount}`);
    }
    for (const metric of CAPACITY_METRICS) {
      const a = old.metrics[metric]?.p95;
      const b = s.metrics[metric]?.p95;
      if (a === undefined || b === undefined) {
        if (a !== b) reasons.push(`${name} ${metric} ${a === undefined ? 'appeared' : 'vanished'}`);
        continue;
      }
      const lo = Math.max(thresholds.absoluteFloor, Math.min(a, b));
      const hi = Math.max(thresholds.absoluteFloor, Math.max(a, b));
      if (hi / lo - 1 > thresholds.p95Relative) {
        reasons.push(`${name} ${metric} p95 ${a.toPrecision(4)} -> ${b.toPrecision(4)}`);
      }
    }
  }
  return reasons;
}

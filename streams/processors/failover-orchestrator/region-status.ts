/**
 * A region's failover status as region.failovers publishes it, derived from the orchestrator's
 * region record: a running failover first (RUNNING), then one awaiting approval
 * (PENDING_APPROVAL), then one a control suppressed (SUPPRESSED), then how the latest one ended
 * (COMPLETED, FAILED, ABORTED; RECOMMENDED in advise mode), else NONE. Drills are not tracked.
 */
import type { RegionFailoverPhase, RegionFailoverStatus } from '../../../schemas/records/region-failover-status.js';
import { isRegionFailoverOpen, type RegionFailover } from './region-failover.js';
import type { RegionRecord } from './types.js';

function ended(f: RegionFailover): RegionFailoverPhase {
  if (f.step === 'FAILED') return 'FAILED';
  if (f.step === 'ABORTED') return 'ABORTED';
  return f.advisory === true ? 'RECOMMENDED' : 'COMPLETED';
}

export function regionStatus(rec: RegionRecord, now: number): RegionFailoverStatus {
  const base = {
    region: rec.region,
    failoverId: '',
    epoch: rec.epoch,
    step: '',
    trigger: '',
    advisory: false,
    updatedAt: now,
    detail: '',
  };
  const f = rec.active;
  if (f && isRegionFailoverOpen(f)) {
    return {
      ...base,
      status: 'RUNNING',
      failoverId: f.failoverId,
      epoch: f.epoch,
      step: f.step,
      trigger: f.trigger,
      advisory: f.advisory === true,
      since: f.startedAt,
    };
  }
  if (rec.pending) {
    return {
      ...base,
      status: 'PENDING_APPROVAL',
      trigger: rec.pending.trigger,
      since: rec.pending.since,
      detail: `approve with POST /regions/${rec.region}/failover/approve`,
    };
  }
  if (rec.suppressed) {
    return {
      ...base,
      status: 'SUPPRESSED',
      trigger: rec.suppressed.trigger,
      since: rec.suppressed.since,
      detail: `held by ${rec.suppressed.by ?? 'a safety control'}; decided when it ends if the region is still FAILED`,
    };
  }
  if (f) {
    return {
      ...base,
      status: ended(f),
      failoverId: f.failoverId,
      epoch: f.epoch,
      step: f.step,
      trigger: f.trigger,
      advisory: f.advisory === true,
      since: f.stepSince,
    };
  }
  return { ...base, status: 'NONE', since: now };
}

/** Equal but for the publication time. */
export function sameStatus(a: RegionFailoverStatus, b: RegionFailoverStatus): boolean {
  const { updatedAt: _a, since: sa, ...restA } = a;
  const { updatedAt: _b, since: sb, ...restB } = b;
  return JSON.stringify(restA) === JSON.stringify(restB) && (a.status === 'NONE' || sa === sb);
}

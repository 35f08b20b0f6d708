/**
 * Resource optimisation (seed 000, step 6): a predicted shadow is retired once its primary host's
 * risk has stayed below the exit threshold for the idle TTL and the shadow was never used. The exit
 * threshold sits below the enter threshold, so risk wobbling between them changes nothing (no
 * flapping). Shadow time is accounted per resource and summed per region for cost reporting.
 */
import type { ShadowLifecycle, ShadowState } from '../../../schemas/records/shadow-state.js';
import { isActive } from './lifecycle.js';
import type { ShadowRecord } from './types.js';

export interface RetirementLimits {
  idleTtlMs: number;
}

export function retirementDue(
  r: Pick<ShadowRecord, 'state' | 'origin' | 'createdAt'>,
  calmSince: number | null,
  now: number,
  limits: RetirementLimits,
): boolean {
  if (r.origin !== 'PREDICTED') return false;
  if (r.state !== 'QUEUED' && !isActive(r.state)) return false;
  if (calmSince === null) return false;
  return now - calmSince >= limits.idleTtlMs && now - r.createdAt >= limits.idleTtlMs;
}

export interface ShadowHours {
  resourceId: string;
  region: string;
  state: ShadowLifecycle;
  shadowHours: number;
}

export interface ShadowHoursReport {
  resources: ShadowHours[];
  regions: { region: string; shadowHours: number; activeShadows: number }[];
  totalShadowHours: number;
}

const HOUR = 3_600_000;

/**
 * Shadow-hours from published states: accumulated shadowMs plus, for shadows still reserved, the
 * open interval since their last update. Pure, so the API computes it from `shadow.state` alone.
 */
export function shadowHours(states: readonly ShadowState[], now: number): ShadowHoursReport {
  const resources = states.map((s) => {
    const open = isActive(s.state) ? Math.max(0, now - s.updatedAt) : 0;
    return { resourceId: s.resourceId, region: s.region, state: s.state, shadowHours: (s.shadowMs + open) / HOUR };
  });
  const byRegion = new Map<string, { shadowHours: number; activeShadows: number }>();
  for (const r of resources) {
    const acc = byRegion.get(r.region) ?? { shadowHours: 0, activeShadows: 0 };
    acc.shadowHours += r.shadowHours;
    if (isActive(r.state)) acc.activeShadows += 1;
    byRegion.set(r.region, acc);
  }
  const regions = [...byRegion.entries()]
    .map(([region, v]) => ({ region, ...v }))
    .sort((a, b) => (a.region < b.region ? -1 : 1));
  return { resources, regions, totalShadowHours: resources.reduce((s, r) => s + r.shadowHours, 0) };
}

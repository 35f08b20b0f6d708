/**
 * Region health: folds per-host failure risk (health.risk) and observed failures (host.failures)
 * into one status per region — HEALTHY, DEGRADED or FAILED — with the reasons that decided it.
 * A failure stands until it ages out or the host reports healthy risk again after a grace period;
 * a risk reading counts only while fresh.
 */
import type { HostFailure } from '../../../schemas/records/host-failure.js';
import type { HostRisk, RiskLevel } from '../../../schemas/records/host-risk.js';
import type { RegionHealth, RegionStatus } from '../../../schemas/records/region-health.js';

export interface HostHealth {
  host: string;
  region: string;
  pFail: number;
  level: RiskLevel;
  /** Event time of the latest risk reading, -1 when none. */
  riskAt: number;
  /** Event time of the latest standing failure, absent when none. */
  failedAt?: number;
  failureKind?: string;
}

export interface HealthPolicy {
  /** A risk reading older than this no longer counts (and the host stops counting as at risk). */
  riskTtlMs: number;
  /** A failure older than this is forgotten. */
  failureTtlMs: number;
  /** A host that reports OK/WATCH risk this long after failing has recovered. */
  recoveryGraceMs: number;
  /** pFail at or above which a host is at risk (WARNING/CRITICAL levels always are). */
  atRiskPFail: number;
  failedFractionForFailed: number;
  failedFractionForDegraded: number;
  atRiskFractionForDegraded: number;
  meanPFailForDegraded: number;
}

export const DEFAULT_HEALTH_POLICY: HealthPolicy = {
  riskTtlMs: 10 * 60_000,
  failureTtlMs: 60 * 60_000,
  recoveryGraceMs: 2 * 60_000,
  atRiskPFail: 0.5,
  failedFractionForFailed: 0.5,
  failedFractionForDegraded: 0.1,
  atRiskFractionForDegraded: 0.2,
  meanPFailForDegraded: 0.3,
};

/** The fields of a HostRisk (schemas/records/host-risk.ts) health is judged by. */
export type HostRiskInput = Pick<HostRisk, 'host' | 'region' | 'timestamp' | 'pFail' | 'level'>;

/** The fields of a HostFailure (schemas/records/host-failure.ts) health is judged by. */
/** `resourceId` set: one resource failed, not the host; that says nothing of the region's hosts. */
export type HostFailureInput = Pick<HostFailure, 'host' | 'region' | 'timestamp' | 'kind'> &
  Partial<Pick<HostFailure, 'resourceId'>>;

export function applyRisk(
  state: HostHealth | undefined,
  r: HostRiskInput,
  policy: HealthPolicy = DEFAULT_HEALTH_POLICY,
): HostHealth {
  const next: HostHealth = state ? { ...state } : { host: r.host, region: r.region, pFail: 0, level: 'OK', riskAt: -1 };
  if (r.timestamp < next.riskAt) return next;
  next.pFail = r.pFail;
  next.level = r.level;
  next.riskAt = r.timestamp;
  if (r.region) next.region = r.region;
  const calm = r.level === 'OK' || r.level === 'WATCH';
  if (next.failedAt !== undefined && calm && r.timestamp - next.failedAt >= policy.recoveryGraceMs) {
    delete next.failedAt;
    delete next.failureKind;
  }
  return next;
}

export function applyFailure(state: HostHealth | undefined, f: HostFailureInput): HostHealth {
  const next: HostHealth = state ? { ...state } : { host: f.host, region: f.region, pFail: 0, level: 'OK', riskAt: -1 };
  if (next.failedAt === undefined || f.timestamp >= next.failedAt) {
    next.failedAt = f.timestamp;
    next.failureKind = f.kind;
  }
  if (f.region) next.region = f.region;
  return next;
}

function pct(x: number): string {
  return `${Math.round(x * 100)}%`;
}

export function assessRegion(
  region: string,
  hosts: readonly HostHealth[],
  now: number,
  policy: HealthPolicy = DEFAULT_HEALTH_POLICY,
): RegionHealth {
  const hostCount = hosts.length;
  const failed = hosts.filter((h) => h.failedAt !== undefined && now - h.failedAt <= policy.failureTtlMs);
  const failedSet = new Set(failed.map((h) => h.host));
  const fresh = hosts.filter((h) => h.riskAt >= 0 && now - h.riskAt <= policy.riskTtlMs && !failedSet.has(h.host));
  const atRisk = fresh.filter((h) => h.level === 'WARNING' || h.level === 'CRITICAL' || h.pFail >= policy.atRiskPFail);
  const meanPFail = fresh.length > 0 ? fresh.reduce((s, h) => s + h.pFail, 0) / fresh.length : 0;
  const failedFraction = hostCount > 0 ? failed.length / hostCount : 0;
  const atRiskFraction = hostCount > 0 ? atRisk.length / hostCount : 0;
  const reasons: string[] = [];
  let status: RegionStatus = 'HEALTHY';
  if (hostCount > 0 && failedFraction >= policy.failedFractionForFailed) {
    status = 'FAILED';
    reasons.push(
      `${failed.length}/${hostCount} hosts failed (${pct(failedFraction)} >= ${pct(policy.failedFractionForFailed)})`,
    );
  } else {
    if (failed.length > 0 && failedFraction >= policy.failedFractionForDegraded) {
      reasons.push(
        `${failed.length}/${hostCount} hosts failed (${pct(failedFraction)} >= ${pct(policy.failedFractionForDegraded)})`,
      );
    }
    if (atRisk.length > 0 && atRiskFraction >= policy.atRiskFractionForDegraded) {
      reasons.push(
        `${atRisk.length}/${hostCount} hosts at risk (${pct(atRiskFraction)} >= ${pct(policy.atRiskFractionForDegraded)})`,
      );
    }
    if (meanPFail >= policy.meanPFailForDegraded) {
      reasons.push(`mean pFail ${meanPFail.toFixed(2)} >= ${policy.meanPFailForDegraded}`);
    }
    if (reasons.length > 0) status = 'DEGRADED';
  }
  const critical = fresh
    .filter((h) => h.level === 'CRITICAL')
    .map((h) => h.host)
    .sort();
  if (critical.length > 0 && status !== 'HEALTHY') {
    reasons.push(
      `critical: ${critical.slice(0, 5).join(', ')}${critical.length > 5 ? ` (+${critical.length - 5})` : ''}`,
    );
  }
  if (failed.length > 0 && status !== 'HEALTHY') {
    const names = failed.map((h) => `${h.host}${h.failureKind ? ` (${h.failureKind})` : ''}`).sort();
    reasons.push(`failed: ${names.slice(0, 5).join(', ')}${names.length > 5 ? ` (+${names.length - 5})` : ''}`);
  }
  return {
    region,
    timestamp: now,
    status,
    hostCount,
    hostsAtRisk: atRisk.length,
    hostsFailed: failed.length,
    meanPFail: Math.round(meanPFail * 1e4) / 1e4,
    reasons,
  };
}

/** Whether a new assessment is worth publishing (status, counts or reasons moved). */
export function healthChanged(previous: RegionHealth | undefined, next: RegionHealth): boolean {
  if (!previous) return true;
  return (
    previous.status !== next.status ||
    previous.hostCount !== next.hostCount ||
    previous.hostsAtRisk !== next.hostsAtRisk ||
    previous.hostsFailed !== next.hostsFailed ||
    JSON.stringify(previous.reasons) !== JSON.stringify(next.reasons)
  );
}

/**
 * Placement of a shadow: another host in the same region, in a different failure domain (zone, then
 * rack) when one qualifies, healthy, with headroom net of deployments and other shadows'
 * reservations, never beside another copy of the resource, preferring a good deployment record.
 * Ranking is total (host id breaks ties), so the same inputs always give the same host.
 */
import type { Host } from '../../../schemas/records/host.js';

export interface HostCandidate {
  host: Host;
  pFail: number;
  /** Declared failed (host.failures or heartbeat loss) and not yet back. */
  failed: boolean;
  usedCpu: number;
  usedMemoryMb: number;
  /** Failed deployments on this host within the look-back window. */
  recentDeployFailures: number;
}

export interface PlacementRequest {
  resourceId: string;
  region: string;
  zone: string;
  rack: string;
  cpu: number;
  memoryMb: number;
  /** Hosts that already hold (or held and failed) a copy: the primary, tried shadow hosts. */
  excludeHosts: readonly string[];
}

export interface PlacementLimits {
  healthyMaxPFail: number;
}

/** 2 = other zone, 1 = same zone but other rack, 0 = same rack (or domain unknown). */
export function domainDistance(
  req: Pick<PlacementRequest, 'zone' | 'rack'>,
  host: Pick<Host, 'zone' | 'rack'>,
): number {
  if (req.zone !== '' && host.zone !== '' && req.zone !== host.zone) return 2;
  if (req.rack !== '' && host.rack !== '' && req.rack !== host.rack) return 1;
  return 0;
}

export interface RankedHost {
  host: Host;
  domain: number;
  score: number;
  headroomCpu: number;
  headroomMemoryMb: number;
}

export function isEligible(req: PlacementRequest, c: HostCandidate, limits: PlacementLimits): boolean {
  if (c.host.state !== 'UP' || c.failed) return false;
  if (c.host.region !== req.region) return false;
  if (req.excludeHosts.includes(c.host.host)) return false;
  if (c.pFail >= limits.healthyMaxPFail) return false;
  return c.host.cpuCores - c.usedCpu >= req.cpu && c.host.memoryMb - c.usedMemoryMb >= req.memoryMb;
}

/**
 * Score within a failure-domain class: spare capacity after placing (CPU weighs more than memory),
 * minus risk, minus 0.15 per recent failed deployment (capped so one bad day is not a life sentence).
 */
export function placementScore(req: PlacementRequest, c: HostCandidate): number {
  const cpuLeft = (c.host.cpuCores - c.usedCpu - req.cpu) / Math.max(c.host.cpuCores, 1e-9);
  const memLeft = (c.host.memoryMb - c.usedMemoryMb - req.memoryMb) / Math.max(c.host.memoryMb, 1);
  return 0.4 * cpuLeft + 0.2 * memLeft - 0.3 * c.pFail - 0.15 * Math.min(c.recentDeployFailures, 4);
}

function ranked(req: PlacementRequest, c: HostCandidate): RankedHost {
  return {
    host: c.host,
    domain: domainDistance(req, c.host),
    score: placementScore(req, c),
    headroomCpu: c.host.cpuCores - c.usedCpu,
    headroomMemoryMb: c.host.memoryMb - c.usedMemoryMb,
  };
}

/** Farther failure domain first, then the higher score, then the host id. */
function better(a: RankedHost, b: RankedHost): number {
  if (a.domain !== b.domain) return b.domain - a.domain;
  if (Math.abs(a.score - b.score) > 1e-9) return b.score - a.score;
  return a.host.host < b.host.host ? -1 : a.host.host > b.host.host ? 1 : 0;
}

export function rankPlacements(
  req: PlacementRequest,
  candidates: readonly HostCandidate[],
  limits: PlacementLimits,
): RankedHost[] {
  return candidates
    .filter((c) => isEligible(req, c, limits))
    .map((c) => ranked(req, c))
    .sort(better);
}

/** The first of rankPlacements, in one pass: with 100k hosts, sorting them all per shadow was most of a decision. */
export function choosePlacement(
  req: PlacementRequest,
  candidates: readonly HostCandidate[],
  limits: PlacementLimits,
): RankedHost | undefined {
  let best: RankedHost | undefined;
  for (const c of candidates) {
    if (!isEligible(req, c, limits)) continue;
    const r = ranked(req, c);
    if (!best || better(r, best) < 0) best = r;
  }
  return best;
}

/** Counts failed deployments within the window, for `recentDeployFailures`. */
export function recentFailures(failureTimes: readonly number[], now: number, windowMs: number): number {
  return failureTimes.filter((t) => t > now - windowMs && t <= now).length;
}

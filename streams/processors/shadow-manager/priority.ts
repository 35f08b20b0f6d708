/**
 * Trigger and dynamic weighting. A host is shadowed when it deviates from its baseline AND its risk
 * is rising (or failure is imminent) AND pFail reaches the enter threshold (seed 000, step 2). Priority orders the work:
 * resources of an imminently failing host (pFail > 0.9 within the horizon) outrank everything and
 * among them tier decides strictly; otherwise tier, pFail and urgency blend.
 */
import type { CriticalityTier } from '../../../schemas/records/deployment.js';
import type { HostRisk } from '../../../schemas/records/host-risk.js';

export const TIER_WEIGHT: Readonly<Record<CriticalityTier, number>> = {
  CRITICAL: 1,
  HIGH: 0.75,
  MEDIUM: 0.5,
  LOW: 0.25,
};

export interface TriggerThresholds {
  enterThreshold: number;
  exitThreshold: number;
  imminentPFail: number;
}

export function shouldShadow(risk: HostRisk, t: TriggerThresholds): boolean {
  // An imminent failure counts as risen: a host that sits at pFail 0.99 without climbing further
  // (or was first seen there, e.g. after a restart of this manager) must still be shadowed.
  return risk.deviating && (risk.rising || isImminent(risk, t.imminentPFail)) && risk.pFail >= t.enterThreshold;
}

export function riskSubsided(risk: HostRisk, t: TriggerThresholds): boolean {
  return risk.pFail < t.exitThreshold;
}

/**
 * When the host's risk first went (and stayed) below the exit threshold; null while it is above.
 * Between the exit and enter thresholds the previous answer stands, which is the hysteresis.
 */
export function nextCalmSince(prev: number | null, risk: HostRisk, at: number, t: TriggerThresholds): number | null {
  if (risk.pFail < t.exitThreshold) return prev ?? at;
  return null;
}

/** 1 when failure is due now, 0.5 at the horizon, towards 0 beyond; a missing forecast counts as the horizon. */
export function urgency(timeToFailureMs: number | null, horizonMs: number): number {
  const horizon = Math.max(1, horizonMs);
  const ttf = timeToFailureMs === null ? horizon : Math.max(0, timeToFailureMs);
  return 1 / (1 + ttf / horizon);
}

export function isImminent(
  risk: Pick<HostRisk, 'pFail' | 'timeToFailureMs' | 'horizonMs'>,
  imminentPFail: number,
): boolean {
  return risk.pFail > imminentPFail && (risk.timeToFailureMs === null || risk.timeToFailureMs <= risk.horizonMs);
}

export interface PriorityInput {
  tier: CriticalityTier;
  pFail: number;
  timeToFailureMs: number | null;
  horizonMs: number;
}

/**
 * Imminent: 2 + tier weight + at most 0.2 of pFail×urgency, so tiers never interleave (tier steps are
 * 0.25) and every imminent resource outranks every non-imminent one (those stay within [0, 1]).
 */
export function shadowPriority(input: PriorityInput, imminentPFail: number): number {
  const w = TIER_WEIGHT[input.tier];
  const u = urgency(input.timeToFailureMs, input.horizonMs);
  const p = Math.min(1, Math.max(0, input.pFail));
  if (isImminent(input, imminentPFail)) return round(2 + w + 0.2 * p * u);
  return round(0.5 * w + 0.3 * p + 0.2 * u);
}

/** Rounded so a replayed decision reproduces the same value bit for bit in ids and logs. */
function round(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}

/**
 * One outcome from several: a region step is carried out per service or per member, and reported
 * once. A refusal for a newer epoch anywhere makes the whole step refused (part of it belongs to
 * a newer failover); otherwise the parts' addresses and details are listed.
 */
import type { Outcome } from '../framework/types.js';

export interface PartOutcome {
  /** Who or what the part is about: a member provider, a service, a record. */
  member: string;
  outcome: Outcome;
}

export function mergeOutcomes(parts: readonly PartOutcome[]): Outcome {
  const said = parts.filter((p) => p.outcome.detail);
  const detail = said.map((p) => `${p.member}: ${p.outcome.detail}`).join('; ');
  const addresses = [...new Set(parts.map((p) => p.outcome.address).filter((a): a is string => !!a))];
  const lags = parts.map((p) => p.outcome.lagBytes).filter((l): l is number => typeof l === 'number');
  const stale = parts.some((p) => p.outcome.status === 'REJECTED_STALE_EPOCH');
  const inProgress = parts.some((p) => p.outcome.status === 'IN_PROGRESS');
  return {
    ...(stale ? { status: 'REJECTED_STALE_EPOCH' as const } : inProgress ? { status: 'IN_PROGRESS' as const } : {}),
    ...(addresses.length > 0 ? { address: addresses.join(',') } : {}),
    ...(lags.length > 0 ? { lagBytes: Math.max(...lags) } : {}),
    detail,
  };
}

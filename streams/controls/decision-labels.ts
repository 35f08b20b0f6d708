/**
 * Which output records of the shadow manager and the failover orchestrator are decisions, and how
 * they are labelled in `foreshadow_decisions_total{topic, decision, outcome}` (counted by the
 * runtime once committed, see SinkSpec.decision): what the automation did, recommended, held or was
 * kept from doing, so an operator can watch advise mode and the safety controls at work.
 *
 *   shadow.commands    CREATE, PROMOTE, RETIRE, FENCE, REDIRECT, DEPLOY_STANDARD → acted | advised
 *                      (REPORT_SYNC is a poll, not a decision: not counted)
 *   failover.commands  LAUNCH_LEVEL, CONFIGURE_NETWORKING, … → acted | advised | drill
 *   failover.events    HOST_FAILOVER / REGION_FAILOVER (…_DRILL for drills) → detected, completed,
 *                      completed_with_failures, failed, aborted, suppressed_pause,
 *                      suppressed_maintenance, advised, pending_approval, approved,
 *                      approval_withdrawn; PROMOTE → held_blast_radius, released, refused
 *                      (other steps are progress, not decisions: not counted)
 *   shadow.state       CREATE → held_pause | held_maintenance (a queued shadow the controls hold;
 *                      the manager writes the state once per hold, not every round)
 *
 * The functions read the values defensively (they are typed `unknown` by the sinks' serdes).
 */
import type { DecisionLabels } from '../runtime/topology.js';

function field(value: unknown, name: string): unknown {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[name] : undefined;
}

function text(value: unknown, name: string): string {
  const v = field(value, name);
  return typeof v === 'string' ? v : '';
}

function acted(value: unknown): string {
  if (field(value, 'dryRun') === true) return 'drill';
  return field(value, 'advisory') === true ? 'advised' : 'acted';
}

/** The cause describeSuppression (controls.ts) wrote into a reason or a detail. */
function suppressionCause(description: string): 'pause' | 'maintenance' | undefined {
  if (description.includes('paused by ')) return 'pause';
  if (description.includes(' in maintenance window ')) return 'maintenance';
  return undefined;
}

export function shadowCommandDecision(_key: unknown, value: unknown): DecisionLabels | undefined {
  const type = text(value, 'type');
  if (type === '' || type === 'REPORT_SYNC') return undefined;
  return { decision: type, outcome: acted(value) };
}

export function failoverCommandDecision(_key: unknown, value: unknown): DecisionLabels | undefined {
  const type = text(value, 'type');
  return type === '' ? undefined : { decision: type, outcome: acted(value) };
}

const FAILOVER_OUTCOMES: Readonly<Record<string, string>> = {
  DETECTED: 'detected',
  COMPLETED: 'completed',
  COMPLETED_WITH_FAILURES: 'completed_with_failures',
  FAILED: 'failed',
  ABORTED: 'aborted',
  FAILOVER_RECOMMENDED: 'advised',
  PENDING_APPROVAL: 'pending_approval',
  APPROVED: 'approved',
  APPROVAL_WITHDRAWN: 'approval_withdrawn',
};

const PROMOTION_OUTCOMES: Readonly<Record<string, string>> = {
  PROMOTION_HELD: 'held_blast_radius',
  PROMOTION_RELEASED: 'released',
  PROMOTION_REFUSED: 'refused',
};

export function failoverEventDecision(_key: unknown, value: unknown): DecisionLabels | undefined {
  const step = text(value, 'step');
  const promotion = PROMOTION_OUTCOMES[step];
  if (promotion) return { decision: 'PROMOTE', outcome: promotion };
  const scope = text(value, 'scope') || 'HOST';
  const decision = `${scope}_FAILOVER${field(value, 'dryRun') === true ? '_DRILL' : ''}`;
  if (step === 'FAILOVER_SUPPRESSED') {
    const cause = suppressionCause(text(value, 'detail'));
    return { decision, outcome: cause ? `suppressed_${cause}` : 'suppressed' };
  }
  const outcome = FAILOVER_OUTCOMES[step];
  return outcome ? { decision, outcome } : undefined;
}

export function shadowStateDecision(_key: unknown, value: unknown): DecisionLabels | undefined {
  const reason = text(value, 'reason');
  if (text(value, 'state') !== 'QUEUED' || !reason.startsWith('held: ')) return undefined;
  const cause = suppressionCause(reason);
  return { decision: 'CREATE', outcome: cause ? `held_${cause}` : 'held' };
}

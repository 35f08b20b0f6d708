/**
 * Host failover (seed 000, step 5 and its pseudocode) as pure plans. For every resource of a failed
 * host: with a usable shadow, fence the old primary and PROMOTE the shadow at epoch+1, then REDIRECT
 * traffic (LB/DNS) to it once promotion succeeded; without one, DEPLOY_STANDARD on the best host,
 * then REDIRECT. Each step is a command whose result moves the plan on, and each step is logged as
 * a failover event with the time since detection. The shadow manager runs these plans because it
 * owns the per-resource shadows and epochs (a single writer per epoch is what makes fencing sound).
 *
 * Safety controls add two phases around a plan: HELD, a resource failover the blast-radius limit
 * holds back (released, re-planned with the state of the moment, when the sliding minute allows),
 * and the advised plan of advise mode, where every step of the plan is recommended at once, as if
 * each had succeeded, and nothing waits for an actuator (`advisePlan`).
 */

import type { ActuationResult } from '../../../schemas/records/actuation-result.js';
import type { Deployment } from '../../../schemas/records/deployment.js';
import type { FailoverEvent } from '../../../schemas/records/failover-event.js';
import type { ShadowCommand, ShadowCommandType } from '../../../schemas/records/shadow-command.js';
import type { Mode } from '../../controls/controls.js';
import { shadowCommandId } from './commands.js';
import type { ShadowRecord } from './types.js';

export type ResourceFailoverMode = 'SHADOW' | 'STANDARD';
/** HELD: the blast-radius limit holds it back; nothing was sent yet. */
export type ResourceFailoverPhase = 'HELD' | 'PROMOTING' | 'DEPLOYING' | 'REDIRECTING' | 'DONE' | 'FAILED';

export interface ResourceSnapshot {
  resourceId: string;
  kind: string;
  region: string;
  zone: string;
  tier: string;
  priority: number;
  config: Record<string, string>;
  primaryHost: string;
  primaryAddress: string;
}

export interface ResourceFailover {
  failoverId: string;
  resource: ResourceSnapshot;
  mode: ResourceFailoverMode;
  phase: ResourceFailoverPhase;
  epoch: number;
  targetHost: string;
  targetAddress: string;
  detectedAt: number;
  phaseSince: number;
  pendingCommandId: string;
  attempts: number;
  detail: string;
  /** Recommended only (advise mode): its commands were recorded, none carried out. */
  advisory?: boolean;
}

export interface HostFailoverRecord {
  failoverId: string;
  host: string;
  region: string;
  /** When the shadow manager took the failure up (its clock); elapsed times count from it. */
  detectedAt: number;
  kind: string;
  resources: string[];
  done: string[];
  failed: string[];
  completed: boolean;
}

export interface FailoverLimits {
  failoverStepTimeoutMs: number;
  failoverMaxAttempts: number;
  promoteSyncing: boolean;
  /** In advise mode a recommended shadow (advisory, placed) counts as ready: the advice assumes it was made. */
  mode?: Mode;
}

export interface FailoverStep {
  failover: ResourceFailover;
  commands: ShadowCommand[];
  events: FailoverEvent[];
}

/** Deterministic: the same failure record always names the same failover. */
export function hostFailoverId(host: string, detectedAt: number): string {
  return `hf:${host}:${detectedAt}`;
}

export function hostEvent(
  f: Pick<HostFailoverRecord, 'failoverId' | 'host' | 'detectedAt'>,
  step: string,
  now: number,
  extra: Partial<Pick<FailoverEvent, 'resourceId' | 'fromHost' | 'toHost' | 'epoch' | 'detail' | 'advisory'>> = {},
): FailoverEvent {
  const resourceId = extra.resourceId ?? '';
  return {
    eventId: `${f.failoverId}:${step}${resourceId ? `:${resourceId}` : ''}${extra.epoch ? `:e${extra.epoch}` : ''}`,
    failoverId: f.failoverId,
    scope: 'HOST',
    subject: f.host,
    step,
    resourceId,
    fromHost: extra.fromHost ?? '',
    toHost: extra.toHost ?? '',
    epoch: extra.epoch ?? 0,
    dryRun: false,
    elapsedMs: Math.max(0, now - f.detectedAt),
    detail: extra.detail ?? '',
    timestamp: now,
    advisory: extra.advisory ?? false,
  };
}

export function snapshotOf(d: Deployment, priority: number): ResourceSnapshot {
  return {
    resourceId: d.resourceId,
    kind: d.kind,
    region: d.region,
    zone: d.zone,
    tier: d.tier,
    priority,
    config: d.config,
    primaryHost: d.host,
    primaryAddress: d.address,
  };
}

/** A shadow worth promoting: of this primary, off the failed host, and in sync (or syncing, if allowed). */
export function usableShadow(s: ShadowRecord | undefined, failedHost: string, limits: FailoverLimits): boolean {
  if (!s || s.primaryHost !== failedHost || s.shadowHost === '' || s.shadowHost === failedHost) return false;
  if (s.advisory === true) return limits.mode === 'advise' && s.state === 'REQUESTED';
  return s.state === 'READY' || (limits.promoteSyncing && s.state === 'SYNCING');
}

function command(
  f: ResourceFailover,
  type: ShadowCommandType,
  now: number,
  target: { host: string; address: string },
  reason: string,
): ShadowCommand {
  const r = f.resource;
  const attempt = type === 'FENCE' ? undefined : f.attempts;
  return {
    commandId: shadowCommandId({ type, resourceId: r.resourceId, epoch: f.epoch, attempt }),
    type,
    resourceId: r.resourceId,
    kind: r.kind,
    epoch: f.epoch,
    primaryHost: r.primaryHost,
    primaryAddress: r.primaryAddress,
    targetHost: target.host,
    targetAddress: target.address,
    region: r.region,
    zone: r.zone,
    tier: r.tier,
    priority: r.priority,
    config: r.config,
    reason,
    issuedAt: now,
    attempt: f.attempts,
    advisory: f.advisory === true,
  };
}

function event(f: ResourceFailover, step: string, now: number, detail = ''): FailoverEvent {
  return hostEvent({ failoverId: f.failoverId, host: f.resource.primaryHost, detectedAt: f.detectedAt }, step, now, {
    resourceId: f.resource.resourceId,
    fromHost: f.resource.primaryHost,
    toHost: f.targetHost,
    epoch: f.epoch,
    detail,
    advisory: f.advisory === true,
  });
}

/**
 * Resource config: the resource's load balancer only sends clients to a primary (a health check of
 * the role, like HAProxy's `tcp-check expect string role:master`), so traffic can be redirected
 * together with the promotion: the load balancer takes the shadow in the moment it answers as the
 * primary, instead of one result-and-command round trip after it. Off by default: without such a
 * check, clients would reach a replica that is not promoted yet.
 */
export const EARLY_REDIRECT_CONFIG = 'failover.earlyRedirect';

/**
 * The REDIRECT sent with the PROMOTE (EARLY_REDIRECT_CONFIG). It has an id of its own (sequence 0),
 * so the plan's REDIRECT after the PROMOTE result is not taken for its duplicate: that one still
 * runs (it converges to the same state, or re-addresses if the promotion reported another address)
 * and ends the failover as before.
 */
function earlyRedirect(f: ResourceFailover, now: number): ShadowCommand {
  const c = command(
    f,
    'REDIRECT',
    now,
    { host: f.targetHost, address: f.targetAddress },
    'redirect with the promotion',
  );
  return {
    ...c,
    commandId: shadowCommandId({ type: 'REDIRECT', resourceId: f.resource.resourceId, epoch: f.epoch, seq: 0 }),
  };
}

/** Whether a command id is that of a REDIRECT sent with the PROMOTE (for reports that time them apart). */
export function isEarlyRedirectId(commandId: string): boolean {
  return commandId.startsWith('redirect:') && commandId.endsWith(':s0');
}

export interface PlanInput {
  failoverId: string;
  detectedAt: number;
  now: number;
  resource: ResourceSnapshot;
  shadow: ShadowRecord | undefined;
  currentEpoch: number;
  /** Best host for a standard deployment, used only without a usable shadow. */
  standardTarget: { host: string; address: string } | undefined;
}

export function planResourceFailover(input: PlanInput, limits: FailoverLimits): FailoverStep {
  const { resource, now } = input;
  const epoch = input.currentEpoch + 1;
  const base = {
    failoverId: input.failoverId,
    resource,
    epoch,
    detectedAt: input.detectedAt,
    phaseSince: now,
    attempts: 1,
  };
  if (input.shadow && usableShadow(input.shadow, resource.primaryHost, limits)) {
    const f: ResourceFailover = {
      ...base,
      mode: 'SHADOW',
      phase: 'PROMOTING',
      targetHost: input.shadow.shadowHost,
      targetAddress: input.shadow.shadowAddress,
      pendingCommandId: '',
      detail: `promoting shadow on ${input.shadow.shadowHost}`,
    };
    // Fence first: if the old primary is only partitioned, it must stop accepting writes at the new epoch.
    const fence = command(
      f,
      'FENCE',
      now,
      { host: resource.primaryHost, address: resource.primaryAddress },
      'fence failed primary',
    );
    const promote = command(f, 'PROMOTE', now, { host: f.targetHost, address: f.targetAddress }, 'primary host failed');
    const commands = [fence, promote];
    if (resource.config[EARLY_REDIRECT_CONFIG] === 'true') commands.push(earlyRedirect(f, now));
    return {
      failover: { ...f, pendingCommandId: promote.commandId },
      commands,
      events: [
        event(
          f,
          'PROMOTION_REQUESTED',
          now,
          `shadow ${input.shadow.state.toLowerCase()}, lag ${input.shadow.lagMs ?? 'n/a'} ms`,
        ),
      ],
    };
  }
  if (input.standardTarget) {
    const f: ResourceFailover = {
      ...base,
      mode: 'STANDARD',
      phase: 'DEPLOYING',
      targetHost: input.standardTarget.host,
      targetAddress: input.standardTarget.address,
      pendingCommandId: '',
      detail: `no shadow; standard deployment on ${input.standardTarget.host}`,
    };
    const deploy = command(
      f,
      'DEPLOY_STANDARD',
      now,
      input.standardTarget,
      'primary host failed without a usable shadow',
    );
    return {
      failover: { ...f, pendingCommandId: deploy.commandId },
      commands: [deploy],
      events: [event(f, 'STANDARD_DEPLOYMENT_REQUESTED', now, f.detail)],
    };
  }
  const f: ResourceFailover = {
    ...base,
    mode: 'STANDARD',
    phase: 'FAILED',
    targetHost: '',
    targetAddress: '',
    pendingCommandId: '',
    detail: 'no shadow and no eligible host for a standard deployment',
  };
  return { failover: f, commands: [], events: [event(f, 'FAILED', now, f.detail)] };
}

function pendingType(f: ResourceFailover): ShadowCommandType {
  if (f.phase === 'PROMOTING') return 'PROMOTE';
  if (f.phase === 'DEPLOYING') return 'DEPLOY_STANDARD';
  return 'REDIRECT';
}

function reissue(f: ResourceFailover, now: number, limits: FailoverLimits, why: string): FailoverStep {
  if (f.attempts >= limits.failoverMaxAttempts) {
    const failed: ResourceFailover = { ...f, phase: 'FAILED', pendingCommandId: '', phaseSince: now, detail: why };
    return {
      failover: failed,
      commands: [],
      events: [event(failed, 'FAILED', now, `${pendingType(f)} gave up after ${f.attempts} attempt(s): ${why}`)],
    };
  }
  const next: ResourceFailover = { ...f, attempts: f.attempts + 1, phaseSince: now };
  const cmd = command(next, pendingType(f), now, { host: f.targetHost, address: f.targetAddress }, `retry: ${why}`);
  return {
    failover: { ...next, pendingCommandId: cmd.commandId },
    commands: [cmd],
    events: [event(next, 'STEP_RETRIED', now, `${cmd.type} attempt ${next.attempts}: ${why}`)],
  };
}

/**
 * A resource failover the blast-radius limit holds back: no command, no epoch taken; the runner
 * releases it (re-planning with the shadow and hosts of that moment) once the limit allows.
 */
export function holdResourceFailover(input: PlanInput, reason: string): FailoverStep {
  const f: ResourceFailover = {
    failoverId: input.failoverId,
    resource: input.resource,
    mode: 'SHADOW',
    phase: 'HELD',
    epoch: input.currentEpoch,
    targetHost: '',
    targetAddress: '',
    detectedAt: input.detectedAt,
    phaseSince: input.now,
    pendingCommandId: '',
    attempts: 0,
    detail: reason,
  };
  return { failover: f, commands: [], events: [event(f, 'PROMOTION_HELD', input.now, reason)] };
}

function syntheticSuccess(f: ResourceFailover, c: ShadowCommand, now: number): ActuationResult {
  return {
    commandId: c.commandId,
    commandType: c.type,
    subject: f.resource.resourceId,
    provider: 'advice',
    epoch: c.epoch,
    status: 'SUCCEEDED',
    retriable: false,
    address: c.targetAddress,
    lagBytes: null,
    lagMs: null,
    durationMs: 0,
    attempt: c.attempt,
    detail: '',
    timestamp: now,
  };
}

/**
 * Advise mode: the whole plan at once. Each step is assumed to succeed, so the recommendation
 * lists every command act mode would send in turn (FENCE, PROMOTE, REDIRECT; or DEPLOY_STANDARD,
 * REDIRECT), all advisory, and the failover ends DONE without waiting for an actuator. One
 * FAILOVER_RECOMMENDED event says what was recommended; the per-step events of act mode would
 * claim effects that never happened.
 */
export function advisePlan(step: FailoverStep, now: number, limits: FailoverLimits): FailoverStep {
  let f: ResourceFailover = { ...step.failover, advisory: true };
  const commands = step.commands.map((c) => ({ ...c, advisory: true }));
  let pending = commands.find((c) => c.commandId === f.pendingCommandId);
  while (pending && isFailoverOpen(f)) {
    const next = onFailoverResult(f, syntheticSuccess(f, pending, now), now, limits);
    f = { ...next.failover, advisory: true };
    const added = next.commands.map((c) => ({ ...c, advisory: true }));
    commands.push(...added);
    pending = added.find((c) => c.commandId === f.pendingCommandId);
  }
  if (commands.length === 0)
    return { ...step, failover: f, events: step.events.map((e) => ({ ...e, advisory: true })) };
  // Act mode redirects twice when the load balancer checks the role (with the PROMOTE and after
  // it, to the same address when the promotion reports no other); a recommendation says it once.
  const redirects = commands.filter((c) => c.type === 'REDIRECT');
  const advised = commands.filter(
    (c) =>
      !isEarlyRedirectId(c.commandId) ||
      !redirects.some((r) => r !== c && r.targetHost === c.targetHost && r.targetAddress === c.targetAddress),
  );
  const done: ResourceFailover = { ...f, phase: 'DONE', pendingCommandId: '', detail: 'recommended (advise mode)' };
  const summary = advised
    .map((c) => `${c.type} ${c.type === 'FENCE' ? c.targetHost : c.targetAddress || c.targetHost}`)
    .join(' → ');
  return {
    failover: done,
    commands: advised,
    events: [
      event(done, 'FAILOVER_RECOMMENDED', now, `advise mode, nothing carried out: ${summary} (epoch ${f.epoch})`),
    ],
  };
}

export function isFailoverOpen(f: ResourceFailover): boolean {
  return f.phase !== 'DONE' && f.phase !== 'FAILED';
}

export function onFailoverResult(
  f: ResourceFailover,
  res: ActuationResult,
  now: number,
  limits: FailoverLimits,
): FailoverStep {
  const same: FailoverStep = { failover: f, commands: [], events: [] };
  if (!isFailoverOpen(f) || res.commandId !== f.pendingCommandId) return same;
  if (res.status === 'IN_PROGRESS' || res.status === 'DUPLICATE') return same;
  if (res.status === 'REJECTED_STALE_EPOCH') {
    const failed: ResourceFailover = {
      ...f,
      phase: 'FAILED',
      pendingCommandId: '',
      phaseSince: now,
      detail: 'refused: stale epoch',
    };
    return {
      failover: failed,
      commands: [],
      events: [
        event(
          failed,
          'FENCED_STALE_EPOCH',
          now,
          `${res.commandType} epoch ${res.epoch} refused by ${res.provider}: ${res.detail}`,
        ),
      ],
    };
  }
  if (res.status === 'FAILED') {
    return res.retriable
      ? reissue(f, now, limits, res.detail || 'actuator failed')
      : reissue({ ...f, attempts: limits.failoverMaxAttempts }, now, limits, res.detail || 'actuator failed');
  }
  // SUCCEEDED
  if (f.phase === 'PROMOTING' || f.phase === 'DEPLOYING') {
    const address = res.address || f.targetAddress;
    const next: ResourceFailover = { ...f, phase: 'REDIRECTING', targetAddress: address, attempts: 1, phaseSince: now };
    const step = f.phase === 'PROMOTING' ? 'SHADOW_PROMOTED' : 'STANDARD_DEPLOYMENT_READY';
    const redirect = command(
      next,
      'REDIRECT',
      now,
      { host: f.targetHost, address },
      'redirect traffic to the new primary',
    );
    return {
      failover: { ...next, pendingCommandId: redirect.commandId },
      commands: [redirect],
      events: [event(next, step, now, `${res.provider} in ${res.durationMs} ms`)],
    };
  }
  const done: ResourceFailover = {
    ...f,
    phase: 'DONE',
    pendingCommandId: '',
    phaseSince: now,
    detail: 'traffic redirected',
  };
  return {
    failover: done,
    commands: [],
    events: [event(done, 'TRAFFIC_REDIRECTED', now, `to ${f.targetAddress || f.targetHost} via ${res.provider}`)],
  };
}

export function onFailoverTick(f: ResourceFailover, now: number, limits: FailoverLimits): FailoverStep {
  // A held failover has nothing in flight to time out: the runner releases it.
  if (!isFailoverOpen(f) || f.phase === 'HELD' || now - f.phaseSince <= limits.failoverStepTimeoutMs)
    return { failover: f, commands: [], events: [] };
  return reissue(f, now, limits, `${pendingType(f)} timed out after ${limits.failoverStepTimeoutMs} ms`);
}

/** Folds a settled resource into its host failover; returns the COMPLETED event once all settled. */
export function settleResource(
  h: HostFailoverRecord,
  f: ResourceFailover,
  now: number,
): { host: HostFailoverRecord; events: FailoverEvent[] } {
  if (h.completed || isFailoverOpen(f)) return { host: h, events: [] };
  const id = f.resource.resourceId;
  if (h.done.includes(id) || h.failed.includes(id)) return { host: h, events: [] };
  const next: HostFailoverRecord =
    f.phase === 'DONE' ? { ...h, done: [...h.done, id] } : { ...h, failed: [...h.failed, id] };
  if (next.done.length + next.failed.length < next.resources.length) return { host: next, events: [] };
  const completed = { ...next, completed: true };
  const step = next.failed.length === 0 ? 'COMPLETED' : 'COMPLETED_WITH_FAILURES';
  return {
    host: completed,
    events: [
      hostEvent(completed, step, now, { detail: `${next.done.length} recovered, ${next.failed.length} failed` }),
    ],
  };
}

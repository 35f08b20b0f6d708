/**
 * The per-resource shadow lifecycle as pure transitions:
 *
 *   QUEUED → REQUESTED → PROVISIONING → SYNCING → READY → PROMOTED | RETIRED | FAILED
 *
 * REQUESTED: CREATE issued; PROVISIONING: the actuator reported progress; SYNCING: the passive copy
 * runs and receives replication (lag reported through REPORT_SYNC polls); READY: lag within bound.
 * A failed or timed-out attempt is retried on the same host with exponential backoff; when the
 * attempts are spent (or the failure is permanent) the host is excluded and the shadow re-placed,
 * up to `maxPlacements` hosts, then FAILED. Only the result of the pending command moves a record,
 * so duplicated and late results are harmless.
 */
import type { ActuationResult } from '../../../schemas/records/actuation-result.js';
import type { Deployment } from '../../../schemas/records/deployment.js';
import type { ShadowCommand } from '../../../schemas/records/shadow-command.js';
import type { ShadowLifecycle, ShadowState } from '../../../schemas/records/shadow-state.js';
import { commandFor, shadowCommandId } from './commands.js';
import type { ShadowOrigin, ShadowRecord } from './types.js';

export interface LifecycleLimits {
  provisionTimeoutMs: number;
  syncTimeoutMs: number;
  syncPollMs: number;
  maxLagMs: number;
  maxAttemptsPerHost: number;
  maxPlacements: number;
  backoffBaseMs: number;
  backoffMaxMs: number;
}

export interface Transition {
  record: ShadowRecord;
  commands: ShadowCommand[];
  /** The current placement is given up: the caller must choose another host (or none). */
  needsPlacement: boolean;
}

const ACTIVE: readonly ShadowLifecycle[] = ['REQUESTED', 'PROVISIONING', 'SYNCING', 'READY'];
const TERMINAL: readonly ShadowLifecycle[] = ['PROMOTED', 'RETIRED', 'FAILED'];

/** Active shadows reserve capacity on their host and count against the budget. */
export function isActive(state: ShadowLifecycle): boolean {
  return ACTIVE.includes(state);
}

export function isTerminal(state: ShadowLifecycle): boolean {
  return TERMINAL.includes(state);
}

export function newShadowRecord(
  d: Deployment,
  priority: number,
  origin: ShadowOrigin,
  epoch: number,
  now: number,
  previous?: ShadowRecord,
): ShadowRecord {
  return {
    resourceId: d.resourceId,
    kind: d.kind,
    region: d.region,
    zone: d.zone,
    rack: d.rack,
    primaryHost: d.host,
    primaryAddress: d.address,
    tier: d.tier,
    priority,
    config: d.config,
    cpu: d.cpu,
    memoryMb: d.memoryMb,
    replication: d.replication,
    origin,
    state: 'QUEUED',
    shadowHost: '',
    shadowAddress: '',
    epoch,
    cycle: (previous?.cycle ?? 0) + 1,
    attempts: 0,
    placements: 0,
    preferredHost: '',
    excludedHosts: [],
    lagBytes: null,
    lagMs: null,
    reason: origin === 'OPERATOR' ? 'requested by operator' : 'host risk rising',
    enqueuedAt: now,
    createdAt: now,
    updatedAt: now,
    stateSince: now,
    retryAt: null,
    pendingCommandId: '',
    syncPolls: 0,
    lastSyncPollAt: null,
    // Shadow time is a running total per resource across shadow cycles.
    shadowMs: previous?.shadowMs ?? 0,
    accountedAt: null,
    advisory: false,
  };
}

/** Adds the time since the last accounting to shadowMs while a shadow is reserved. */
export function accrue(r: ShadowRecord, now: number): ShadowRecord {
  if (r.accountedAt === null) return r;
  return { ...r, shadowMs: r.shadowMs + Math.max(0, now - r.accountedAt), accountedAt: Math.max(now, r.accountedAt) };
}

function moveTo(r: ShadowRecord, state: ShadowLifecycle, now: number, reason: string): ShadowRecord {
  const accrued = accrue(r, now);
  return {
    ...accrued,
    state,
    reason,
    updatedAt: now,
    stateSince: state === r.state ? r.stateSince : now,
    accountedAt: isActive(state) ? (accrued.accountedAt ?? now) : null,
  };
}

export function backoffMs(attempt: number, limits: Pick<LifecycleLimits, 'backoffBaseMs' | 'backoffMaxMs'>): number {
  return Math.min(limits.backoffMaxMs, limits.backoffBaseMs * 2 ** Math.max(0, attempt - 1));
}

function createCommand(r: ShadowRecord, now: number, reason: string): ShadowCommand {
  return commandFor(r, {
    type: 'CREATE',
    commandId: shadowCommandId({
      type: 'CREATE',
      resourceId: r.resourceId,
      epoch: r.epoch,
      cycle: r.cycle,
      placement: r.placements,
      attempt: r.attempts,
    }),
    epoch: r.epoch,
    targetHost: r.shadowHost,
    targetAddress: '',
    reason,
    issuedAt: now,
    attempt: r.attempts,
  });
}

export interface PlacementTarget {
  host: string;
}

/** First placement or re-placement: a fresh CREATE on `target`, attempt 1. */
export function requestShadow(r: ShadowRecord, target: PlacementTarget, now: number, reason: string): Transition {
  const placed: ShadowRecord = {
    ...moveTo(r, 'REQUESTED', now, reason),
    shadowHost: target.host,
    shadowAddress: '',
    placements: r.placements + 1,
    attempts: 1,
    retryAt: null,
    lagBytes: null,
    lagMs: null,
    stateSince: now,
  };
  const cmd = createCommand(placed, now, reason);
  return { record: { ...placed, pendingCommandId: cmd.commandId }, commands: [cmd], needsPlacement: false };
}

function giveUpPlacement(r: ShadowRecord, now: number, reason: string): Transition {
  const excluded =
    r.shadowHost && !r.excludedHosts.includes(r.shadowHost) ? [...r.excludedHosts, r.shadowHost] : r.excludedHosts;
  // The half-built copy may exist: ask for its removal so it neither leaks capacity nor serves.
  const cleanup = r.shadowHost ? [retireCommand(r, now, `abandoned: ${reason}`)] : [];
  return {
    record: { ...accrue(r, now), excludedHosts: excluded, pendingCommandId: '', retryAt: null, reason, updatedAt: now },
    commands: cleanup,
    needsPlacement: true,
  };
}

function failAttempt(
  r: ShadowRecord,
  now: number,
  limits: LifecycleLimits,
  reason: string,
  retriable: boolean,
): Transition {
  if (retriable && r.attempts < limits.maxAttemptsPerHost) {
    const wait = backoffMs(r.attempts, limits);
    const record: ShadowRecord = {
      ...accrue(r, now),
      retryAt: now + wait,
      pendingCommandId: '',
      reason: `attempt ${r.attempts} on ${r.shadowHost} failed (${reason}); retry in ${wait} ms`,
      updatedAt: now,
    };
    return { record, commands: [], needsPlacement: false };
  }
  return giveUpPlacement(r, now, `${reason} on ${r.shadowHost} after ${r.attempts} attempt(s)`);
}

/** After `needsPlacement`: re-place on `target`, or fail when there is none or the placements are spent. */
export function replaceShadow(
  r: ShadowRecord,
  target: PlacementTarget | undefined,
  now: number,
  limits: LifecycleLimits,
): Transition {
  if (target && r.placements < limits.maxPlacements) {
    return requestShadow(r, target, now, `re-placed on ${target.host}: ${r.reason}`);
  }
  const why = target ? `gave up after ${r.placements} placement(s): ${r.reason}` : `no eligible host: ${r.reason}`;
  return { record: { ...moveTo(r, 'FAILED', now, why), pendingCommandId: '' }, commands: [], needsPlacement: false };
}

function lagWithinBound(r: ShadowRecord, lagMs: number | null, limits: LifecycleLimits): boolean {
  // A resource without replication has nothing to catch up on; one with replication must prove it.
  if (!r.replication) return true;
  return lagMs !== null && lagMs <= limits.maxLagMs;
}

/** Prefix of every command id of the current placement, to accept sync reports of any poll. */
export function placementPrefix(type: 'REPORT_SYNC' | 'CREATE', r: ShadowRecord): string {
  return `${shadowCommandId({ type, resourceId: r.resourceId, epoch: r.epoch, cycle: r.cycle, placement: r.placements })}:`;
}

const unchanged = (r: ShadowRecord): Transition => ({ record: r, commands: [], needsPlacement: false });

export function onResult(r: ShadowRecord, res: ActuationResult, now: number, limits: LifecycleLimits): Transition {
  if (res.commandType === 'CREATE') {
    if (res.commandId !== r.pendingCommandId || (r.state !== 'REQUESTED' && r.state !== 'PROVISIONING')) {
      return unchanged(r);
    }
    switch (res.status) {
      case 'IN_PROGRESS':
        return unchanged(
          r.state === 'REQUESTED' ? moveTo(r, 'PROVISIONING', now, `provisioning on ${r.shadowHost}`) : r,
        );
      case 'SUCCEEDED': {
        const base = {
          ...r,
          shadowAddress: res.address,
          lagBytes: res.lagBytes,
          lagMs: res.lagMs,
          pendingCommandId: '',
        };
        if (lagWithinBound(r, res.lagMs, limits)) {
          return unchanged({ ...moveTo(base, 'READY', now, 'passive copy in sync'), lastSyncPollAt: now });
        }
        return unchanged({ ...moveTo(base, 'SYNCING', now, 'receiving replication'), lastSyncPollAt: now });
      }
      case 'FAILED':
        return failAttempt(r, now, limits, res.detail || 'provisioning failed', res.retriable);
      case 'REJECTED_STALE_EPOCH':
        return unchanged({
          ...moveTo(r, 'FAILED', now, `refused as stale (epoch ${res.epoch})`),
          pendingCommandId: '',
        });
      default:
        return unchanged(r);
    }
  }
  if (res.commandType === 'REPORT_SYNC') {
    if (!res.commandId.startsWith(placementPrefix('REPORT_SYNC', r))) return unchanged(r);
    if (r.state !== 'SYNCING' && r.state !== 'READY') return unchanged(r);
    if (res.status !== 'SUCCEEDED' && res.status !== 'IN_PROGRESS') return unchanged(r);
    const withLag = { ...r, lagBytes: res.lagBytes, lagMs: res.lagMs, updatedAt: now };
    const inSync = lagWithinBound(r, res.lagMs, limits);
    if (r.state === 'SYNCING' && inSync) return unchanged(moveTo(withLag, 'READY', now, 'passive copy in sync'));
    if (r.state === 'READY' && !inSync)
      return unchanged(moveTo(withLag, 'SYNCING', now, 'replication lag above bound'));
    return unchanged(withLag);
  }
  return unchanged(r);
}

/** Wall-clock housekeeping: due retries, timeouts, sync polls. */
export function onTick(r: ShadowRecord, now: number, limits: LifecycleLimits): Transition {
  if (r.retryAt !== null && now >= r.retryAt && (r.state === 'REQUESTED' || r.state === 'PROVISIONING')) {
    const next: ShadowRecord = {
      ...moveTo(r, 'REQUESTED', now, `retry ${r.attempts + 1} on ${r.shadowHost}`),
      attempts: r.attempts + 1,
      retryAt: null,
      stateSince: now,
    };
    const cmd = createCommand(next, now, next.reason);
    return { record: { ...next, pendingCommandId: cmd.commandId }, commands: [cmd], needsPlacement: false };
  }
  if (
    (r.state === 'REQUESTED' || r.state === 'PROVISIONING') &&
    r.retryAt === null &&
    now - r.stateSince > limits.provisionTimeoutMs
  ) {
    return failAttempt(r, now, limits, 'provisioning timed out', true);
  }
  if (r.state === 'SYNCING' && now - r.stateSince > limits.syncTimeoutMs) {
    return failAttempt(r, now, limits, 'replication did not converge', false);
  }
  if ((r.state === 'SYNCING' || r.state === 'READY') && r.replication) {
    if (r.lastSyncPollAt === null || now - r.lastSyncPollAt >= limits.syncPollMs) {
      const seq = r.syncPolls + 1;
      const record: ShadowRecord = { ...r, syncPolls: seq, lastSyncPollAt: now };
      const cmd = commandFor(record, {
        type: 'REPORT_SYNC',
        commandId: shadowCommandId({
          type: 'REPORT_SYNC',
          resourceId: r.resourceId,
          epoch: r.epoch,
          cycle: r.cycle,
          placement: r.placements,
          seq,
        }),
        epoch: r.epoch,
        targetHost: r.shadowHost,
        targetAddress: r.shadowAddress,
        reason: 'report replication lag',
        issuedAt: now,
        attempt: 1,
      });
      return { record, commands: [cmd], needsPlacement: false };
    }
  }
  return unchanged(r);
}

function retireCommand(r: ShadowRecord, now: number, reason: string): ShadowCommand {
  return commandFor(r, {
    type: 'RETIRE',
    commandId: shadowCommandId({
      type: 'RETIRE',
      resourceId: r.resourceId,
      epoch: r.epoch,
      cycle: r.cycle,
      placement: r.placements,
    }),
    epoch: r.epoch,
    targetHost: r.shadowHost,
    targetAddress: r.shadowAddress,
    reason,
    issuedAt: now,
    attempt: 1,
  });
}

/** Ends a shadow: a queued one simply leaves the queue; a reserved one is removed by its actuator. */
export function retire(r: ShadowRecord, now: number, reason: string): Transition {
  if (isTerminal(r.state)) return unchanged(r);
  const commands = r.state === 'QUEUED' || r.shadowHost === '' ? [] : [retireCommand(r, now, reason)];
  return {
    record: { ...moveTo(r, 'RETIRED', now, reason), pendingCommandId: '', retryAt: null },
    commands,
    needsPlacement: false,
  };
}

/** The shadow became the primary at `epoch`; its cost accounting stops here. */
export function markPromoted(r: ShadowRecord, now: number, epoch: number, reason: string): ShadowRecord {
  return { ...moveTo(r, 'PROMOTED', now, reason), epoch, pendingCommandId: '', retryAt: null };
}

export function toShadowState(r: ShadowRecord): ShadowState {
  return {
    resourceId: r.resourceId,
    kind: r.kind,
    region: r.region,
    primaryHost: r.primaryHost,
    shadowHost: r.shadowHost,
    shadowAddress: r.shadowAddress,
    state: r.state,
    epoch: r.epoch,
    tier: r.tier,
    priority: r.priority,
    lagBytes: r.lagBytes,
    lagMs: r.lagMs,
    attempts: r.attempts,
    reason: r.reason,
    createdAt: r.createdAt,
    updatedAt: r.updatedAt,
    shadowMs: r.shadowMs,
    advisory: r.advisory === true,
  };
}

/**
 * Region failover (seed 004, Failover Orchestrator) as a pure state machine over a shadow blueprint.
 * The blueprint knows the capacity and the dependency order before the failure, so the failover
 *   1. launches all of the blueprint's capacity at once: one LAUNCH_LEVEL with provisionOnly=true
 *      boots every instance of every service with its configuration, without starting services;
 *   2. starts each launch unit (launch-plan.ts: a service, or a dependency cycle's services) as
 *      soon as the units *it* depends on are ready — a pipeline over the DAG; the actuator starts
 *      them on the instances booted in 1 (or boots them first if that is still under way);
 *   3. then configures networking, redirects traffic and triggers data replication as its own step,
 *      logging each step with its timing.
 * Why not level by level (the earlier design): every level waited for the slowest instance of the
 * level before, and every service's instance boot waited for its dependencies, so an 11-level DAG
 * paid 11 boots in a row and the blueprint-driven failover was slower than a cold start
 * (the region model, bench/region-failover/model). Now boots overlap completely and only service starts follow the DAG.
 *
 * Start commands (`startCommands`): by default units that become startable at the same moment go
 * out in one LAUNCH_LEVEL (`level` = the lowest of their levels), so the starts advance in waves of
 * the DAG; `per-unit` sends one LAUNCH_LEVEL per unit, so a unit never waits for a batch-mate. Why
 * batches by default: a region's commands share a partition of failover.commands, and the actuator
 * consumer (sinks/framework) handles one record at a time per partition, so per-unit commands would
 * run every start one after another. In the region model (40 services, 11 levels) per-unit commands
 * take 205 s with an actuator running a region's commands concurrently but 469 s with one running
 * them in turn; batches take 228 s and 239 s (with everything booted up front the starts take about
 * equally long, so a batch holds little back). Capacity goes first, so a one-at-a-time actuator
 * boots everything before starting anything. Each command is timed out and retried on its own.
 * A drill (dryRun) runs the very same plan; its commands carry dryRun=true so only a simulated
 * provider acts. In advise mode the plan is recommended whole (`adviseRegionFailover`): every
 * command act mode would send in turn, each step assumed to succeed, all advisory, so no actuator
 * carries any of them out.
 */
import type { ActuationResult } from '../../../schemas/records/actuation-result.js';
import type { FailoverCommand, FailoverCommandType } from '../../../schemas/records/failover-command.js';
import type { FailoverEvent } from '../../../schemas/records/failover-event.js';
import type { ShadowBlueprint } from '../../../schemas/records/shadow-blueprint.js';
import { type LaunchUnit, planLaunches } from './launch-plan.js';

export { type LaunchLevel, type LaunchUnit, planLaunches, planLevels } from './launch-plan.js';

export type RegionStep = 'LAUNCH' | 'NETWORKING' | 'REDIRECT' | 'REPLICATION' | 'DONE' | 'FAILED' | 'ABORTED';

export type UnitState = 'WAITING' | 'LAUNCHING' | 'READY';

export type StartCommands = 'per-wave' | 'per-unit';

export interface UnitProgress extends LaunchUnit {
  /** `provision`: boot every instance up front (one per failover); `start`: start a unit's services. */
  kind: 'provision' | 'start';
  state: UnitState;
  /** Attempts of the command that carries this unit. */
  attempts: number;
  /** That command while LAUNCHING; units started together share it. */
  commandId: string;
  /** First launch (time-to-ready is measured from it). */
  launchedAt: number | null;
  /** Current attempt (the step timeout is measured from it). */
  attemptAt: number | null;
  readyAt: number | null;
}

export interface RegionFailover {
  failoverId: string;
  primaryRegion: string;
  shadowRegion: string;
  epoch: number;
  blueprintVersion: number;
  dryRun: boolean;
  trigger: string;
  startedAt: number;
  /** Every launch unit with its progress; the LAUNCH step ends when all are READY. */
  units: UnitProgress[];
  startCommands: StartCommands;
  step: RegionStep;
  stepSince: number;
  /** The outstanding command of the NETWORKING / REDIRECT / REPLICATION step (launches: `units`). */
  pendingCommandId: string;
  /** Attempt of the current non-launch step. */
  attempts: number;
  stepTimings: { step: string; ms: number }[];
  /** Recommended only (advise mode). Absent (false) in failovers stored before advise mode. */
  advisory?: boolean;
}

export interface RegionLimits {
  regionStepTimeoutMs: number;
  regionMaxAttempts: number;
}

export interface RegionTransition {
  failover: RegionFailover;
  commands: FailoverCommand[];
  events: FailoverEvent[];
}

export function regionFailoverId(region: string, epoch: number, dryRun: boolean, startedAt: number): string {
  return dryRun ? `drill:${region}:${startedAt}` : `rf:${region}:e${epoch}`;
}

const STEP_COMMAND: Record<'NETWORKING' | 'REDIRECT' | 'REPLICATION', FailoverCommandType> = {
  NETWORKING: 'CONFIGURE_NETWORKING',
  REDIRECT: 'REDIRECT_TRAFFIC',
  REPLICATION: 'START_REPLICATION',
};

/** A non-launch step's command, or (with `batch`) the LAUNCH_LEVEL of units launched together. */
function command(f: RegionFailover, type: FailoverCommandType, now: number, batch?: UnitProgress[]): FailoverCommand {
  const first = batch?.[0];
  return {
    // The batch's first unit names it: every unit is launched in exactly one batch.
    commandId: first
      ? `${f.failoverId}:launch_level:${first.id}:a${first.attempts}`
      : `${f.failoverId}:${type.toLowerCase()}:a${f.attempts}`,
    failoverId: f.failoverId,
    type,
    primaryRegion: f.primaryRegion,
    shadowRegion: f.shadowRegion,
    epoch: f.epoch,
    blueprintVersion: f.blueprintVersion,
    level: batch ? Math.min(...batch.map((u) => u.level)) : -1,
    services: batch?.flatMap((u) => u.services) ?? [],
    dryRun: f.dryRun,
    provisionOnly: first?.kind === 'provision',
    issuedAt: now,
    advisory: f.advisory === true,
  };
}

export function regionEvent(
  f: RegionFailover,
  step: string,
  now: number,
  detail: string,
  unit?: UnitProgress,
): FailoverEvent {
  return {
    eventId: unit ? `${f.failoverId}:${step}:${unit.id}:a${unit.attempts}` : `${f.failoverId}:${step}:a${f.attempts}`,
    failoverId: f.failoverId,
    scope: 'REGION',
    subject: f.primaryRegion,
    step,
    resourceId: '',
    fromHost: f.primaryRegion,
    toHost: f.shadowRegion,
    epoch: f.epoch,
    dryRun: f.dryRun,
    elapsedMs: Math.max(0, now - f.startedAt),
    detail,
    timestamp: now,
    advisory: f.advisory === true,
  };
}

const same = (f: RegionFailover): RegionTransition => ({ failover: f, commands: [], events: [] });

function concat(a: RegionTransition, b: RegionTransition): RegionTransition {
  return { failover: b.failover, commands: [...a.commands, ...b.commands], events: [...a.events, ...b.events] };
}

/** An open failover stored by an orchestrator from before launch units (it has `levels` instead). */
function unitsOf(f: RegionFailover): UnitProgress[] | null {
  return Array.isArray((f as Partial<RegionFailover>).units) ? f.units : null;
}

const names = (u: LaunchUnit): string => u.services.map((s) => s.service).join(', ');
const instancesOf = (u: LaunchUnit): number => u.services.reduce((n, s) => n + s.instances, 0);

const EVENT: Record<UnitProgress['kind'], { launched: string; ready: string }> = {
  provision: { launched: 'CAPACITY_LAUNCHED', ready: 'CAPACITY_READY' },
  start: { launched: 'SERVICE_STARTING', ready: 'SERVICE_READY' },
};

function withUnits(f: RegionFailover, changed: readonly UnitProgress[]): RegionFailover {
  const byId = new Map(changed.map((u) => [u.id, u]));
  return { ...f, units: f.units.map((u) => byId.get(u.id) ?? u) };
}

/** Sends (or re-sends, with the next attempt) one LAUNCH_LEVEL carrying `batch`. */
function sendBatch(f: RegionFailover, batch: UnitProgress[], attempts: number, now: number): RegionTransition {
  const launching = batch.map((u) => ({ ...u, state: 'LAUNCHING' as const, attempts, attemptAt: now }));
  const cmd = command(f, 'LAUNCH_LEVEL', now, launching);
  const units = launching.map((u) => ({ ...u, commandId: cmd.commandId, launchedAt: u.launchedAt ?? now }));
  return { failover: withUnits(f, units), commands: [cmd], events: [] };
}

/** Launches every waiting unit whose dependencies are all ready: capacity first, then the starts. */
function launchReady(f: RegionFailover, now: number): RegionTransition {
  const ready = new Set(f.units.filter((u) => u.state === 'READY').map((u) => u.id));
  const due = f.units.filter((u) => u.state === 'WAITING' && u.after.every((a) => ready.has(a)));
  const starts = due.filter((u) => u.kind === 'start');
  const batches = [
    due.filter((u) => u.kind === 'provision'),
    ...(f.startCommands === 'per-unit' ? starts.map((u) => [u]) : [starts]),
  ];
  let t = same(f);
  for (const batch of batches) {
    if (batch.length === 0) continue;
    t = concat(t, sendBatch(t.failover, batch, 1, now));
  }
  const events = due.map((u) => {
    const unit = t.failover.units.find((x) => x.id === u.id)!;
    const detail =
      u.kind === 'provision'
        ? `booting ${instancesOf(u)} instance(s) of ${u.services.length} service(s) at once`
        : `level ${u.level}: ${names(u)} (${instancesOf(u)} instance(s))`;
    return regionEvent(t.failover, EVENT[u.kind].launched, now, detail, unit);
  });
  return { ...t, events: [...t.events, ...events] };
}

/** Issues the command of a non-launch step, or just moves to a final step. */
function issue(f: RegionFailover, step: RegionStep, now: number): RegionTransition {
  if (step !== 'NETWORKING' && step !== 'REDIRECT' && step !== 'REPLICATION') {
    return same({ ...f, step, stepSince: now, pendingCommandId: '' });
  }
  const next = { ...f, step, stepSince: now };
  const cmd = command(next, STEP_COMMAND[step], now);
  return { failover: { ...next, pendingCommandId: cmd.commandId }, commands: [cmd], events: [] };
}

export interface StartInput {
  blueprint: ShadowBlueprint;
  epoch: number;
  dryRun: boolean;
  trigger: string;
  now: number;
  startCommands?: StartCommands;
  /** Advise mode: the failover is a recommendation (see adviseRegionFailover). */
  advisory?: boolean;
}

/** Throws a VALIDATION_FAILED ForeshadowError when the blueprint's launch order is inconsistent. */
export function startRegionFailover(input: StartInput): RegionTransition {
  const bp = input.blueprint;
  const starts = planLaunches(bp);
  const capacity: LaunchUnit = {
    id: 'provision',
    level: -1,
    group: '',
    services: starts.flatMap((u) => u.services),
    after: [],
  };
  const units = starts.length === 0 ? [] : [capacity, ...starts];
  const base: RegionFailover = {
    failoverId: regionFailoverId(bp.primaryRegion, input.epoch, input.dryRun, input.now),
    primaryRegion: bp.primaryRegion,
    shadowRegion: bp.shadowRegion,
    epoch: input.epoch,
    blueprintVersion: bp.version,
    dryRun: input.dryRun,
    trigger: input.trigger,
    startedAt: input.now,
    units: units.map((u) => ({
      ...u,
      kind: u === capacity ? 'provision' : 'start',
      state: 'WAITING',
      attempts: 0,
      commandId: '',
      launchedAt: null,
      attemptAt: null,
      readyAt: null,
    })),
    startCommands: input.startCommands ?? 'per-wave',
    step: 'LAUNCH',
    stepSince: input.now,
    pendingCommandId: '',
    attempts: 1,
    stepTimings: [],
    advisory: input.advisory === true,
  };
  const levels = new Set(starts.map((u) => u.level)).size;
  const detected = regionEvent(
    base,
    input.dryRun ? 'DRILL_STARTED' : 'DETECTED',
    input.now,
    `${input.trigger}; blueprint v${bp.version}, ${bp.services.length} service(s) in ${starts.length} launch unit(s) on ${levels} level(s)`,
  );
  const first = starts.length === 0 ? issue(base, 'NETWORKING', input.now) : launchReady(base, input.now);
  return { ...first, events: [detected, ...first.events] };
}

const NEXT: Record<'NETWORKING' | 'REDIRECT' | 'REPLICATION', { step: RegionStep; event: string }> = {
  NETWORKING: { step: 'REDIRECT', event: 'NETWORKING_CONFIGURED' },
  REDIRECT: { step: 'REPLICATION', event: 'TRAFFIC_REDIRECTED' },
  REPLICATION: { step: 'DONE', event: 'REPLICATION_STARTED' },
};

/**
 * The start chain that decided when the last unit was ready: from the last ready unit back through
 * the dependency that became ready last. Operators shorten a failover by shortening this chain.
 */
export function criticalPath(all: readonly UnitProgress[]): string[] {
  const units = all.filter((u) => u.kind === 'start');
  const byId = new Map(units.map((u) => [u.id, u]));
  const latest = (list: readonly (UnitProgress | undefined)[]): UnitProgress | undefined =>
    list.reduce<UnitProgress | undefined>(
      (best, u) => (u?.readyAt != null && (best?.readyAt == null || u.readyAt > best.readyAt) ? u : best),
      undefined,
    );
  const path: string[] = [];
  let u = latest(units);
  while (u && !path.includes(u.id)) {
    path.unshift(u.id);
    u = latest(u.after.map((a) => byId.get(a)));
  }
  return path;
}

/** The timing summary logged with COMPLETED / FAILED: per unit wait and time-to-ready, per step duration. */
export function timingReport(f: RegionFailover, now: number): string {
  const units = unitsOf(f) ?? [];
  const readyAts = units.map((u) => u.readyAt);
  const allReady = units.length > 0 && readyAts.every((r) => r !== null);
  return JSON.stringify({
    totalMs: now - f.startedAt,
    launchMs: allReady ? Math.max(...(readyAts as number[])) - f.startedAt : null,
    units: units.map((u) => ({
      unit: u.id,
      kind: u.kind,
      level: u.level,
      services: u.services.length,
      instances: instancesOf(u),
      waitedMs: u.launchedAt === null ? null : u.launchedAt - f.startedAt,
      timeToReadyMs: u.readyAt === null || u.launchedAt === null ? null : u.readyAt - u.launchedAt,
      attempts: u.attempts,
    })),
    criticalPath: criticalPath(units),
    steps: f.stepTimings,
  });
}

export function isRegionFailoverOpen(f: RegionFailover): boolean {
  return f.step !== 'DONE' && f.step !== 'FAILED' && f.step !== 'ABORTED';
}

function fail(f: RegionFailover, now: number, why: string): RegionTransition {
  const failed: RegionFailover = { ...f, step: 'FAILED', stepSince: now, pendingCommandId: '' };
  const abort = command({ ...failed, attempts: 1 }, 'ABORT', now);
  return {
    failover: failed,
    commands: [abort],
    events: [regionEvent(failed, 'FAILED', now, `${why}; ${timingReport(failed, now)}`)],
  };
}

const batchName = (batch: readonly UnitProgress[]): string => batch.map((u) => u.id).join(', ');

function retryBatch(
  f: RegionFailover,
  batch: UnitProgress[],
  now: number,
  limits: RegionLimits,
  why: string,
): RegionTransition {
  const attempts = batch[0]?.attempts ?? 1;
  if (attempts >= limits.regionMaxAttempts) {
    return fail(f, now, `launch of ${batchName(batch)} gave up after ${attempts} attempt(s): ${why}`);
  }
  const t = sendBatch(f, batch, attempts + 1, now);
  const first = t.failover.units.find((u) => u.id === batch[0]?.id);
  const detail = `LAUNCH ${batchName(batch)} attempt ${attempts + 1}: ${why}`;
  return { ...t, events: [regionEvent(t.failover, 'STEP_RETRIED', now, detail, first)] };
}

function retryStep(f: RegionFailover, now: number, limits: RegionLimits, why: string): RegionTransition {
  if (f.attempts >= limits.regionMaxAttempts)
    return fail(f, now, `${f.step} gave up after ${f.attempts} attempt(s): ${why}`);
  const next = issue({ ...f, attempts: f.attempts + 1 }, f.step, now);
  return {
    ...next,
    events: [regionEvent(next.failover, 'STEP_RETRIED', now, `${f.step} attempt ${f.attempts + 1}: ${why}`)],
  };
}

function readyEvent(f: RegionFailover, u: UnitProgress, now: number): FailoverEvent {
  const took = now - (u.launchedAt ?? now);
  const detail =
    u.kind === 'provision'
      ? `${instancesOf(u)} instance(s) booted in ${took} ms`
      : `level ${u.level}: ${names(u)} ready in ${took} ms (started ${(u.launchedAt ?? now) - f.startedAt} ms into the failover)`;
  return regionEvent(f, EVENT[u.kind].ready, now, detail, u);
}

function onLaunchResult(f: RegionFailover, res: ActuationResult, now: number, limits: RegionLimits): RegionTransition {
  const batch = f.units.filter((x) => x.state === 'LAUNCHING' && x.commandId === res.commandId);
  if (batch.length === 0) return same(f);
  if (res.status === 'IN_PROGRESS' || res.status === 'DUPLICATE') return same(f);
  if (res.status === 'REJECTED_STALE_EPOCH') return fail(f, now, `refused: stale epoch ${res.epoch}`);
  if (res.status === 'FAILED') {
    return res.retriable
      ? retryBatch(f, batch, now, limits, res.detail || 'actuator failed')
      : fail(f, now, `launch of ${batchName(batch)} failed: ${res.detail}`);
  }
  const readyUnits = batch.map((u) => ({ ...u, state: 'READY' as const, readyAt: now }));
  const current = withUnits(f, readyUnits);
  const ready: RegionTransition = {
    failover: current,
    commands: [],
    events: readyUnits.map((u) => readyEvent(current, u, now)),
  };
  if (current.units.some((x) => x.state !== 'READY')) return concat(ready, launchReady(current, now));
  const launched = { ...current, stepTimings: [...f.stepTimings, { step: 'LAUNCH', ms: now - f.stepSince }] };
  return concat({ ...ready, failover: launched }, issue({ ...launched, attempts: 1 }, 'NETWORKING', now));
}

export function onRegionResult(
  f: RegionFailover,
  res: ActuationResult,
  now: number,
  limits: RegionLimits,
): RegionTransition {
  if (!isRegionFailoverOpen(f)) return same(f);
  if (unitsOf(f) === null) return fail(f, now, 'state written by an older orchestrator version; start it again');
  if (f.step === 'LAUNCH') return onLaunchResult(f, res, now, limits);
  if (res.commandId !== f.pendingCommandId) return same(f);
  if (res.status === 'IN_PROGRESS' || res.status === 'DUPLICATE') return same(f);
  if (res.status === 'REJECTED_STALE_EPOCH') return fail(f, now, `refused: stale epoch ${res.epoch}`);
  if (res.status === 'FAILED') {
    return res.retriable
      ? retryStep(f, now, limits, res.detail || 'actuator failed')
      : fail(f, now, `${f.step} failed: ${res.detail}`);
  }
  if (f.step !== 'NETWORKING' && f.step !== 'REDIRECT' && f.step !== 'REPLICATION') return same(f);
  const stepMs = now - f.stepSince;
  const next = NEXT[f.step];
  const current: RegionFailover = { ...f, stepTimings: [...f.stepTimings, { step: f.step, ms: stepMs }], attempts: 1 };
  const logged = regionEvent(current, next.event, now, `${f.step.toLowerCase()} in ${stepMs} ms`);
  const t = issue(current, next.step, now);
  const events = [logged];
  if (t.failover.step === 'DONE') events.push(regionEvent(t.failover, 'COMPLETED', now, timingReport(t.failover, now)));
  return { ...t, events };
}

/** Retries (or gives up on) every launch or step whose result is overdue. */
export function onRegionTick(f: RegionFailover, now: number, limits: RegionLimits): RegionTransition {
  if (!isRegionFailoverOpen(f)) return same(f);
  if (unitsOf(f) === null) return fail(f, now, 'state written by an older orchestrator version; start it again');
  const why = `timed out after ${limits.regionStepTimeoutMs} ms`;
  if (f.step !== 'LAUNCH') {
    return now - f.stepSince <= limits.regionStepTimeoutMs ? same(f) : retryStep(f, now, limits, why);
  }
  const overdue = new Map<string, UnitProgress[]>();
  for (const u of f.units) {
    if (u.state !== 'LAUNCHING' || now - (u.attemptAt ?? now) <= limits.regionStepTimeoutMs) continue;
    overdue.set(u.commandId, [...(overdue.get(u.commandId) ?? []), u]);
  }
  let t = same(f);
  for (const batch of overdue.values()) {
    t = concat(t, retryBatch(t.failover, batch, now, limits, why));
    if (!isRegionFailoverOpen(t.failover)) break;
  }
  return t;
}

function syntheticSuccess(c: FailoverCommand, now: number): ActuationResult {
  return {
    commandId: c.commandId,
    commandType: c.type,
    subject: c.primaryRegion,
    provider: 'advice',
    epoch: c.epoch,
    status: 'SUCCEEDED',
    retriable: false,
    address: '',
    lagBytes: null,
    lagMs: null,
    durationMs: 0,
    attempt: 1,
    detail: '',
    timestamp: now,
  };
}

const commandLabel = (c: FailoverCommand): string =>
  c.type !== 'LAUNCH_LEVEL'
    ? c.type
    : c.provisionOnly
      ? `CAPACITY (${c.services.reduce((n, s) => n + s.instances, 0)} instances)`
      : `L${c.level} ${c.services.map((s) => s.service).join(',')}`;

/**
 * Advise mode: the whole failover at once, each command answered as if it had succeeded, so the
 * recommendation holds every command act mode would send in turn (capacity, each start wave,
 * networking, redirect, replication), all advisory. The events are the start (what triggered it)
 * and one FAILOVER_RECOMMENDED listing the commands: per-step events would claim effects that
 * never happened. Ends DONE: nothing waits for an actuator.
 */
export function adviseRegionFailover(t: RegionTransition, now: number, limits: RegionLimits): RegionTransition {
  let f: RegionFailover = { ...t.failover, advisory: true };
  const commands = t.commands.map((c) => ({ ...c, advisory: true }));
  let pending = [...commands];
  while (pending.length > 0 && isRegionFailoverOpen(f)) {
    const next: FailoverCommand[] = [];
    for (const c of pending) {
      if (!isRegionFailoverOpen(f)) break;
      const step = onRegionResult(f, syntheticSuccess(c, now), now, limits);
      f = { ...step.failover, advisory: true };
      next.push(...step.commands.map((x) => ({ ...x, advisory: true })));
    }
    commands.push(...next);
    pending = next;
  }
  const start = t.events.slice(0, 1).map((e) => ({ ...e, advisory: true }));
  const recommended = regionEvent(
    f,
    'FAILOVER_RECOMMENDED',
    now,
    `advise mode, nothing carried out: ${commands.map(commandLabel).join(' → ')}`,
  );
  return { failover: f, commands, events: [...start, recommended] };
}

/** A real failover pre-empts a drill in progress: the drill is aborted and logged. */
export function abortRegionFailover(f: RegionFailover, now: number, why: string): RegionTransition {
  if (!isRegionFailoverOpen(f)) return same(f);
  const aborted: RegionFailover = { ...f, step: 'ABORTED', stepSince: now, pendingCommandId: '' };
  const abort = command({ ...aborted, attempts: 1 }, 'ABORT', now);
  return { failover: aborted, commands: [abort], events: [regionEvent(aborted, 'ABORTED', now, why)] };
}

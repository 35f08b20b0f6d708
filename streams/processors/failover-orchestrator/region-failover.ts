/**
 * Region failover (seed 004, Failover Orchestrator) as a pure state machine over a shadow blueprint:
 * launch the blueprint level by level in DAG order (level n+1 starts only when every service of
 * level n is ready), configure networking, redirect traffic, then trigger data replication as its
 * own step, logging each step with its timing. A drill (dryRun) runs the very same plan; its commands
 * carry dryRun=true so only a simulated provider acts, and the log reports time-to-ready per level.
 */
import { ForeshadowError } from '../../runtime/errors.js';
import type { ActuationResult } from '../shadow-manager/types.js';
import type { FailoverCommand, FailoverCommandType, FailoverEvent, ServiceLaunch, ShadowBlueprint } from './types.js';

export interface LaunchLevel {
  level: number;
  services: ServiceLaunch[];
}

/**
 * Groups services by launch level and checks the DAG order: a dependency must launch on an earlier
 * level, or on the same level within the same launch group (a strongly connected component).
 */
export function planLevels(bp: ShadowBlueprint): LaunchLevel[] {
  const byName = new Map(bp.services.map((s) => [s.service, s]));
  for (const s of bp.services) {
    for (const dep of s.dependsOn) {
      const d = byName.get(dep);
      if (!d) continue; // an external dependency is not launched by us
      const ok = d.launchLevel < s.launchLevel || (d.launchLevel === s.launchLevel && d.launchGroup === s.launchGroup);
      if (!ok) {
        throw new ForeshadowError(
          'VALIDATION_FAILED',
          `blueprint ${bp.primaryRegion} v${bp.version}: ${s.service} depends on ${dep} at a later level`,
          {
            context: { service: s.service, dependency: dep },
          },
        );
      }
    }
  }
  const levels = [...new Set(bp.services.map((s) => s.launchLevel))].sort((a, b) => a - b);
  return levels.map((level) => ({
    level,
    services: bp.services
      .filter((s) => s.launchLevel === level)
      .sort((a, b) => (a.service < b.service ? -1 : 1))
      .map((s) => ({
        service: s.service,
        instances: s.instances,
        cpuPerInstance: s.cpuPerInstance,
        memoryMbPerInstance: s.memoryMbPerInstance,
        configRef: s.configRef,
      })),
  }));
}

export type RegionStep = 'LAUNCH' | 'NETWORKING' | 'REDIRECT' | 'REPLICATION' | 'DONE' | 'FAILED' | 'ABORTED';

export interface LevelTiming {
  level: number;
  services: number;
  launchedAt: number;
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
  levels: LaunchLevel[];
  /** Index into `levels` while step is LAUNCH. */
  levelIndex: number;
  step: RegionStep;
  stepSince: number;
  pendingCommandId: string;
  attempts: number;
  timings: LevelTiming[];
  stepTimings: { step: string; ms: number }[];
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

const STEP_COMMAND: Record<'LAUNCH' | 'NETWORKING' | 'REDIRECT' | 'REPLICATION', FailoverCommandType> = {
  LAUNCH: 'LAUNCH_LEVEL',
  NETWORKING: 'CONFIGURE_NETWORKING',
  REDIRECT: 'REDIRECT_TRAFFIC',
  REPLICATION: 'START_REPLICATION',
};

function commandFor(f: RegionFailover, type: FailoverCommandType, now: number): FailoverCommand {
  const level = type === 'LAUNCH_LEVEL' ? (f.levels[f.levelIndex]?.level ?? -1) : -1;
  const levelPart = type === 'LAUNCH_LEVEL' ? `:l${level}` : '';
  return {
    commandId: `${f.failoverId}:${type.toLowerCase()}${levelPart}:a${f.attempts}`,
    failoverId: f.failoverId,
    type,
    primaryRegion: f.primaryRegion,
    shadowRegion: f.shadowRegion,
    epoch: f.epoch,
    blueprintVersion: f.blueprintVersion,
    level,
    services: type === 'LAUNCH_LEVEL' ? (f.levels[f.levelIndex]?.services ?? []) : [],
    dryRun: f.dryRun,
    issuedAt: now,
  };
}

export function regionEvent(f: RegionFailover, step: string, now: number, detail: string): FailoverEvent {
  const suffix = step === 'LEVEL_LAUNCHED' || step === 'LEVEL_READY' ? `:l${f.levels[f.levelIndex]?.level ?? -1}` : '';
  return {
    eventId: `${f.failoverId}:${step}${suffix}:a${f.attempts}`,
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
  };
}

function issue(
  f: RegionFailover,
  step: RegionStep,
  now: number,
): { failover: RegionFailover; command: FailoverCommand | null } {
  if (step !== 'LAUNCH' && step !== 'NETWORKING' && step !== 'REDIRECT' && step !== 'REPLICATION') {
    return { failover: { ...f, step, stepSince: now, pendingCommandId: '' }, command: null };
  }
  const next = { ...f, step, stepSince: now };
  const cmd = commandFor(next, STEP_COMMAND[step], now);
  return { failover: { ...next, pendingCommandId: cmd.commandId }, command: cmd };
}

export interface StartInput {
  blueprint: ShadowBlueprint;
  epoch: number;
  dryRun: boolean;
  trigger: string;
  now: number;
}

export function startRegionFailover(input: StartInput): RegionTransition {
  const bp = input.blueprint;
  const levels = planLevels(bp);
  const base: RegionFailover = {
    failoverId: regionFailoverId(bp.primaryRegion, input.epoch, input.dryRun, input.now),
    primaryRegion: bp.primaryRegion,
    shadowRegion: bp.shadowRegion,
    epoch: input.epoch,
    blueprintVersion: bp.version,
    dryRun: input.dryRun,
    trigger: input.trigger,
    startedAt: input.now,
    levels,
    levelIndex: 0,
    step: 'LAUNCH',
    stepSince: input.now,
    pendingCommandId: '',
    attempts: 1,
    timings: [],
    stepTimings: [],
  };
  const detected = regionEvent(
    base,
    input.dryRun ? 'DRILL_STARTED' : 'DETECTED',
    input.now,
    `${input.trigger}; blueprint v${bp.version}, ${levels.length} level(s), ${bp.services.length} service(s)`,
  );
  if (levels.length === 0) return advanceAfterLaunch(base, input.now, [detected]);
  const { failover, command } = issue(base, 'LAUNCH', input.now);
  const first = levels[0]!;
  const withTiming = {
    ...failover,
    timings: [{ level: first.level, services: first.services.length, launchedAt: input.now, readyAt: null }],
  };
  return {
    failover: withTiming,
    commands: command ? [command] : [],
    events: [
      detected,
      regionEvent(
        withTiming,
        'LEVEL_LAUNCHED',
        input.now,
        `level ${first.level}: ${first.services.map((s) => s.service).join(', ')}`,
      ),
    ],
  };
}

function advanceAfterLaunch(f: RegionFailover, now: number, events: FailoverEvent[]): RegionTransition {
  const { failover, command } = issue({ ...f, attempts: 1 }, 'NETWORKING', now);
  return { failover, commands: command ? [command] : [], events };
}

const NEXT: Record<'NETWORKING' | 'REDIRECT' | 'REPLICATION', { step: RegionStep; event: string }> = {
  NETWORKING: { step: 'REDIRECT', event: 'NETWORKING_CONFIGURED' },
  REDIRECT: { step: 'REPLICATION', event: 'TRAFFIC_REDIRECTED' },
  REPLICATION: { step: 'DONE', event: 'REPLICATION_STARTED' },
};

/** The timing summary logged with COMPLETED: per level time-to-ready, per step duration. */
export function timingReport(f: RegionFailover, now: number): string {
  return JSON.stringify({
    totalMs: now - f.startedAt,
    levels: f.timings.map((t) => ({
      level: t.level,
      services: t.services,
      timeToReadyMs: t.readyAt === null ? null : t.readyAt - t.launchedAt,
    })),
    steps: f.stepTimings,
  });
}

export function isRegionFailoverOpen(f: RegionFailover): boolean {
  return f.step !== 'DONE' && f.step !== 'FAILED' && f.step !== 'ABORTED';
}

function fail(f: RegionFailover, now: number, why: string): RegionTransition {
  const failed: RegionFailover = { ...f, step: 'FAILED', stepSince: now, pendingCommandId: '' };
  const abort = commandFor({ ...failed, attempts: 1 }, 'ABORT', now);
  return {
    failover: failed,
    commands: [abort],
    events: [regionEvent(failed, 'FAILED', now, `${why}; ${timingReport(failed, now)}`)],
  };
}

function retryStep(f: RegionFailover, now: number, limits: RegionLimits, why: string): RegionTransition {
  if (f.attempts >= limits.regionMaxAttempts)
    return fail(f, now, `${f.step} gave up after ${f.attempts} attempt(s): ${why}`);
  const next: RegionFailover = { ...f, attempts: f.attempts + 1 };
  const { failover, command } = issue(next, f.step, now);
  return {
    failover,
    commands: command ? [command] : [],
    events: [regionEvent(failover, 'STEP_RETRIED', now, `${f.step} attempt ${next.attempts}: ${why}`)],
  };
}

export function onRegionResult(
  f: RegionFailover,
  res: ActuationResult,
  now: number,
  limits: RegionLimits,
): RegionTransition {
  const same: RegionTransition = { failover: f, commands: [], events: [] };
  if (!isRegionFailoverOpen(f) || res.commandId !== f.pendingCommandId) return same;
  if (res.status === 'IN_PROGRESS' || res.status === 'DUPLICATE') return same;
  if (res.status === 'REJECTED_STALE_EPOCH') return fail(f, now, `refused: stale epoch ${res.epoch}`);
  if (res.status === 'FAILED') {
    return res.retriable
      ? retryStep(f, now, limits, res.detail || 'actuator failed')
      : fail(f, now, `${f.step} failed: ${res.detail}`);
  }
  const stepMs = now - f.stepSince;
  const stepTimings = [
    ...f.stepTimings,
    { step: f.step === 'LAUNCH' ? `LEVEL_${f.levels[f.levelIndex]?.level ?? -1}` : f.step, ms: stepMs },
  ];
  if (f.step === 'LAUNCH') {
    const timings = f.timings.map((t, i) => (i === f.levelIndex ? { ...t, readyAt: now } : t));
    const current: RegionFailover = { ...f, timings, stepTimings };
    const level = f.levels[f.levelIndex]!;
    const ready = regionEvent(
      current,
      'LEVEL_READY',
      now,
      `level ${level.level} ready in ${stepMs} ms (${level.services.length} service(s))`,
    );
    const nextIndex = f.levelIndex + 1;
    const nextLevel = f.levels[nextIndex];
    if (!nextLevel) return advanceAfterLaunch(current, now, [ready]);
    const advanced: RegionFailover = {
      ...current,
      levelIndex: nextIndex,
      attempts: 1,
      timings: [
        ...timings,
        { level: nextLevel.level, services: nextLevel.services.length, launchedAt: now, readyAt: null },
      ],
    };
    const { failover, command } = issue(advanced, 'LAUNCH', now);
    return {
      failover,
      commands: command ? [command] : [],
      events: [
        ready,
        regionEvent(
          failover,
          'LEVEL_LAUNCHED',
          now,
          `level ${nextLevel.level}: ${nextLevel.services.map((s) => s.service).join(', ')}`,
        ),
      ],
    };
  }
  if (f.step === 'NETWORKING' || f.step === 'REDIRECT' || f.step === 'REPLICATION') {
    const next = NEXT[f.step];
    const current: RegionFailover = { ...f, stepTimings, attempts: 1 };
    const logged = regionEvent(current, next.event, now, `${f.step.toLowerCase()} in ${stepMs} ms`);
    const { failover, command } = issue(current, next.step, now);
    const events = [logged];
    if (failover.step === 'DONE') events.push(regionEvent(failover, 'COMPLETED', now, timingReport(failover, now)));
    return { failover, commands: command ? [command] : [], events };
  }
  return same;
}

export function onRegionTick(f: RegionFailover, now: number, limits: RegionLimits): RegionTransition {
  if (!isRegionFailoverOpen(f) || now - f.stepSince <= limits.regionStepTimeoutMs)
    return { failover: f, commands: [], events: [] };
  return retryStep(f, now, limits, `timed out after ${limits.regionStepTimeoutMs} ms`);
}

/** A real failover pre-empts a drill in progress: the drill is aborted and logged. */
export function abortRegionFailover(f: RegionFailover, now: number, why: string): RegionTransition {
  if (!isRegionFailoverOpen(f)) return { failover: f, commands: [], events: [] };
  const aborted: RegionFailover = { ...f, step: 'ABORTED', stepSince: now, pendingCommandId: '' };
  const abort = commandFor({ ...aborted, attempts: 1 }, 'ABORT', now);
  return { failover: aborted, commands: [abort], events: [regionEvent(aborted, 'ABORTED', now, why)] };
}

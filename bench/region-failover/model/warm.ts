/**
 * The warm path: the failover orchestrator's own state machine (region-failover.ts) runs the live
 * blueprint, and every command it issues goes to the simulated actuator: the capacity launch boots
 * every instance at once (realistic per-instance boot delays), each start waits for its instances'
 * boot, then starts the services and checks readiness. Times are simulated milliseconds on a
 * virtual clock (virtual-clock.ts). `actuator: 'concurrent'` runs commands in flight together at
 * once; `'serial'` runs them one at a time in the order issued, as an actuator consumer does that
 * handles one record at a time per partition (a region's commands share a partition).
 */
import type { ActuationResult } from '../../../schemas/records/actuation-result.js';
import type { FailoverCommand } from '../../../schemas/records/failover-command.js';
import type { ShadowBlueprint } from '../../../schemas/records/shadow-blueprint.js';
import type { ActuationContext } from '../../../sinks/framework/types.js';
import type { Distribution } from '../../../sinks/simulated/distributions.js';
import { SimulatedProvider } from '../../../sinks/simulated/simulated-provider.js';
import {
  isRegionFailoverOpen,
  onRegionResult,
  type RegionFailover,
  type RegionLimits,
  type StartCommands,
  startRegionFailover,
} from '../../../streams/processors/failover-orchestrator/region-failover.js';
import { ForeshadowError } from '../../../streams/runtime/errors.js';
import { settle, VirtualClock } from './virtual-clock.js';

export interface WarmOptions {
  seed: number;
  launch: Distribution;
  appStartMs: number;
  readinessMs: number;
  actuator: 'concurrent' | 'serial';
  startCommands: StartCommands;
  limits: RegionLimits;
}

export interface WarmRun {
  failover: RegionFailover;
  /** Simulated ms from the start until the orchestrator saw every unit ready. */
  launchMs: number;
  /** LAUNCH_LEVEL commands the orchestrator sent (capacity, start batches, retries). */
  launchCommands: number;
  /** Per service, when the orchestrator saw its unit ready (simulated ms). */
  readyAt: Map<string, number>;
}

const noopCtx = (): ActuationContext => ({
  attempt: 1,
  signal: new AbortController().signal,
  progress: async () => {},
});

function result(cmd: FailoverCommand, now: number, err?: unknown): ActuationResult {
  const failed = err !== undefined;
  return {
    commandId: cmd.commandId,
    commandType: cmd.type,
    subject: cmd.primaryRegion,
    provider: 'simulated',
    epoch: cmd.epoch,
    status: failed ? 'FAILED' : 'SUCCEEDED',
    retriable: err instanceof ForeshadowError ? err.retriable : failed,
    address: cmd.shadowRegion,
    lagBytes: null,
    lagMs: null,
    durationMs: 0,
    attempt: 1,
    detail: err instanceof Error ? err.message : '',
    timestamp: now,
  };
}

export async function runWarm(blueprint: ShadowBlueprint, o: WarmOptions): Promise<WarmRun> {
  const clock = new VirtualClock();
  const provider = new SimulatedProvider(
    { seed: o.seed, instanceLaunchMs: o.launch, appStartMs: o.appStartMs, readinessMs: o.readinessMs },
    { sleep: clock.sleep },
  );
  const queue: FailoverCommand[] = [];
  const done: ActuationResult[] = [];
  let inFlight = 0;
  let launchCommands = 0;
  const send = (commands: readonly FailoverCommand[]): void => {
    launchCommands += commands.filter((c) => c.type === 'LAUNCH_LEVEL').length;
    queue.push(...commands.filter((c) => c.type !== 'ABORT'));
    while (queue.length > 0 && (o.actuator === 'concurrent' || inFlight === 0)) {
      const c = queue.shift()!;
      inFlight++;
      provider.failoverStep(c, noopCtx()).then(
        () => done.push(result(c, clock.now)),
        (err: unknown) => done.push(result(c, clock.now, err ?? 'failed')),
      );
    }
  };
  const start = { blueprint, epoch: 1, dryRun: false, trigger: 'region drill', now: 0 };
  let t = startRegionFailover({ ...start, startCommands: o.startCommands });
  send(t.commands);
  while (isRegionFailoverOpen(t.failover)) {
    await settle();
    for (let res = done.shift(); res && isRegionFailoverOpen(t.failover); res = done.shift()) {
      inFlight--;
      t = onRegionResult(t.failover, res, res.timestamp, o.limits);
      send(t.commands); // serial: a result also frees the actuator for the next queued command
    }
    if (isRegionFailoverOpen(t.failover) && !clock.fireNext()) break;
  }
  const f = t.failover;
  if (f.step !== 'DONE') throw new Error(`warm failover ended ${f.step}: ${t.events.at(-1)?.detail ?? ''}`);
  const readyAt = new Map<string, number>();
  for (const u of f.units) {
    if (u.kind !== 'start') continue;
    for (const s of u.services) readyAt.set(s.service, u.readyAt ?? Number.POSITIVE_INFINITY);
  }
  return { failover: f, launchMs: Math.max(0, ...readyAt.values()) - f.startedAt, launchCommands, readyAt };
}

/**
 * A MODEL, not a measurement (see run-model.ts; the measured drill is ../real/).
 * The region drill: how long until a failed region's services are ready elsewhere,
 *   warm — with the live shadow blueprint (capacity sized from the capacity profile, launch order
 *          from the dependency DAG, both known before the failure): the failover orchestrator's
 *          own state machine boots all capacity at once and starts each unit as soon as its
 *          dependencies are ready, through the simulated actuator (warm.ts) — with start commands
 *          per wave (the default) and per unit, each through an actuator that runs a region's
 *          commands concurrently and through one that runs them one at a time (the shape of
 *          sinks/framework's consumer: one record at a time per partition);
 *   cold — a failover without a blueprint, which finds the order and the capacity out at failover
 *          time by crash-looping and autoscaling (cold.ts, with the assumptions it makes);
 * plus a reference (estimates.ts): the level-by-level launch the orchestrator did before.
 * Both paths are measured against the region's ground truth: a dependency the mapped DAG missed
 * costs the warm path a crash-loop too (startup.ts). All times are simulated milliseconds (a
 * virtual clock, so runs are exact and reproducible from the seed); every service start costs
 * `appStartMs` + `readinessMs` on a booted instance, on both paths. Each figure is the median and
 * range over `runs` runs with different delay draws: the cold path's crash-loop back-off makes it
 * swing by minutes from one draw to the next.
 */
import type { ShadowBlueprint } from '../../../schemas/records/shadow-blueprint.js';
import type { Distribution } from '../../../sinks/simulated/distributions.js';
import {
  criticalPath,
  planLaunches,
  planLevels,
} from '../../../streams/processors/failover-orchestrator/region-failover.js';
import { runCold } from './cold.js';
import { levelByLevelMs } from './estimates.js';
import { buildDrillRegion } from './region.js';
import { upTimes } from './startup.js';
import { runWarm, type WarmOptions, type WarmRun } from './warm.js';

export interface RegionDrillOptions {
  services: number;
  edges: number;
  cycles: number;
  hosts: number;
  seed: number;
  /** Per-instance boot delay (simulated ms). */
  launch: Distribution;
  /** Start of a service on a booted instance (simulated ms). */
  appStartMs: number;
  /** Readiness check of a started service (simulated ms). */
  readinessMs: number;
  crashLoopBaseMs: number;
  crashLoopCapMs: number;
  autoscaleWindowMs: number;
  /** Runs with different delay draws (seeds seed, seed + 1, ...); the region itself stays the same. */
  runs: number;
}

export const DEFAULT_REGION_DRILL: RegionDrillOptions = {
  services: 40,
  edges: 70,
  cycles: 2,
  hosts: 60,
  seed: 4,
  launch: { type: 'lognormal', median: 40_000, sigma: 0.4 },
  appStartMs: 5_000,
  readinessMs: 5_000,
  crashLoopBaseMs: 10_000,
  crashLoopCapMs: 300_000,
  autoscaleWindowMs: 60_000,
  runs: 20,
};

/** A figure over the drill's runs (one per delay seed). */
export interface Spread {
  median: number;
  min: number;
  max: number;
}

export function spread(values: readonly number[]): Spread {
  const v = [...values].sort((a, b) => a - b);
  const mid = Math.floor(v.length / 2);
  const median = v.length % 2 === 1 ? v[mid]! : (v[mid - 1]! + v[mid]!) / 2;
  return { median: Math.round(median), min: Math.round(v[0] ?? 0), max: Math.round(v.at(-1) ?? 0) };
}

export interface WarmRunFigures {
  /** Every service really up (ground truth), after any crash-loop on a dependency the DAG missed. */
  readyMs: number;
  /** When the orchestrator saw its last unit ready. */
  orchestratorReadyMs: number;
  /** Restarts caused by dependencies the mapped DAG missed. */
  unmappedRestarts: number;
  /** The capacity launch: every instance booted. */
  capacityReadyMs: number;
  /** LAUNCH_LEVEL commands sent: the capacity launch, then one per batch of units startable together. */
  launchCommands: number;
  /** Launch units the orchestrator saw ready. */
  unitsReady: number;
  criticalPath: string[];
}

export interface RegionDrillResult {
  when: string;
  /** Runs, one per delay seed (seed, seed + 1, ...); every figure is a spread over them. */
  runs: number;
  region: { services: number; edges: number; cycles: number; instancesDeployed: number; instancesNeeded: number };
  blueprint: { levels: number; units: number; mappedEdges: number; precision: number; recall: number };
  /** Warm, start commands per wave (the default), actuator runs a region's commands concurrently. */
  warm: Spread & { capacityReadyMs: Spread; unmappedRestarts: Spread; first: WarmRunFigures };
  /** The same through an actuator that runs a region's commands one at a time. */
  warmSerialActuator: Spread;
  /** Warm, one start command per unit, concurrent / one-at-a-time actuator. */
  warmPerUnit: Spread;
  warmPerUnitSerialActuator: Spread;
  /** Cold, services crash-loop on a missing dependency. */
  cold: Spread & { restarts: Spread; scaledOut: number; instancesLaunched: number };
  /** Cold, services wait for a missing dependency without restarting (the kindest cold case). */
  coldWaiting: Spread;
  /** Reference: the orchestrator before, level by level. */
  warmLevelByLevel: Spread;
  /** Median cold / median warm. */
  speedup: number;
  assumptions: Record<string, string | number>;
}

async function warmRun(
  bp: ShadowBlueprint,
  needs: ReadonlyMap<string, readonly string[]>,
  o: RegionDrillOptions,
  seed: number,
  actuator: WarmOptions['actuator'],
  startCommands: WarmOptions['startCommands'] = 'per-wave',
): Promise<WarmRunFigures> {
  const limits = { regionStepTimeoutMs: 300_000, regionMaxAttempts: 3 };
  const run: WarmRun = await runWarm(bp, { ...o, seed, actuator, startCommands, limits });
  const up = upTimes(run.readyAt, needs, o);
  const capacity = run.failover.units.find((u) => u.kind === 'provision');
  return {
    readyMs: Math.max(0, ...[...up.values()].map((u) => u.upAt)),
    orchestratorReadyMs: run.launchMs,
    unmappedRestarts: [...up.values()].reduce((n, u) => n + u.restarts, 0),
    capacityReadyMs: capacity?.readyAt ?? 0,
    launchCommands: run.launchCommands,
    unitsReady: run.failover.units.filter((u) => u.kind === 'start' && u.state === 'READY').length,
    criticalPath: criticalPath(run.failover.units),
  };
}

export async function runRegionDrill(o: RegionDrillOptions = DEFAULT_REGION_DRILL): Promise<RegionDrillResult> {
  const r = buildDrillRegion(o, Date.now());
  const bp = r.blueprint;
  const seeds = Array.from({ length: o.runs }, (_, i) => o.seed + i);
  const warm: WarmRunFigures[] = [];
  const serial: WarmRunFigures[] = [];
  const perUnit: WarmRunFigures[] = [];
  const perUnitSerial: WarmRunFigures[] = [];
  for (const seed of seeds) {
    warm.push(await warmRun(bp, r.needs, o, seed, 'concurrent'));
    serial.push(await warmRun(bp, r.needs, o, seed, 'serial'));
    perUnit.push(await warmRun(bp, r.needs, o, seed, 'concurrent', 'per-unit'));
    perUnitSerial.push(await warmRun(bp, r.needs, o, seed, 'serial', 'per-unit'));
  }
  // Other streams of draws than the warm runs' (same distributions), so no path sees the other's luck.
  const cold = seeds.map((seed) => runCold(r, { ...o, seed: seed + 1_000, dependencyWait: 'crash-loop' }));
  const coldWaiting = seeds.map((seed) => runCold(r, { ...o, seed: seed + 1_000, dependencyWait: 'wait' }));
  const warmSpread = spread(warm.map((w) => w.readyMs));
  const coldSpread = spread(cold.map((c) => c.readyMs));
  return {
    when: new Date().toISOString(),
    runs: seeds.length,
    region: {
      services: r.region.services.length,
      edges: r.region.edges.length,
      cycles: r.region.cycleEdges.length,
      instancesDeployed: r.deployments.length,
      instancesNeeded: bp.services.reduce((n, s) => n + s.instances, 0),
    },
    blueprint: {
      levels: planLevels(bp).length,
      units: planLaunches(bp).length,
      mappedEdges: r.dag.edges.length,
      precision: r.precision,
      recall: r.recall,
    },
    warm: {
      ...warmSpread,
      capacityReadyMs: spread(warm.map((w) => w.capacityReadyMs)),
      unmappedRestarts: spread(warm.map((w) => w.unmappedRestarts)),
      first: warm[0]!,
    },
    warmSerialActuator: spread(serial.map((w) => w.readyMs)),
    warmPerUnit: spread(perUnit.map((w) => w.readyMs)),
    warmPerUnitSerialActuator: spread(perUnitSerial.map((w) => w.readyMs)),
    cold: {
      ...coldSpread,
      restarts: spread(cold.map((c) => c.restarts)),
      scaledOut: cold[0]!.scaledOut,
      instancesLaunched: cold[0]!.instancesLaunched,
    },
    coldWaiting: spread(coldWaiting.map((c) => c.readyMs)),
    warmLevelByLevel: spread(seeds.map((seed) => levelByLevelMs(bp, { ...o, seed: seed + 2_000 }))),
    speedup: coldSpread.median / warmSpread.median,
    assumptions: {
      launch: `per-instance boot ${JSON.stringify(o.launch)}`,
      serviceStart: `${o.appStartMs} ms start + ${o.readinessMs} ms readiness check, both paths`,
      crashLoop: `${o.crashLoopBaseMs} ms doubling, cap ${o.crashLoopCapMs} ms`,
      autoscale: `after ${o.autoscaleWindowMs} ms up, to demand / target utilisation (no headroom), in one step`,
    },
  };
}

export function regionTable(r: RegionDrillResult): string {
  const sec = (ms: number) => `${(ms / 1000).toFixed(0)} s`;
  const s = (x: Spread) => (r.runs > 1 ? `${sec(x.median)} (${sec(x.min)}–${sec(x.max)})` : sec(x.median));
  const one = "actuator runs a region's commands one at a time";
  return [
    `| region failover (median of ${r.runs} runs, range) | services ready after | how |`,
    '| --- | --- | --- |',
    `| warm (live blueprint) | ${s(r.warm)} | all ${r.region.instancesNeeded} instances (sized from the capacity profile) boot at once, in ${s(r.warm.capacityReadyMs)}; the ${r.blueprint.units} launch units start as soon as their dependencies are ready, one command per wave of the DAG (${r.blueprint.levels} levels) |`,
    `| warm, ${one} | ${s(r.warmSerialActuator)} | the same ${r.warm.first.launchCommands} launch commands in order: capacity first, then each wave |`,
    `| warm, one start command per unit | ${s(r.warmPerUnit)} | no unit waits for a batch-mate; ${s(r.warmPerUnitSerialActuator)} when the ${one} |`,
    `| cold (no blueprint), services crash-loop on a missing dependency | ${s(r.cold)} | all ${r.region.services} services at once on the ${r.region.instancesDeployed} deployed instances; ${r.cold.restarts.median} crash-loop restarts (median) until dependencies are up; ${r.cold.scaledOut} services scaled out by an autoscaler (${r.cold.instancesLaunched} instances in the end) |`,
    `| cold, services wait for a missing dependency | ${s(r.coldWaiting)} | as above, but no restarts: ready at the first readiness check after the dependencies (the kindest case for cold) |`,
    `| reference: warm, level by level (the orchestrator before) | ${s(r.warmLevelByLevel)} | each DAG level booted and started after the slowest instance of the level before |`,
  ].join('\n');
}

/**
 * The cold path: a failover without a blueprint knows only the deployment inventory, so it has to
 * find the dependency order and the needed capacity out at failover time, and both cost time:
 *   - order: every service launches at once with the instance count the inventory lists; one whose
 *     dependencies are not up yet crash-loops until they are, or, in the kinder variant, waits for
 *     them without restarting (startup.ts) — that is how it "discovers" its dependencies;
 *   - capacity: a service under-sized for the region's load is scaled out by an autoscaler once it
 *     has been up for its stabilisation window, with another launch of the missing instances.
 * The autoscaler targets the blueprint's utilisation without the blueprint's headroom (an
 * autoscaler sizes to demand / target, nothing more), so cold is not asked to build more than it
 * needs. Assumptions that favour cold, kept on purpose so the comparison is not rigged: the
 * region's load is visible to the autoscaler as soon as a service is up (in reality it arrives
 * only with the traffic redirect), one scale-out step launches every missing instance at once
 * (a Kubernetes HPA at most doubles per 15 s), and a dependent only needs its dependencies up,
 * not scaled out.
 */
import { type Distribution, sample, seededRandom } from '../../../sinks/simulated/distributions.js';
import { DEFAULT_SIZING, sizeService } from '../../../streams/processors/shadow-region/blueprint.js';
import type { DrillRegion } from './region.js';
import { type CrashLoopOptions, type DependencyWait, upTimes } from './startup.js';

export interface ColdOptions extends CrashLoopOptions {
  seed: number;
  dependencyWait: DependencyWait;
  launch: Distribution;
  autoscaleWindowMs: number;
}

export interface ColdRun {
  readyMs: number;
  restarts: number;
  scaledOut: number;
  slowest: string;
  instancesLaunched: number;
}

export function runCold(r: DrillRegion, o: ColdOptions): ColdRun {
  const random = seededRandom(o.seed);
  const slowestOf = (n: number): number => {
    let slowest = 0;
    for (let i = 0; i < n; i++) slowest = Math.max(slowest, sample(o.launch, random));
    return slowest;
  };
  const deployed = new Map<string, number>();
  for (const d of r.deployments) deployed.set(d.service, (deployed.get(d.service) ?? 0) + 1);
  const profiles = new Map(r.profile.services.map((s) => [s.service, s]));
  const have = (s: string): number => Math.max(1, deployed.get(s) ?? 1);
  const started = o.appStartMs + o.readinessMs;
  const startAt = new Map(r.region.services.map((s) => [s.name, slowestOf(have(s.name)) + started]));
  const up = upTimes(startAt, r.needs, o, o.dependencyWait);
  let scaledOut = 0;
  let instancesLaunched = 0;
  const readyAt = new Map<string, number>();
  for (const s of r.region.services) {
    const upAt = up.get(s.name)?.upAt ?? Number.POSITIVE_INFINITY;
    const want = sizeService(profiles.get(s.name), have(s.name), { ...DEFAULT_SIZING, headroom: 0 }).instances;
    instancesLaunched += Math.max(want, have(s.name));
    if (want <= have(s.name)) {
      readyAt.set(s.name, upAt);
      continue;
    }
    scaledOut++;
    readyAt.set(s.name, upAt + o.autoscaleWindowMs + slowestOf(want - have(s.name)) + started);
  }
  const [slowest, readyMs] = [...readyAt].reduce((a, b) => (b[1] > a[1] ? b : a));
  return {
    readyMs: Math.round(readyMs),
    restarts: [...up.values()].reduce((n, u) => n + u.restarts, 0),
    scaledOut,
    slowest,
    instancesLaunched,
  };
}

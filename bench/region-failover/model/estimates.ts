/**
 * The reference figure of the region drill: the level-by-level launch the orchestrator did before
 * (each DAG level booted and started only after every instance of the level before was ready),
 * computed from the same delay distributions rather than run through the actuator.
 */
import type { ShadowBlueprint } from '../../../schemas/records/shadow-blueprint.js';
import { type Distribution, sample, seededRandom } from '../../../sinks/simulated/distributions.js';
import { planLevels } from '../../../streams/processors/failover-orchestrator/launch-plan.js';

export interface EstimateOptions {
  seed: number;
  launch: Distribution;
  appStartMs: number;
  readinessMs: number;
}

function slowestOf(n: number, d: Distribution, random: () => number): number {
  let slowest = 0;
  for (let i = 0; i < n; i++) slowest = Math.max(slowest, sample(d, random));
  return slowest;
}

const instances = (services: readonly { instances: number }[]): number => services.reduce((n, s) => n + s.instances, 0);

export function levelByLevelMs(bp: ShadowBlueprint, o: EstimateOptions): number {
  const random = seededRandom(o.seed);
  let total = 0;
  for (const level of planLevels(bp)) {
    total += slowestOf(instances(level.services), o.launch, random) + o.appStartMs + o.readinessMs;
  }
  return Math.round(total);
}

/**
 * Launch plans of a shadow blueprint, pure: the DAG levels (for display and validation) and the
 * launch units a region failover starts. A unit is one launch group (one service, or the services
 * of one dependency cycle, which must start together) at one level; it is started as soon as the
 * units it depends on are ready, not when a whole level is (region-failover.ts).
 */
import type { ServiceLaunch } from '../../../schemas/records/failover-command.js';
import type { BlueprintService, ShadowBlueprint } from '../../../schemas/records/shadow-blueprint.js';
import { ForeshadowError } from '../../runtime/errors.js';

export interface LaunchLevel {
  level: number;
  services: ServiceLaunch[];
}

export interface LaunchUnit {
  /** `l<level>:<launch group>`, unique within the blueprint. */
  id: string;
  level: number;
  group: string;
  services: ServiceLaunch[];
  /** Units that must be ready before this one launches (its services' dependencies). */
  after: string[];
}

function toLaunch(s: BlueprintService): ServiceLaunch {
  return {
    service: s.service,
    instances: s.instances,
    cpuPerInstance: s.cpuPerInstance,
    memoryMbPerInstance: s.memoryMbPerInstance,
    configRef: s.configRef,
  };
}

const byService = (a: { service: string }, b: { service: string }): number => (a.service < b.service ? -1 : 1);

/**
 * Checks the DAG order: a dependency must launch on an earlier level, or on the same level within
 * the same launch group (a strongly connected component). This also makes the unit graph acyclic,
 * since every edge between two units then goes to a strictly lower level.
 */
function validate(bp: ShadowBlueprint): Map<string, BlueprintService> {
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
          { context: { service: s.service, dependency: dep } },
        );
      }
    }
  }
  return byName;
}

/** Services grouped by launch level, in DAG order. */
export function planLevels(bp: ShadowBlueprint): LaunchLevel[] {
  validate(bp);
  const levels = [...new Set(bp.services.map((s) => s.launchLevel))].sort((a, b) => a - b);
  return levels.map((level) => ({
    level,
    services: bp.services
      .filter((s) => s.launchLevel === level)
      .map(toLaunch)
      .sort(byService),
  }));
}

const unitId = (s: BlueprintService): string => `l${s.launchLevel}:${s.launchGroup}`;

/** The launch units with their dependencies, ordered by level then id (a valid launch order). */
export function planLaunches(bp: ShadowBlueprint): LaunchUnit[] {
  const byName = validate(bp);
  const units = new Map<string, LaunchUnit>();
  for (const s of bp.services) {
    const id = unitId(s);
    const u = units.get(id) ?? { id, level: s.launchLevel, group: s.launchGroup, services: [], after: [] };
    u.services.push(toLaunch(s));
    for (const dep of s.dependsOn) {
      const d = byName.get(dep);
      if (d && unitId(d) !== id && !u.after.includes(unitId(d))) u.after.push(unitId(d));
    }
    units.set(id, u);
  }
  return [...units.values()]
    .map((u) => ({ ...u, services: u.services.sort(byService), after: u.after.sort() }))
    .sort((a, b) => a.level - b.level || (a.id < b.id ? -1 : 1));
}

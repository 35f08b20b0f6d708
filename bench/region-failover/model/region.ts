/**
 * The drill's region and what the live pipeline knows about it before the failure: the region
 * (services, dependencies, load) from the regional engineers' synthetic region generator, a DAG
 * mapped by the real dependency mapper from the region's evidence, a capacity profile built from
 * its samples and the blueprint the shadow-region builder makes of them. Also the ground truth the
 * services really need at start, which neither failover path is told.
 */
import type { ShadowBlueprint } from '../../../schemas/records/shadow-blueprint.js';
import type { CapacityProfile } from '../../../streams/processors/capacity-fingerprint/profile.js';
import { buildDag, type DagDocument } from '../../../streams/processors/dependency-map/dag.js';
import type { EvidenceKind } from '../../../streams/processors/dependency-map/evidence.js';
import { currentDag, ingestEvidence, newRegionState } from '../../../streams/processors/dependency-map/mapper.js';
import { buildBlueprint, type DeploymentRow } from '../../../streams/processors/shadow-region/blueprint.js';
import { profileFromSamples } from '../../../test/fixtures/regions/profiles.js';
import {
  edgeAccuracy,
  generateDeployments,
  generateEvidence,
  generateRegion,
  generateSamples,
  type SyntheticRegion,
} from '../../../test/fixtures/regions/synthetic-region.js';

export interface DrillRegionOptions {
  services: number;
  edges: number;
  cycles: number;
  hosts: number;
  seed: number;
}

export interface DrillRegion {
  region: SyntheticRegion;
  deployments: DeploymentRow[];
  profile: CapacityProfile;
  dag: DagDocument;
  blueprint: ShadowBlueprint;
  precision: number;
  recall: number;
  /**
   * Per service, the services it really needs up before it can start (ground truth). Edges inside
   * a true dependency cycle are left out: such services tolerate each other's absence at start,
   * or they could never start at all.
   */
  needs: Map<string, string[]>;
}

export function buildDrillRegion(o: DrillRegionOptions, now: number): DrillRegion {
  const region = generateRegion({
    region: 'drill-region',
    services: o.services,
    edges: o.edges,
    cycles: o.cycles,
    hosts: o.hosts,
    seed: o.seed,
  });
  const samples = generateSamples(region, {
    start: now - 3_600_000,
    durationMs: 3_600_000,
    intervalMs: 60_000,
    seed: o.seed,
  });
  const profile = profileFromSamples(samples, { region: region.region });
  const evidence = generateEvidence(region, now - 600_000, o.seed);
  const state = newRegionState(region.region);
  const kinds: [EvidenceKind, { value: unknown; timestamp: number }[]][] = [
    ['config', evidence.configs],
    ['discovery', evidence.discovery],
    ['flow', evidence.flows],
    ['span', evidence.spans],
  ];
  for (const [kind, msgs] of kinds) for (const m of msgs) ingestEvidence(state, kind, m.value, m.timestamp);
  const dag = currentDag(state, now, 1);
  const deployments = generateDeployments(region, now) as unknown as DeploymentRow[];
  const blueprint = buildBlueprint({
    primaryRegion: region.region,
    shadowRegion: `${region.region}-shadow`,
    profile,
    fingerprintVersion: 1,
    dag,
    deployments,
    builtAt: now,
    version: 1,
  });
  return { region, deployments, profile, dag, blueprint, ...edgeAccuracy(dag, region), needs: trueNeeds(region, now) };
}

function trueNeeds(region: SyntheticRegion, now: number): Map<string, string[]> {
  const truth = buildDag(
    region.region,
    region.services.map((s) => s.name),
    region.edges.map((e) => ({ from: e.from, to: e.to, kinds: e.evidence, weight: 1, confidence: 1, lastSeen: now })),
    0,
    now,
  );
  const group = new Map(truth.nodes.map((n) => [n.id, n.group]));
  const needs = new Map<string, string[]>(region.services.map((s) => [s.name, []]));
  for (const e of region.edges) {
    if (group.get(e.from) !== group.get(e.to)) needs.get(e.from)?.push(e.to);
  }
  return needs;
}

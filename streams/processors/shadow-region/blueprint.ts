/**
 * Shadow-region blueprints: from a primary region's latest capacity profile, dependency DAG and
 * deployments table, the configuration needed to launch its shadow — per service how many
 * instances of which shape, from which configuration, in which launch order, behind which ports,
 * pools and names, replicating from which sources. Configuration only: never data.
 *
 * Sizing: a service's p95 demand, in instance-equivalents, is instances × p95 utilisation (CPU and
 * memory, and connections when a per-instance limit is configured); the shadow carries that demand
 * plus headroom at the target utilisation: ceil(demand × (1 + headroom) / target).
 */
import type { Deployment } from '../../../schemas/records/deployment.js';
import type { BlueprintService, ShadowBlueprint } from '../../../schemas/records/shadow-blueprint.js';
import type { CapacityProfile, ServiceProfile } from '../capacity-fingerprint/profile.js';
import type { DagDocument } from '../dependency-map/dag.js';

/** The fields of a deployments record (schemas/records/deployment.ts) a blueprint reads. */
export type DeploymentRow = Pick<
  Deployment,
  | 'resourceId'
  | 'kind'
  | 'service'
  | 'host'
  | 'region'
  | 'configRef'
  | 'replication'
  | 'address'
  | 'cpu'
  | 'memoryMb'
  | 'outcome'
  | 'deployedAt'
>;

export interface SizingOptions {
  /** Extra capacity over the p95 demand (0.3 = 30%). */
  headroom: number;
  /** Utilisation a shadow instance should run at when carrying the p95 demand. */
  targetUtilisation: number;
  /** Divide utilisation metrics by this (1 when they are fractions, 100 when percentages). */
  utilisationScale: number;
  /** Per-instance connection limit; 0 disables connection-based sizing. */
  maxConnectionsPerInstance: number;
  minInstances: number;
  /** `{service}` and `{region}` are replaced. */
  dnsTemplate: string;
  lbPoolTemplate: string;
}

export const DEFAULT_SIZING: SizingOptions = {
  headroom: 0.3,
  targetUtilisation: 0.7,
  utilisationScale: 1,
  maxConnectionsPerInstance: 0,
  minInstances: 1,
  dnsTemplate: '{service}.{region}.internal',
  lbPoolTemplate: '{region}/{service}',
};

export interface SizingDecision {
  instances: number;
  /** Which metric set the count, for operators. */
  drivenBy: 'cpu' | 'memory' | 'connections' | 'deployments' | 'minimum';
}

/** Instances a shadow needs to carry a service's p95 load plus headroom. */
export function sizeService(
  profile: ServiceProfile | undefined,
  deployedInstances: number,
  options: SizingOptions = DEFAULT_SIZING,
): SizingDecision {
  if (!profile) {
    // No load profile yet: mirror what is deployed rather than guess.
    return deployedInstances >= options.minInstances
      ? { instances: deployedInstances, drivenBy: 'deployments' }
      : { instances: options.minInstances, drivenBy: 'minimum' };
  }
  const n = Math.max(profile.instanceCount, 1);
  const grow = 1 + options.headroom;
  const candidates: SizingDecision[] = [{ instances: options.minInstances, drivenBy: 'minimum' }];
  for (const metric of ['cpu', 'memory'] as const) {
    const p95 = profile.metrics[metric]?.p95;
    if (p95 === undefined) continue;
    const demand = (n * p95) / options.utilisationScale;
    // The 1e-9 guards ceil against float noise turning an exact 3 into 4.
    candidates.push({ instances: Math.ceil((demand * grow) / options.targetUtilisation - 1e-9), drivenBy: metric });
  }
  const conns = profile.metrics.connections?.p95;
  if (conns !== undefined && options.maxConnectionsPerInstance > 0) {
    const demand = n * conns;
    candidates.push({
      instances: Math.ceil((demand * grow) / options.maxConnectionsPerInstance - 1e-9),
      drivenBy: 'connections',
    });
  }
  return candidates.reduce((best, c) => (c.instances > best.instances ? c : best));
}

function fill(template: string, service: string, region: string): string {
  return template.replaceAll('{service}', service).replaceAll('{region}', region);
}

function portOf(address: string): number | undefined {
  const m = /:(\d{1,5})$/.exec(address);
  return m ? Number(m[1]) : undefined;
}

export interface BlueprintInputs {
  primaryRegion: string;
  shadowRegion: string;
  profile?: CapacityProfile;
  fingerprintVersion: number;
  dag?: DagDocument;
  deployments: readonly DeploymentRow[];
  builtAt: number;
  version: number;
}

export function buildBlueprint(inputs: BlueprintInputs, options: SizingOptions = DEFAULT_SIZING): ShadowBlueprint {
  const region = inputs.primaryRegion;
  const live = inputs.deployments.filter((d) => d.region === region && d.service && d.outcome !== 'REMOVED');
  const byService = new Map<string, DeploymentRow[]>();
  for (const d of live) byService.set(d.service, [...(byService.get(d.service) ?? []), d]);
  const profiles = new Map((inputs.profile?.services ?? []).map((s) => [s.service, s]));
  const nodes = new Map((inputs.dag?.nodes ?? []).map((n) => [n.id, n]));
  const dependsOn = new Map<string, string[]>();
  for (const e of inputs.dag?.edges ?? []) dependsOn.set(e.from, [...(dependsOn.get(e.from) ?? []), e.to]);
  const names = new Set<string>([...byService.keys(), ...profiles.keys(), ...nodes.keys()]);
  const services: BlueprintService[] = [...names].map((service) => {
    const rows = byService.get(service) ?? [];
    // The latest successful deployment defines the configuration a shadow should launch with.
    const latest = [...rows].sort(
      (a, b) => Number(b.outcome === 'SUCCEEDED') - Number(a.outcome === 'SUCCEEDED') || b.deployedAt - a.deployedAt,
    )[0];
    const node = nodes.get(service);
    const sizing = sizeService(profiles.get(service), rows.length, options);
    const ports = [...new Set(rows.map((r) => portOf(r.address)).filter((p): p is number => p !== undefined))].sort(
      (a, b) => a - b,
    );
    return {
      service,
      instances: sizing.instances,
      cpuPerInstance: Math.max(0, ...rows.map((r) => r.cpu)) || 1,
      memoryMbPerInstance: Math.max(0, ...rows.map((r) => r.memoryMb)) || 1024,
      configRef: latest?.configRef ?? '',
      launchLevel: node?.level ?? 0,
      launchGroup: node?.group ?? service,
      dependsOn: [...new Set(dependsOn.get(service) ?? [])].sort(),
      ports,
      lbPools: ports.length > 0 ? [fill(options.lbPoolTemplate, service, inputs.shadowRegion)] : [],
      dnsNames: [fill(options.dnsTemplate, service, inputs.shadowRegion)],
      replicationSources: rows
        .filter((r) => r.replication && r.address)
        .map((r) => r.address)
        .sort(),
    };
  });
  services.sort((a, b) => a.launchLevel - b.launchLevel || (a.service < b.service ? -1 : 1));
  return {
    primaryRegion: region,
    shadowRegion: inputs.shadowRegion,
    version: inputs.version,
    builtAt: inputs.builtAt,
    fingerprintVersion: inputs.fingerprintVersion,
    dagVersion: inputs.dag?.version ?? 0,
    headroom: options.headroom,
    levelCount: inputs.dag?.levels.length ?? (services.length > 0 ? 1 : 0),
    services,
  };
}

/** What changes a blueprint (everything but its version and build time). */
export function blueprintShape(b: ShadowBlueprint): string {
  return JSON.stringify([b.shadowRegion, b.headroom, b.levelCount, b.fingerprintVersion, b.dagVersion, b.services]);
}

/** The sizing-relevant difference between two blueprints, for logs and tests. */
export function resizedServices(before: ShadowBlueprint, after: ShadowBlueprint): Array<[string, number, number]> {
  const old = new Map(before.services.map((s) => [s.service, s.instances]));
  return after.services
    .filter((s) => old.get(s.service) !== s.instances)
    .map((s): [string, number, number] => [s.service, old.get(s.service) ?? 0, s.instances]);
}

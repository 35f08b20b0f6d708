/**
 * The demo's world: regions built by the regional engineers' synthetic region generator (services,
 * a ground-truth dependency graph and their evidence), hosts spread over three zones per region, and
 * a few real Redis primaries placed on hosts of the first region. Everything is derived from the
 * options and a seed, so two runs show the same fleet.
 */

import type { Deployment } from '../schemas/records/deployment.js';
import type { Host } from '../schemas/records/host.js';
import {
  generateDeployments,
  generateRegion,
  type SyntheticRegion,
} from '../test/fixtures/regions/synthetic-region.js';

export interface DemoWorldOptions {
  regions: readonly string[];
  hostsPerRegion: number;
  servicesPerRegion: number;
  /** Real Redis primaries (behind HAProxy) in the first region. */
  redisCount: number;
  seed: number;
}

export const DEFAULT_WORLD: DemoWorldOptions = {
  regions: ['eu-west-1', 'us-east-1', 'ap-south-1'],
  hostsPerRegion: 20,
  servicesPerRegion: 12,
  redisCount: 3,
  seed: 8,
};

export interface RedisResource {
  resourceId: string;
  host: string;
  /** HAProxy backend that fronts it (`haproxy.backend` in the deployment's config). */
  backend: string;
}

export interface DemoWorld {
  options: DemoWorldOptions;
  regions: SyntheticRegion[];
  hosts: Host[];
  deployments: Deployment[];
  redis: RedisResource[];
  /** Service and instance tags for a host's samples (capacity profiles are per service). */
  serviceOf: Map<string, { service: string; instance: string }>;
}

const ZONES = 'abc';

export function zoneOf(region: string, index: number): string {
  return `${region}${ZONES[index % ZONES.length]}`;
}

export function buildWorld(options: DemoWorldOptions = DEFAULT_WORLD, now = Date.now()): DemoWorld {
  const regions = options.regions.map((region, r) =>
    generateRegion({
      region,
      services: options.servicesPerRegion,
      edges: Math.round(options.servicesPerRegion * 1.6),
      cycles: 1,
      hosts: options.hostsPerRegion,
      seed: options.seed + r,
    }),
  );
  const hosts: Host[] = regions.flatMap((g) =>
    g.hosts.map((host, i) => ({
      host,
      region: g.region,
      zone: zoneOf(g.region, i),
      rack: `r${Math.floor(i / 3) % 4}`,
      address: '127.0.0.1',
      cpuCores: 32,
      memoryMb: 131_072,
      state: 'UP' as const,
      labels: { demo: 'true' },
      updatedAt: now,
    })),
  );
  const byHost = new Map(hosts.map((h) => [h.host, h]));
  const deployments: Deployment[] = regions.flatMap((g) =>
    generateDeployments(g, now).map((row) => {
      const d = row as unknown as Deployment;
      const h = byHost.get(d.host);
      return { ...d, zone: h?.zone ?? '', rack: h?.rack ?? '' };
    }),
  );
  const first = regions[0]!;
  // Redis primaries on hosts 0, 3, 6… of the first region: all in zone "a", so every shadow must
  // go to another zone, which is what the demo wants to show.
  const redis: RedisResource[] = Array.from({ length: options.redisCount }, (_, i) => ({
    resourceId: `redis-${['orders', 'sessions', 'carts', 'prices', 'stock'][i % 5]}${i >= 5 ? `-${i}` : ''}`,
    host: first.hosts[(i * 3) % first.hosts.length]!,
    backend: `be_redis_${i}`,
  }));
  const serviceOf = new Map<string, { service: string; instance: string }>();
  for (const g of regions)
    for (const s of g.services)
      for (const inst of s.instances)
        if (!serviceOf.has(inst.host)) serviceOf.set(inst.host, { service: s.name, instance: inst.id });
  return { options, regions, hosts, deployments, redis, serviceOf };
}

/** The deployment row of a real Redis primary listening on `address`. */
export function redisDeployment(world: DemoWorld, r: RedisResource, address: string, now: number): Deployment {
  const h = world.hosts.find((x) => x.host === r.host)!;
  return {
    resourceId: r.resourceId,
    kind: 'redis',
    service: r.resourceId,
    host: r.host,
    region: h.region,
    zone: h.zone,
    rack: h.rack,
    tier: 'CRITICAL',
    config: { 'haproxy.backend': r.backend },
    configRef: `demo://redis/${r.resourceId}`,
    replication: true,
    address,
    cpu: 1,
    memoryMb: 512,
    outcome: 'SUCCEEDED',
    deployedAt: now,
  };
}

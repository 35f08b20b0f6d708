/**
 * The drill's two "regions" on one machine, pure: the same seven services in each, every service
 * on its own loopback address (region A = 127.1.0.x, the primary; region B = 127.2.0.x, the
 * shadow) and the same port in both regions, as real regions would have them. Linux answers the
 * whole of 127.0.0.0/8 on `lo`, so nothing needs configuring.
 *
 *   orders-db (PostgreSQL) ◄── orders-lb (HAProxy, pgsql checks) ◄──┐
 *   sessions-cache (Redis) ◄── sessions-lb (HAProxy, PING checks) ◄──┼── edge-lb (HAProxy: the shop's frontends)
 *   carts-cache (Redis)    ◄── carts-lb (HAProxy, PING checks)    ◄──┘
 *
 * These dependency edges are the ground truth the drill checks the mapped DAG and the start order
 * against; the failover paths are never told them.
 */

export const PRIMARY_REGION = 'drill-a';
export const SHADOW_REGION = 'drill-b';
export const DNS_ZONE = 'drill.test';

export type ServiceKind = 'postgres' | 'redis' | 'haproxy';

export interface DrillFrontend {
  name: string;
  /** Offset of its port from the plan's base port. */
  portOffset: number;
  upstream: string;
  check: 'redis' | 'pgsql' | 'tcp';
  /** What a client speaks through it (the health probe's protocol). */
  speaks: 'redis' | 'pgsql';
}

export interface DrillService {
  name: string;
  kind: ServiceKind;
  /** Last octet of its address in each region. */
  host: number;
  /** Offset of its (first instance's) port from the plan's base port; instance i at + i. */
  portOffset: number;
  frontends: DrillFrontend[];
  /**
   * Typical CPU utilisation of one instance in the primary region (the metrics history is drawn
   * around it): what makes the capacity fingerprint size a service to one instance or more.
   */
  cpu: number;
}

export const DRILL_SERVICES: readonly DrillService[] = [
  { name: 'orders-db', kind: 'postgres', host: 11, portOffset: 0, frontends: [], cpu: 0.35 },
  { name: 'sessions-cache', kind: 'redis', host: 12, portOffset: 10, frontends: [], cpu: 0.7 },
  { name: 'carts-cache', kind: 'redis', host: 13, portOffset: 20, frontends: [], cpu: 0.3 },
  {
    name: 'orders-lb',
    kind: 'haproxy',
    host: 21,
    portOffset: 0,
    cpu: 0.2,
    frontends: [{ name: 'orders', portOffset: 30, upstream: 'orders-db', check: 'pgsql', speaks: 'pgsql' }],
  },
  {
    name: 'sessions-lb',
    kind: 'haproxy',
    host: 22,
    portOffset: 0,
    cpu: 0.25,
    frontends: [{ name: 'sessions', portOffset: 31, upstream: 'sessions-cache', check: 'redis', speaks: 'redis' }],
  },
  {
    name: 'carts-lb',
    kind: 'haproxy',
    host: 23,
    portOffset: 0,
    cpu: 0.2,
    frontends: [{ name: 'carts', portOffset: 32, upstream: 'carts-cache', check: 'redis', speaks: 'redis' }],
  },
  {
    name: 'edge-lb',
    kind: 'haproxy',
    host: 31,
    portOffset: 0,
    cpu: 0.75,
    frontends: [
      { name: 'shop-orders', portOffset: 40, upstream: 'orders-lb', check: 'pgsql', speaks: 'pgsql' },
      { name: 'shop-sessions', portOffset: 41, upstream: 'sessions-lb', check: 'redis', speaks: 'redis' },
      { name: 'shop-carts', portOffset: 42, upstream: 'carts-lb', check: 'redis', speaks: 'redis' },
    ],
  },
];

/** Ground truth: service → the services it needs answering before it can serve. */
export function trueDependencies(): Map<string, string[]> {
  return new Map(DRILL_SERVICES.map((s) => [s.name, [...new Set(s.frontends.map((f) => f.upstream))]]));
}

export function serviceOf(name: string): DrillService {
  const s = DRILL_SERVICES.find((x) => x.name === name);
  if (!s) throw new Error(`unknown drill service ${name}`);
  return s;
}

export class RegionPlan {
  constructor(
    /** First port of the plan's block (every service and frontend port is an offset from it). */
    readonly basePort: number,
  ) {}

  ip(region: string, service: DrillService): string {
    return `127.${region === PRIMARY_REGION ? 1 : 2}.0.${service.host}`;
  }

  /** host:port of instance `index` of a service that listens itself (PostgreSQL, Redis). */
  instance(region: string, service: DrillService, index = 0): string {
    return `${this.ip(region, service)}:${this.basePort + service.portOffset + index}`;
  }

  /** host:port of a load balancer's frontend. */
  frontend(region: string, service: DrillService, f: DrillFrontend): string {
    return `${this.ip(region, service)}:${this.basePort + f.portOffset}`;
  }

  /** Where the upstream of a frontend answers (its first instance, or a balancer's frontend). */
  upstreamAddress(region: string, f: DrillFrontend): { address: string; shared: boolean } {
    const up = serviceOf(f.upstream);
    if (up.kind !== 'haproxy') return { address: this.instance(region, up), shared: false };
    const front = up.frontends.find((x) => x.speaks === f.speaks) ?? up.frontends[0]!;
    return { address: this.frontend(region, up, front), shared: true };
  }

  /** DNS name of a service, and of the shop's entry point (the edge balancer). */
  dnsName(service: DrillService): string {
    return `${service.name}.${DNS_ZONE}`;
  }

  /** Every record and its address in `region`. */
  records(region: string): Record<string, string> {
    const out: Record<string, string> = {};
    for (const s of DRILL_SERVICES) out[this.dnsName(s)] = this.ip(region, s);
    out[`shop.${DNS_ZONE}`] = this.ip(region, serviceOf('edge-lb'));
    return out;
  }
}

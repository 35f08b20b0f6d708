/**
 * The two regions of one drill run, as real processes in a directory of their own:
 *   - region A (primary): PostgreSQL primary with the shop's data, its Redis caches and HAProxy
 *     balancers, started with the same Redis and HAProxy actuators the failover uses (a launch of
 *     region A, one instance per service: what is deployed there);
 *   - region B (shadow): only a hot standby of A's PostgreSQL (pg_basebackup, streaming
 *     replication); everything else is started by the failover.
 * The region failure is a SIGKILL of every process of region A. Tear-down finds every process the
 * run started by its pid file, so nothing outlives the run.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DnsProvider } from '../../../sinks/dns/dns-provider.js';
import type { ActuationContext, FailoverCommand } from '../../../sinks/framework/types.js';
import { HaproxyProvider, type HaproxyProviderOptions } from '../../../sinks/haproxy/haproxy-provider.js';
import { PostgresProvider } from '../../../sinks/postgres/postgres-provider.js';
import { RedisProvider, type RedisProviderOptions } from '../../../sinks/redis/redis-provider.js';
import type { RegionMember } from '../../../sinks/region/region-provider.js';
import { type DrillNamed, TSIG_KEY_NAME } from './named.js';
import { PgCluster } from './postgres-cluster.js';
import { DRILL_SERVICES, PRIMARY_REGION, type RegionPlan, SHADOW_REGION } from './region-plan.js';

export const DATABASE = 'shop';
export const REJOIN_SLOT = 'drill_a_rejoin';
/** Environment variable the DNS actuator reads the TSIG secret from. */
export const TSIG_ENV = 'FORESHADOW_DRILL_TSIG_SECRET';

/** The Redis and HAProxy actuators' configuration for `region`, with state under `root`. */
export function processMembers(plan: RegionPlan, region: string, root: string): [RedisProvider, HaproxyProvider] {
  const redis: NonNullable<RedisProviderOptions['regionServices']> = {};
  const haproxy: NonNullable<HaproxyProviderOptions['regionServices']> = {};
  for (const s of DRILL_SERVICES) {
    if (s.kind === 'redis') {
      const [host, port] = plan.instance(region, s).split(':');
      redis[s.name] = { [region]: { bindAddress: host!, port: Number(port), dataRoot: join(root, 'redis') } };
    }
    if (s.kind === 'haproxy') {
      haproxy[s.name] = {
        [region]: {
          dir: join(root, 'haproxy'),
          frontends: s.frontends.map((f) => {
            const up = plan.upstreamAddress(region, f);
            return {
              name: f.name,
              bind: plan.frontend(region, s, f),
              upstream: f.upstream,
              upstreamAddress: up.address,
              upstreamInstances: up.shared ? ('shared' as const) : ('ports' as const),
              check: f.check,
            };
          }),
        },
      };
    }
  }
  return [
    new RedisProvider({ name: 'redis', regionServices: redis }),
    new HaproxyProvider({ name: 'haproxy', regionServices: haproxy }),
  ];
}

/** Every actuator of the shadow region's failover: PostgreSQL, Redis, HAProxy, DNS. */
export function shadowMembers(plan: RegionPlan, root: string, named: DrillNamed): RegionMember[] {
  const db = DRILL_SERVICES.find((s) => s.kind === 'postgres')!;
  return [
    new PostgresProvider({
      name: 'postgres',
      services: {
        [db.name]: {
          [SHADOW_REGION]: { address: plan.instance(SHADOW_REGION, db), database: DATABASE, rejoinSlot: REJOIN_SLOT },
        },
      },
    }),
    ...processMembers(plan, SHADOW_REGION, root),
    new DnsProvider({
      name: 'dns',
      server: '127.0.0.1',
      port: named.port,
      zone: named.zone,
      keyName: TSIG_KEY_NAME,
      keySecretEnv: TSIG_ENV,
      ttl: 5,
      regionRecords: { [SHADOW_REGION]: plan.records(SHADOW_REGION) },
    }),
  ];
}

const ctx: ActuationContext = { attempt: 1, signal: new AbortController().signal, progress: async () => undefined };

function launch(region: string, services: string[], provisionOnly: boolean): FailoverCommand {
  return {
    commandId: `setup-${region}-${services.join('+')}-${provisionOnly}`,
    failoverId: `setup-${region}`,
    type: 'LAUNCH_LEVEL',
    primaryRegion: region,
    shadowRegion: region,
    epoch: 0,
    blueprintVersion: 0,
    level: 0,
    services: services.map((service) => ({
      service,
      instances: 1,
      cpuPerInstance: 1,
      memoryMbPerInstance: 1024,
      configRef: '',
    })),
    dryRun: false,
    provisionOnly,
    issuedAt: Date.now(),
    advisory: false,
  };
}

export interface PrimaryRegion {
  db: PgCluster;
  standby: PgCluster;
  /** service → its haproxy.cfg in region A (the config evidence). */
  balancerConfigs: Map<string, string>;
}

/** Region A up and serving, and region B's standby replicating from it. */
export async function startRegions(plan: RegionPlan, root: string): Promise<PrimaryRegion> {
  const db = DRILL_SERVICES.find((s) => s.kind === 'postgres')!;
  const [ipA, portA] = plan.instance(PRIMARY_REGION, db).split(':');
  const primary = await PgCluster.primary({ dir: join(root, 'a', 'pg'), host: ipA!, port: Number(portA) });
  await primary.sql(`CREATE DATABASE ${DATABASE}`);
  await primary.sql(
    'CREATE TABLE orders (id bigint PRIMARY KEY, placed_at timestamptz NOT NULL DEFAULT now(), note text NOT NULL)',
    [],
    DATABASE,
  );
  await primary.sql('CREATE TABLE drill_probe (at timestamptz NOT NULL DEFAULT now())', [], DATABASE);
  const [ipB, portB] = plan.instance(SHADOW_REGION, db).split(':');
  const standby = await PgCluster.standbyOf(primary, { dir: join(root, 'b', 'pg'), host: ipB!, port: Number(portB) });
  const [redis, haproxy] = processMembers(plan, PRIMARY_REGION, join(root, 'a'));
  const byKind = (k: string): string[] => DRILL_SERVICES.filter((s) => s.kind === k).map((s) => s.name);
  const all = [...byKind('redis'), ...byKind('haproxy')];
  await redis.failoverStep(launch(PRIMARY_REGION, all, true), ctx);
  await haproxy.failoverStep(launch(PRIMARY_REGION, all, true), ctx);
  await redis.failoverStep(launch(PRIMARY_REGION, byKind('redis'), false), ctx);
  await haproxy.failoverStep(launch(PRIMARY_REGION, ['orders-lb', 'sessions-lb', 'carts-lb'], false), ctx);
  await haproxy.failoverStep(launch(PRIMARY_REGION, ['edge-lb'], false), ctx);
  const balancerConfigs = new Map(
    byKind('haproxy').map((s) => [s, join(root, 'a', 'haproxy', `${s}-0`, 'haproxy.cfg')] as [string, string]),
  );
  return { db: primary, standby, balancerConfigs };
}

/** SIGKILLs every process whose pid file lies one level below `dir` (`<dir>/<instance>/<name>.pid`). */
export async function killPidFiles(dir: string): Promise<number> {
  let killed = 0;
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  for (const e of entries) {
    if (!e.isDirectory()) continue;
    for (const f of await readdir(join(dir, e.name)).catch(() => [] as string[])) {
      if (!f.endsWith('.pid')) continue;
      const pid = Number((await readFile(join(dir, e.name, f), 'utf8').catch(() => '')).trim());
      if (!Number.isInteger(pid) || pid <= 0) continue;
      try {
        process.kill(pid, 'SIGKILL');
        killed++;
      } catch {
        // already gone
      }
    }
  }
  return killed;
}

/** The region failure: every process of region A killed at once. */
export async function failRegionA(root: string, a: PrimaryRegion): Promise<void> {
  await Promise.all([a.db.kill(), killPidFiles(join(root, 'a', 'redis')), killPidFiles(join(root, 'a', 'haproxy'))]);
}

/** Stops everything the run started, in both regions. */
export async function tearDown(root: string, a: PrimaryRegion | undefined): Promise<void> {
  for (const r of ['a', 'b']) {
    await killPidFiles(join(root, r, 'redis'));
    await killPidFiles(join(root, r, 'haproxy'));
  }
  await a?.standby.stop();
  await a?.db.stop();
}

/**
 * The demo `npm start` runs after the stack, topics and schemas are ready: real Redis primaries
 * behind HAProxy, every pipeline app as a child process (processors, actuators, API with the
 * dashboard), the simulated fleet, client load on the real Redis, and a terminal narrating what
 * happens. Stops on Ctrl-C/SIGTERM or after `durationMs`, and leaves no process behind: children
 * are stopped in order, the Redis shadows the actuator daemonised are found by their pid files.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Partitioners } from 'kafkajs';
import { hashToken } from '../api/auth.js';
import type { AppName } from '../cli/run/app-names.js';
import type { Deployment } from '../schemas/records/deployment.js';
import type { FailureKind } from '../schemas/records/host-failure.js';
import type { KafkaConnection } from '../streams/runtime/config.js';
import { createKafka } from '../streams/runtime/kafka-client.js';
import { WriteProbe } from './client-load.js';
import { demoRunConfigYaml } from './demo-config.js';
import { EventTail } from './event-tail.js';
import { FleetDriver } from './fleet-driver.js';
import { DEMO_FLEET, defaultIncidents } from './fleet-script.js';
import { leftoverDemoShadows } from './leftovers.js';
import { Progress } from './progress.js';
import {
  freePort,
  type Haproxy,
  type RedisServer,
  startHaproxy,
  startRedis,
  stopDaemons,
  stopProcess,
} from './real-processes.js';
import { type ChildGroup, Supervisor } from './supervisor.js';
import { buildWorld, DEFAULT_WORLD, redisDeployment } from './world.js';

/** The run's internal topics (changelogs, repartitions, the manager's fleet topic) carry its suffix. */
async function deleteRunTopics(conn: KafkaConnection, suffix: string): Promise<void> {
  const admin = createKafka(conn, 'foreshadow-demo-cleanup').admin();
  try {
    await admin.connect();
    const mine = (await admin.listTopics()).filter((t) => t.includes(suffix));
    if (mine.length > 0) await admin.deleteTopics({ topics: mine });
  } catch {
    // Leftover internal topics cost disk only; a failed cleanup must not fail the stop.
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

/**
 * Tombstones resources on the deployments table and waits (up to 10 s) for the shadow manager to
 * confirm each with a shadow.state tombstone (it sends one for every removed resource).
 */
async function withdrawAndConfirm(driver: FleetDriver, tail: EventTail, ids: readonly string[]): Promise<boolean> {
  await driver.withdrawDeployments(ids);
  return tail.waitForgotten(ids, 10_000);
}

/** Ctrl-C while starting: skip the remaining steps and go straight to the orderly stop. */
class StoppedEarly extends Error {}

export interface DemoOptions {
  /** Stop after this long (ms); 0 = until Ctrl-C. */
  durationMs: number;
  apiPort: number;
  acceleration: number;
  historyHours: number;
  /** One child process per app instead of one per group. */
  perApp: boolean;
  keepRunDir: boolean;
  seed: number;
}

export const DEFAULT_DEMO: DemoOptions = {
  durationMs: 0,
  apiPort: 8088,
  acceleration: 30,
  historyHours: 3,
  perApp: false,
  keepRunDir: false,
  seed: 42,
};

/** One `foreshadow run` process per group (cli/run/app-names.ts), as a small deployment would run. */
export const GROUPS: readonly ChildGroup[] = [
  { name: 'api', apps: ['api'] },
  { name: 'host-health', apps: ['metric-ingest', 'host-baseline', 'failure-risk'] },
  { name: 'regional', apps: ['capacity-fingerprint', 'dependency-map', 'shadow-region', 'region-health'] },
  { name: 'shadows', apps: ['shadow-manager', 'failover-orchestrator'] },
  { name: 'actuators', apps: ['actuators:redis', 'actuators:haproxy', 'actuators:simulated'] },
];

/** Without these the story cannot happen; the others only enrich the dashboard. */
export const ESSENTIAL: readonly AppName[] = [
  'metric-ingest',
  'failure-risk',
  'shadow-manager',
  'actuators:redis',
  'actuators:haproxy',
  'api',
];

export interface DemoSummary {
  ranForMs: number;
  samples: number;
  records: number;
  failures: number;
  simTime: string;
  shadows: Record<string, string[]>;
  failoverEvents: number;
  client: Record<string, { acked: number; failedOps: number; outages: { ms: number | null }[]; servedBy: number }>;
  pids: number[];
  /** Apps that could not start, with their error. */
  failedApps: Record<string, string>;
  runDir: string;
  dashboard: string;
}

export async function runDemo(conn: KafkaConnection, options: Partial<DemoOptions> = {}): Promise<DemoSummary> {
  const o = { ...DEFAULT_DEMO, ...options };
  const progress = new Progress();
  const t0 = Date.now();
  const runDir = mkdtempSync(join(tmpdir(), 'foreshadow-demo-'));
  const runTag = randomBytes(2).toString('hex');
  const world = buildWorld({ ...DEFAULT_WORLD, seed: o.seed });
  // Run-tagged resource ids: the shadow manager's store outlives a demo run, a new run's real
  // Redis (new ports) must not inherit the previous run's promoted shadows.
  world.redis = world.redis.map((r) => ({ ...r, resourceId: `${r.resourceId}-${runTag}` }));
  const pids: number[] = [];
  const redis: RedisServer[] = [];
  let haproxy: Haproxy | undefined;
  const probes = new Map<string, WriteProbe>();
  let stopping = false;
  let resolveStop: () => void = () => {};
  const stopSignal = new Promise<void>((resolve) => {
    resolveStop = resolve;
  });
  const stopRequested = (): void => {
    stopping = true;
    resolveStop();
  };
  const onSignal = () => {
    progress.warn('stopping (Ctrl-C again is not needed: everything is being stopped in order)…');
    stopRequested();
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  const token = randomBytes(18).toString('base64url');
  const dashboard = `http://127.0.0.1:${o.apiPort}/dashboard#token=${token}`;
  const cfgPath = join(runDir, 'foreshadow.yaml');
  writeFileSync(
    cfgPath,
    demoRunConfigYaml({
      redisHosts: Object.fromEntries(
        world.hosts.map((h) => [h.host, { bindAddress: '127.0.0.1', dataRoot: join(runDir, 'shadows', h.host) }]),
      ),
      haproxySocket: join(runDir, 'haproxy.sock'),
      haproxyBackends: Object.fromEntries(world.redis.map((r) => [r.resourceId, r.backend])),
      stateDir: join(runDir, 'state'),
      // Run-scoped application ids: every run starts from the present with empty state (a previous
      // run's stores and decisions never leak in), and its internal topics are deleted at the end.
      idSuffix: `-demo-${runTag}`,
      simulatedKinds: ['service', 'postgres'],
      apiPort: o.apiPort,
    }),
  );
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    KAFKA_BROKERS: conn.brokers.join(','),
    SCHEMA_REGISTRY_URL: conn.registryUrl,
    CONNECT_URL: conn.connectUrl,
    API_TOKENS: `demo:operate:${hashToken(token)}`,
    FORESHADOW_DASHBOARD_BANNER: `simulated fleet: ${world.options.regions.length} regions × ${world.options.hostsPerRegion} hosts · time ×${o.acceleration} (1 s = ${o.acceleration} simulated s) · ${world.redis.length} real Redis behind HAProxy`,
  };
  const supervisor = new Supervisor(runDir, cfgPath, env, progress, () => stopRequested());
  const producer = createKafka(conn, 'foreshadow-demo-fleet').producer({
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  let driver: FleetDriver | undefined;
  let tail: EventTail | undefined;
  let redisDeps: Deployment[] = [];
  let status: NodeJS.Timeout | undefined;
  let stopTimer: NodeJS.Timeout | undefined;

  try {
    progress.step(`run directory ${runDir}`);
    // ---- real resources ----
    progress.step(`${world.redis.length} Redis primaries and HAProxy on loopback`);
    const backends = [];
    for (const [i, r] of world.redis.entries()) {
      const server = await startRedis(`redis-${i}`, runDir, await freePort());
      redis.push(server);
      pids.push(server.child.pid ?? 0);
      backends.push({
        name: r.backend,
        frontendPort: await freePort(),
        servers: [`primary ${server.address}`, 'spare 127.0.0.1:1 disabled'],
      });
    }
    haproxy = await startHaproxy(runDir, backends);
    pids.push(haproxy.child.pid ?? 0);
    for (const [i, r] of world.redis.entries())
      progress.ready(
        `${r.resourceId}: redis-server :${redis[i]!.port} (pid ${redis[i]!.child.pid}) on host ${r.host}, clients use HAProxy :${backends[i]!.frontendPort}`,
      );

    // ---- pipeline ----
    const groups: ChildGroup[] = o.perApp
      ? GROUPS.flatMap((g) => g.apps.map((a: AppName) => ({ name: a, apps: [a] })))
      : [...GROUPS];
    progress.step(`pipeline: ${groups.map((g) => `${g.name} [${g.apps.join(', ')}]`).join('; ')}`);
    await Promise.race([Promise.all(groups.map((g) => supervisor.start(g))), stopSignal]);
    pids.push(...supervisor.pids());
    const missing = ESSENTIAL.filter((a) => supervisor.failed.has(a));
    if (missing.length > 0) throw new Error(`cannot run the demo without ${missing.join(', ')}`);
    for (const a of supervisor.failed.keys())
      progress.warn(`running without ${a}: its part of the dashboard stays empty`);
    if (stopping) throw new StoppedEarly();

    // ---- fleet ----
    await producer.connect();
    const incidents = defaultIncidents(world);
    driver = new FleetDriver({
      world,
      producer,
      ...DEMO_FLEET,
      acceleration: o.acceleration,
      historyMs: o.historyHours * 3_600_000,
      seed: o.seed,
      incidents,
      onEvent: (m) => progress.event(m),
      onFailure: async (host: string, kind: FailureKind) => {
        for (const [i, r] of world.redis.entries()) {
          if (r.host !== host) continue;
          const server = redis[i]!;
          progress.event(`${host} is gone (${kind}): SIGKILL its redis-server :${server.port} (${r.resourceId})`);
          server.child.kill('SIGKILL');
        }
      },
    });
    const where = (host: string): string => {
      const zone = world.hosts.find((h) => h.host === host)?.zone;
      return zone ? `${host} [${zone}]` : host || '?';
    };
    // Failover steps timed from the failover's first event as the tail saw them.
    const failoverStart = new Map<string, number>();
    tail = new EventTail(conn, {
      risk: (r, before) => {
        if (r.level === 'WARNING' || r.level === 'CRITICAL')
          progress.event(
            `risk ${r.host}: ${before ?? 'OK'} → ${r.level} (pFail ${r.pFail.toFixed(2)}${r.deviating ? ', deviating from baseline' : ''})`,
          );
      },
      shadow: (s) =>
        progress.event(
          `shadow ${s.resourceId}: ${s.state} ${where(s.primaryHost)} → ${where(s.shadowHost)}${s.shadowAddress ? ` (${s.shadowAddress})` : ''}${s.lagBytes !== null ? ` lag ${s.lagBytes} B` : ''}`,
        ),
      event: (e) => {
        const first = failoverStart.get(e.failoverId) ?? e.timestamp;
        failoverStart.set(e.failoverId, first);
        progress.event(
          `failover ${e.scope} ${e.subject}: ${e.step}${e.resourceId ? ` ${e.resourceId}` : ''}${e.toHost ? ` → ${e.toHost}` : ''} (+${e.timestamp - first} ms)`,
        );
      },
    });
    await tail.start();
    // Shadows earlier runs left behind (killed before they could withdraw their Redis resources):
    // withdrawn now that this run's shadow manager is up, so it forgets them.
    const leftovers = await leftoverDemoShadows(conn, new Set(world.redis.map((r) => r.resourceId))).catch(
      () => [] as string[],
    );
    if (leftovers.length > 0) {
      const done = await withdrawAndConfirm(driver, tail, leftovers);
      progress.status(
        `withdrew ${leftovers.length} Redis resource(s) left by earlier runs${done ? '' : ' (not yet confirmed by the shadow manager)'}`,
      );
    }
    redisDeps = world.redis.map((r, i) => redisDeployment(world, r, redis[i]!.address, Date.now()));
    await driver.publishInventory(redisDeps);
    progress.ready(
      `inventory: ${world.hosts.length} hosts, ${world.deployments.length + redisDeps.length} deployments, topology evidence for ${world.regions.length} regions`,
    );
    progress.step(`fleet history: ${o.historyHours} h of samples (JSON and InfluxDB line protocol) for the baselines`);
    await driver.backfill((done, total) => progress.status(`history ${done}/${total} steps`));
    if (stopping) throw new StoppedEarly();
    driver.startLive();
    progress.ready(
      `fleet live: ${world.hosts.length} hosts, time ×${o.acceleration}; incidents: ${incidents.map((i) => `${i.kind}@${i.host}`).join(', ')}`,
    );

    for (const [i, r] of world.redis.entries()) {
      const probe = new WriteProbe({ port: backends[i]!.frontendPort, pauseMs: 20, keyPrefix: `demo:${r.resourceId}` });
      await probe.start();
      probes.set(r.resourceId, probe);
    }
    progress.ready(`client load on ${probes.size} Redis through HAProxy`);
    console.log(
      `\n  Dashboard: ${dashboard}\n  (the token is in the URL fragment; API on http://127.0.0.1:${o.apiPort}, same token as Bearer)\n`,
    );

    const reported = new Map<string, number>();
    status = setInterval(() => {
      for (const [id, p] of probes) {
        const n = reported.get(id) ?? 0;
        for (const out of p.outages.slice(n)) {
          // In order: an outage is reported once it ended and the server after it is known.
          if (out.end === null || out.servedAfter === null) break;
          progress.event(
            `${id}: writes failed for ${out.end - out.start} ms (${out.failedOps} failed ops); now served by redis :${out.servedAfter}`,
          );
          reported.set(id, (reported.get(id) ?? 0) + 1);
        }
      }
      const s = driver!.stats;
      const states: Record<string, number> = {};
      for (const sh of tail!.shadows.values()) states[sh.state] = (states[sh.state] ?? 0) + 1;
      progress.status(
        `sim ${new Date(s.simTime).toISOString().slice(0, 16)}Z (${s.phase}) · ${s.samples} samples · ${s.failures} host failures · shadows ${JSON.stringify(states)} · ${tail!.events.length} failover events`,
      );
    }, 10_000);
    if (o.durationMs > 0) stopTimer = setTimeout(stopRequested, o.durationMs);
    await stopSignal;
  } catch (err: unknown) {
    if (!(err instanceof StoppedEarly)) {
      progress.fail(err instanceof Error ? err.message : String(err));
      throw err;
    }
  } finally {
    if (status) clearInterval(status);
    if (stopTimer) clearTimeout(stopTimer);
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
    progress.step('stopping: fleet, client load, pipeline, Redis shadows, HAProxy, Redis');
    driver?.stop();
    for (const p of probes.values()) await p.stop();
    // This run's Redis resources end with it: withdrawn from the deployments table while the shadow
    // manager still runs, so it retires and forgets their shadows and the next run's dashboard does
    // not list them.
    if (driver && tail && redisDeps.length > 0) {
      const ids = redisDeps.map((d) => d.resourceId);
      const shadowed = ids.filter((id) => tail?.shadows.has(id));
      try {
        const done = await withdrawAndConfirm(driver, tail, ids);
        progress.status(
          done
            ? `withdrew ${ids.length} Redis deployments; the shadows of ${shadowed.length} are retired and forgotten`
            : `withdrew ${ids.length} Redis deployments; the shadow manager did not confirm within 10 s`,
        );
      } catch (err: unknown) {
        progress.warn(`could not withdraw this run's Redis deployments: ${err instanceof Error ? err.message : err}`);
      }
    }
    await supervisor.stopAll();
    const shadowsStopped = await stopDaemons(join(runDir, 'shadows'));
    if (shadowsStopped) progress.status(`stopped ${shadowsStopped} Redis shadow(s)`);
    if (haproxy) await stopProcess(haproxy);
    for (const r of redis) await stopProcess(r);
    await tail?.stop();
    await producer.disconnect().catch(() => undefined);
    await deleteRunTopics(conn, `-demo-${runTag}`);
    progress.ready('everything stopped');
  }
  const summary: DemoSummary = {
    ranForMs: Date.now() - t0,
    samples: driver?.stats.samples ?? 0,
    records: driver?.stats.records ?? 0,
    failures: driver?.stats.failures ?? 0,
    simTime: new Date(driver?.stats.simTime ?? 0).toISOString(),
    shadows: Object.fromEntries(tail?.shadowHistory ?? []),
    failoverEvents: tail?.events.length ?? 0,
    client: Object.fromEntries(
      [...probes].map(([id, p]) => [
        id,
        {
          acked: p.acked.size,
          failedOps: p.ops.filter((x) => !x.ok).length,
          outages: p.outages.map((x) => ({ ms: x.end === null ? null : x.end - x.start })),
          servedBy: p.servedBy,
        },
      ]),
    ),
    pids: pids.filter((p) => p > 0),
    failedApps: Object.fromEntries(supervisor.failed),
    runDir,
    dashboard: dashboard.replace(/#token=.*/, ''),
  };
  if (!o.keepRunDir) rmSync(runDir, { recursive: true, force: true });
  return summary;
}

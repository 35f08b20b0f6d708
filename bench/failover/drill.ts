/**
 * The failover drill: the same fault — SIGKILL of a Redis primary behind HAProxy — handled by
 * (1) Foreshadow's real pipeline and (2) Redis Sentinel with its default and a tuned
 * down-after-milliseconds, measured by the same client writing and reading through HAProxy.
 *
 * Foreshadow's path is the production one: hosts/deployments tables and health.risk records in
 * Kafka → shadow manager (child process) → shadow.commands → Redis actuator starts a replica on a
 * host in another zone and reports its lag until READY → the primary is killed → a watchdog (what a
 * host agent would be) publishes the host.failures record the moment the process dies → shadow
 * manager → PROMOTE → Redis actuator → actuation.results → shadow manager → REDIRECT → HAProxy
 * actuator (Runtime API). The one input not produced by a processor is health.risk: the drill
 * writes the degrading host's risk itself (the prediction is the demo's and failure-risk's business;
 * the drill measures the failover).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Consumer, Partitioners, type Producer } from 'kafkajs';
import { WriteProbe } from '../../demo/client-load.js';
import { demoRunConfigYaml } from '../../demo/demo-config.js';
import type { Progress } from '../../demo/progress.js';
import {
  freePort,
  type HaproxyBackend,
  redisClient,
  sleep,
  startHaproxy,
  startRedis,
  stopDaemons,
  stopProcess,
  waitFor,
} from '../../demo/real-processes.js';
import { Supervisor } from '../../demo/supervisor.js';
import type { ActuationResult } from '../../schemas/records/actuation-result.js';
import type { Deployment } from '../../schemas/records/deployment.js';
import type { Host } from '../../schemas/records/host.js';
import type { HostFailure } from '../../schemas/records/host-failure.js';
import type { HostRisk } from '../../schemas/records/host-risk.js';
import type { ShadowCommand } from '../../schemas/records/shadow-command.js';
import type { ShadowState } from '../../schemas/records/shadow-state.js';
import { HaproxyRuntimeApi } from '../../sinks/haproxy/runtime-api.js';
import {
  ACTUATION_RESULTS_TOPIC,
  DEPLOYMENTS_TOPIC,
  FAILURES_TOPIC,
  HOSTS_TOPIC,
  RISK_TOPIC,
  SHADOW_COMMANDS_TOPIC,
  SHADOW_STATE_TOPIC,
} from '../../streams/catalogue.js';
import type { KafkaConnection } from '../../streams/runtime/config.js';
import { createKafka } from '../../streams/runtime/kafka-client.js';
import { avroSerde } from '../../streams/runtime/serdes.js';
import { avroValueSerdes } from '../../streams/topic-serdes.js';
import { SENTINEL_MASTER, startSentinelSetup } from './sentinel.js';

/** HAProxy's view of a Redis server: only a primary is a valid target (same for every case). */
export const ROLE_CHECK = [
  'option tcp-check',
  'tcp-check connect',
  'tcp-check send info\\ replication\\r\\n',
  'tcp-check expect string role:master',
  'tcp-check send QUIT\\r\\n',
  'tcp-check expect string +OK',
];
/**
 * Same checks for every case: a live server every 200 ms (two misses = down), a down one every
 * 50 ms (so a promoted replica, or a re-addressed slot, is taken in quickly), and a server marked
 * down has its sessions closed so clients reconnect instead of hanging on a dead peer.
 */
export const CHECK = 'check inter 200ms downinter 50ms fall 2 rise 1 on-marked-down shutdown-sessions';

export interface CaseResult {
  name: string;
  /** The client's outage around the kill: last success before it to first success after. */
  unavailabilityMs: number | null;
  killToFirstWriteMs: number | null;
  /** Where the outage began relative to the kill (the last success before it; ≤ 0). */
  outageStartVsKillMs: number | null;
  failedOps: number;
  ackedWrites: number;
  lostAckedWrites: number;
  /** What the system reported about replication just before the kill. */
  reportedLagBytes: number | null;
  /** Measured from INFO replication on both servers right before the kill. */
  measuredLagBytesAtKill: number | null;
  newPrimaryServing: boolean;
  timeline: Record<string, number>;
  notes: string[];
}

export interface DrillOptions {
  /** Steady writes before and after the fault. */
  steadyMs: number;
  sentinelDefault: boolean;
  tunedDownAfterMs: number;
  progress: Progress;
}

function casesDir(label: string): string {
  return mkdtempSync(join(tmpdir(), `foreshadow-drill-${label}-`));
}

function outageAround(
  probe: WriteProbe,
  killAt: number,
): {
  unavailabilityMs: number | null;
  killToFirstWriteMs: number | null;
  outageStartVsKillMs: number | null;
  failedOps: number;
} {
  const first = probe.firstWriteAfter(killAt);
  // The outage the kill caused: the one still open at the kill or opened after it, up to recovery.
  const o = probe.outages.find(
    (x) => (x.end === null || x.end >= killAt) && x.start <= (first ?? Number.MAX_SAFE_INTEGER),
  );
  // A write in flight at the kill may still be acknowledged by the dying primary; the first write
  // on the new primary is the one that ends the outage.
  const recovered = o ? o.end : first;
  return {
    unavailabilityMs: o && o.end !== null ? o.end - o.start : first === null ? null : 0,
    killToFirstWriteMs: recovered === null ? null : recovered - killAt,
    outageStartVsKillMs: o ? o.start - killAt : null,
    failedOps: o?.failedOps ?? 0,
  };
}

async function replicationLag(primaryPort: number, replicaPort: number): Promise<number | null> {
  try {
    const p = await redisClient(primaryPort);
    const r = await redisClient(replicaPort);
    try {
      const po = Number(/master_repl_offset:(\d+)/.exec(await p.info('replication'))?.[1] ?? Number.NaN);
      const ro = Number(/slave_repl_offset:(\d+)/.exec(await r.info('replication'))?.[1] ?? Number.NaN);
      return Number.isFinite(po) && Number.isFinite(ro) ? Math.max(0, po - ro) : null;
    } finally {
      p.disconnect();
      r.disconnect();
    }
  } catch {
    return null;
  }
}

// ---- Foreshadow ------------------------------------------------------------------------------

interface Seen {
  states: { at: number; s: ShadowState }[];
  results: { at: number; r: ActuationResult }[];
  commands: { at: number; c: ShadowCommand }[];
}

async function follow(conn: KafkaConnection, resourceId: string, seen: Seen): Promise<Consumer> {
  const serde = avroSerde<unknown>();
  const consumer = createKafka(conn, 'foreshadow-drill-follow').consumer({
    groupId: `foreshadow-drill-follow-${randomBytes(4).toString('hex')}`,
    readUncommitted: false,
    maxWaitTimeInMs: 100,
  });
  await consumer.connect();
  await consumer.subscribe({
    topics: [SHADOW_STATE_TOPIC, ACTUATION_RESULTS_TOPIC, SHADOW_COMMANDS_TOPIC],
    fromBeginning: false,
  });
  let joined: () => void = () => {};
  const ready = new Promise<void>((r) => {
    joined = r;
  });
  consumer.on(consumer.events.GROUP_JOIN, () => joined());
  await consumer.run({
    eachMessage: async ({ topic, message }) => {
      if (message.key?.toString() !== resourceId || message.value === null) return;
      const at = Date.now();
      const v = await serde.deserialize(topic, message.value);
      if (topic === SHADOW_STATE_TOPIC) seen.states.push({ at, s: v as ShadowState });
      else if (topic === SHADOW_COMMANDS_TOPIC) seen.commands.push({ at, c: v as ShadowCommand });
      else seen.results.push({ at, r: v as ActuationResult });
    },
  });
  await ready;
  return consumer;
}

export async function foreshadowCase(conn: KafkaConnection, o: DrillOptions): Promise<CaseResult> {
  const dir = casesDir('foreshadow');
  const tag = randomBytes(3).toString('hex');
  const region = 'drill';
  const hosts: Host[] = ['a', 'b', 'c'].map((z, i) => ({
    host: `drill-${tag}-${z}`,
    region,
    zone: `${region}-${z}`,
    rack: `r${i}`,
    address: '127.0.0.1',
    cpuCores: 8,
    memoryMb: 16_384,
    state: 'UP',
    labels: { drill: tag },
    updatedAt: Date.now(),
  }));
  const [hostA] = hosts as [Host, Host, Host];
  const resourceId = `redis-drill-${tag}`;
  const notes: string[] = [];
  const timeline: Record<string, number> = {};
  const p = o.progress;
  const primary = await startRedis('fs-primary', dir, await freePort());
  const backend: HaproxyBackend = {
    name: 'be_fs',
    frontendPort: await freePort(),
    preamble: ROLE_CHECK,
    servers: [`primary ${primary.address} ${CHECK}`, `spare 127.0.0.1:1 disabled ${CHECK}`],
  };
  const haproxy = await startHaproxy(dir, [backend], 'fs-haproxy');
  const cfgPath = join(dir, 'foreshadow.yaml');
  writeFileSync(
    cfgPath,
    demoRunConfigYaml({
      redisHosts: Object.fromEntries(
        hosts.map((h) => [h.host, { bindAddress: '127.0.0.1', dataRoot: join(dir, 'shadows', h.host) }]),
      ),
      haproxySocket: haproxy.socket,
      haproxyBackends: { [resourceId]: backend.name },
      stateDir: join(dir, 'state'),
      // Per-run application ids: the drill starts at the present and leaves no state to the next run.
      idSuffix: `-drill-${tag}`,
      simulatedKinds: [],
      // The drill runs no API.
      apiPort: 0,
    }),
  );
  const supervisor = new Supervisor(
    dir,
    cfgPath,
    {
      ...process.env,
      KAFKA_BROKERS: conn.brokers.join(','),
      SCHEMA_REGISTRY_URL: conn.registryUrl,
    },
    p,
  );
  const producer: Producer = createKafka(conn, 'foreshadow-drill').producer({
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  const seen: Seen = { states: [], results: [], commands: [] };
  let follower: Consumer | undefined;
  let probe: WriteProbe | undefined;
  let riskTimer: NodeJS.Timeout | undefined;
  try {
    p.step('foreshadow: shadow manager and Redis + HAProxy actuators (child processes)');
    await Promise.all([
      supervisor.start({ name: 'drill-shadows', apps: ['shadow-manager'] }),
      supervisor.start({ name: 'drill-actuators', apps: ['actuators:redis', 'actuators:haproxy'] }),
    ]);
    await producer.connect();
    follower = await follow(conn, resourceId, seen);
    const sd = {
      hosts: avroValueSerdes<Host>(HOSTS_TOPIC),
      deployments: avroValueSerdes<Deployment>(DEPLOYMENTS_TOPIC),
      risk: avroValueSerdes<HostRisk>(RISK_TOPIC),
      failures: avroValueSerdes<HostFailure>(FAILURES_TOPIC),
    };
    for (const h of hosts)
      await producer.send({
        topic: HOSTS_TOPIC,
        messages: [{ key: h.host, value: await sd.hosts.serialize(HOSTS_TOPIC, h) }],
      });
    const deployment: Deployment = {
      resourceId,
      kind: 'redis',
      service: resourceId,
      host: hostA.host,
      region,
      zone: hostA.zone,
      rack: hostA.rack,
      tier: 'CRITICAL',
      config: { 'haproxy.backend': backend.name },
      configRef: 'drill',
      replication: true,
      address: primary.address,
      cpu: 1,
      memoryMb: 256,
      outcome: 'SUCCEEDED',
      deployedAt: Date.now(),
    };
    await producer.send({
      topic: DEPLOYMENTS_TOPIC,
      messages: [{ key: resourceId, value: await sd.deployments.serialize(DEPLOYMENTS_TOPIC, deployment) }],
    });
    // Risk every 500 ms for the three hosts (also their heartbeat); host A degrades on cue.
    let pA = 0.02;
    const publishRisk = async () => {
      const now = Date.now();
      const msgs = await Promise.all(
        hosts.map(async (h) => {
          const mine = h.host === hostA.host;
          const pFail = mine ? pA : 0.01;
          const risk: HostRisk = {
            host: h.host,
            region,
            zone: h.zone,
            timestamp: now,
            horizonMs: 3_600_000,
            pFail,
            level: pFail >= 0.9 ? 'CRITICAL' : pFail >= 0.6 ? 'WARNING' : pFail >= 0.3 ? 'WATCH' : 'OK',
            trend: mine && pA > 0.1 ? 0.5 : 0,
            rising: mine && pA > 0.1,
            deviating: mine && pA > 0.1,
            deviationScore: mine && pA > 0.1 ? 4 : 0.5,
            timeToFailureMs: mine && pA > 0.1 ? 600_000 : null,
            drivers: [{ feature: mine && pA > 0.1 ? 'exhaustion' : 'anomaly', value: pFail, contribution: pFail }],
            modelVersion: 'drill',
          };
          return { key: h.host, value: await sd.risk.serialize(RISK_TOPIC, risk) };
        }),
      );
      await producer.send({ topic: RISK_TOPIC, messages: msgs }).catch(() => undefined);
    };
    riskTimer = setInterval(() => void publishRisk(), 500);
    probe = new WriteProbe({ port: backend.frontendPort, pauseMs: 2, keyPrefix: `fs:${tag}` });
    await probe.start();
    await sleep(o.steadyMs);

    p.event(`foreshadow: ${hostA.host} degrades (pFail rising to 0.85)`);
    timeline.degradeAt = Date.now();
    for (const v of [0.45, 0.7, 0.85]) {
      pA = v;
      await publishRisk();
      await sleep(300);
    }
    await waitFor('the shadow to be READY', async () => seen.states.some((x) => x.s.state === 'READY'), 180_000);
    const ready = seen.states.find((x) => x.s.state === 'READY')!;
    timeline.shadowReadyMs = ready.at - timeline.degradeAt;
    p.event(
      `foreshadow: shadow READY on ${ready.s.shadowHost} (${ready.s.shadowAddress}) ${timeline.shadowReadyMs} ms after the risk rose; lag ${ready.s.lagBytes ?? '?'} B`,
    );
    await sleep(o.steadyMs);
    const shadowPort = Number(ready.s.shadowAddress.split(':')[1]);
    const latest = [...seen.states].reverse().find((x) => x.s.state === 'READY' || x.s.state === 'SYNCING');
    const reportedLagBytes = latest?.s.lagBytes ?? null;
    const measuredLagBytesAtKill = await replicationLag(primary.port, shadowPort);

    const killAt = Date.now();
    timeline.killAt = 0;
    const trace =
      process.env.FORESHADOW_DRILL_TRACE === '1' ? traceHaproxy(haproxy.socket, backend.name, killAt) : undefined;
    primary.child.kill('SIGKILL');
    await primary.exited;
    // The watchdog: the process is gone, the host is reported failed.
    const failure: HostFailure = {
      host: hostA.host,
      region,
      timestamp: Date.now(),
      kind: 'CRASH',
      source: 'drill-watchdog',
      detail: 'redis-server killed (SIGKILL)',
    };
    await producer.send({
      topic: FAILURES_TOPIC,
      acks: -1,
      messages: [{ key: hostA.host, value: await sd.failures.serialize(FAILURES_TOPIC, failure) }],
    });
    timeline.failureRecordedMs = Date.now() - killAt;
    p.event(`foreshadow: primary killed; host.failures recorded after ${timeline.failureRecordedMs} ms`);
    await waitFor('a write to succeed after the kill', async () => probe!.firstWriteAfter(killAt) !== null, 120_000);
    await sleep(o.steadyMs);
    const promoted = seen.results.find(
      (x) => x.r.commandType === 'PROMOTE' && x.r.status === 'SUCCEEDED' && x.at >= killAt,
    );
    const redirected = seen.results.find(
      (x) => x.r.commandType === 'REDIRECT' && x.r.status === 'SUCCEEDED' && x.at >= killAt,
    );
    if (promoted) timeline.promoteResultMs = promoted.at - killAt;
    for (const c of seen.commands.filter((x) => x.at >= killAt)) {
      const k = `${c.c.type.toLowerCase()}CommandMs`;
      if (timeline[k] === undefined) timeline[k] = c.at - killAt;
    }
    for (const r of seen.results.filter((x) => x.at >= killAt)) {
      const k = `${r.r.commandType.toLowerCase()}${r.r.provider}${r.r.status}Ms`;
      if (timeline[k] === undefined) timeline[k] = r.at - killAt;
    }
    if (redirected) timeline.redirectResultMs = redirected.at - killAt;
    const promotedState = seen.states.find((x) => x.s.state === 'PROMOTED' && x.at >= killAt);
    if (promotedState) timeline.promotedStateMs = promotedState.at - killAt;
    await probe.stop();
    if (trace) {
      notes.push(...(await trace.stop()), ...clientErrors(probe, killAt));
    }
    const out = outageAround(probe, killAt);
    const lost = await probe.lostWrites();
    const servedBy = await servingPort(backend.frontendPort);
    if (lost.lost > 0) notes.push(`lost keys e.g. ${lost.lostKeys.slice(0, 3).join(', ')}`);
    return {
      name: 'Foreshadow (predicted shadow, host.failures → promote → redirect)',
      ...out,
      ackedWrites: lost.checked,
      lostAckedWrites: lost.lost,
      reportedLagBytes,
      measuredLagBytesAtKill,
      newPrimaryServing: servedBy === shadowPort,
      timeline,
      notes,
    };
  } finally {
    if (riskTimer) clearInterval(riskTimer);
    if (probe) await probe.stop().catch(() => undefined);
    await follower?.disconnect().catch(() => undefined);
    // Tombstones: the drill's hosts and resource leave the compacted tables, so a demo or another
    // run sharing the broker never sees them again.
    await producer
      .send({
        topic: HOSTS_TOPIC,
        messages: hosts.map((h) => ({ key: h.host, value: null })),
      })
      .then(() => producer.send({ topic: DEPLOYMENTS_TOPIC, messages: [{ key: resourceId, value: null }] }))
      .catch(() => undefined);
    await supervisor.stopAll(10_000);
    await stopDaemons(join(dir, 'shadows'));
    await stopProcess(haproxy);
    await stopProcess(primary);
    await producer.disconnect().catch(() => undefined);
    await deleteRunTopics(conn, `-drill-${tag}`);
    // FORESHADOW_KEEP_DRILL=1 keeps the logs of the pipeline's child processes for a post-mortem.
    if (process.env.FORESHADOW_KEEP_DRILL !== '1') rmSync(dir, { recursive: true, force: true });
    else p.status(`kept ${dir}`);
  }
}

/** The run's internal topics (fleet, changelogs, repartitions) are named after its application ids. */
async function deleteRunTopics(conn: KafkaConnection, suffix: string): Promise<void> {
  const admin = createKafka(conn, 'foreshadow-drill-cleanup').admin();
  await admin.connect();
  try {
    const mine = (await admin.listTopics()).filter((t) => t.includes(suffix));
    if (mine.length > 0) await admin.deleteTopics({ topics: mine });
  } catch {
    // Leftover internal topics are harmless; a failed cleanup must not fail the drill.
  } finally {
    await admin.disconnect();
  }
}

async function servingPort(frontendPort: number): Promise<number | null> {
  try {
    const c = await redisClient(frontendPort);
    try {
      return Number(/tcp_port:(\d+)/.exec(await c.info('server'))?.[1] ?? Number.NaN);
    } finally {
      c.disconnect();
    }
  } catch {
    return null;
  }
}

// ---- Sentinel --------------------------------------------------------------------------------

export async function sentinelCase(o: DrillOptions, downAfterMs: number | null): Promise<CaseResult> {
  const label = downAfterMs === null ? 'sentinel-default' : `sentinel-${downAfterMs}`;
  const dir = casesDir(label);
  const p = o.progress;
  const timeline: Record<string, number> = {};
  const setup = await startSentinelSetup(
    dir,
    label,
    downAfterMs,
    downAfterMs === null ? null : Math.max(2_000, downAfterMs * 3),
  );
  const backend: HaproxyBackend = {
    name: 'be_sentinel',
    frontendPort: await freePort(),
    preamble: ROLE_CHECK,
    servers: [`r1 ${setup.primary.address} ${CHECK}`, `r2 ${setup.replica.address} ${CHECK}`],
  };
  const haproxy = await startHaproxy(dir, [backend], `${label}-haproxy`);
  const probe = new WriteProbe({ port: backend.frontendPort, pauseMs: 2, keyPrefix: `${label}:${Date.now()}` });
  try {
    // HAProxy starts every server UP; the replica is only taken out by its first failed checks.
    let streak = 0;
    await waitFor(
      'HAProxy to route only to the primary',
      async () => {
        streak = (await servingPort(backend.frontendPort)) === setup.primary.port ? streak + 1 : 0;
        return streak >= 10;
      },
      20_000,
    );
    await probe.start();
    await sleep(o.steadyMs);
    const measuredLagBytesAtKill = await replicationLag(setup.primary.port, setup.replica.port);
    const killAt = Date.now();
    const notes: string[] = [];
    const trace =
      process.env.FORESHADOW_DRILL_TRACE === '1' ? traceHaproxy(haproxy.socket, backend.name, killAt) : undefined;
    setup.primary.child.kill('SIGKILL');
    p.event(`${label}: primary killed (down-after-milliseconds ${downAfterMs ?? 'default 30000'})`);
    const s = await redisClient(setup.sentinelPorts[0]!);
    try {
      await waitFor(
        'Sentinel to promote the replica',
        async () => {
          const addr = (await s.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', SENTINEL_MASTER)) as string[];
          return Number(addr[1]) === setup.replica.port;
        },
        (downAfterMs ?? 30_000) + 120_000,
      );
    } finally {
      s.disconnect();
    }
    timeline.sentinelSwitchedMs = Date.now() - killAt;
    await waitFor('a write to succeed after the kill', async () => probe.firstWriteAfter(killAt) !== null, 60_000);
    await sleep(o.steadyMs);
    await probe.stop();
    if (trace) {
      notes.push(...(await trace.stop()), ...clientErrors(probe, killAt));
    }
    const out = outageAround(probe, killAt);
    const lost = await probe.lostWrites();
    const servedBy = await servingPort(backend.frontendPort);
    return {
      name: `Redis Sentinel, down-after-milliseconds ${downAfterMs ?? '30000 (default)'}`,
      ...out,
      ackedWrites: lost.checked,
      lostAckedWrites: lost.lost,
      reportedLagBytes: null,
      measuredLagBytesAtKill,
      newPrimaryServing: servedBy === setup.replica.port,
      timeline,
      notes,
    };
  } finally {
    await probe.stop().catch(() => undefined);
    for (const sp of setup.sentinels) await stopProcess(sp);
    await stopProcess(haproxy);
    await stopProcess(setup.replica);
    await stopProcess(setup.primary);
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface FailoverDrillResult {
  when: string;
  short: boolean;
  cases: CaseResult[];
}

export async function runFailoverDrill(
  conn: KafkaConnection,
  o: DrillOptions,
  short: boolean,
): Promise<FailoverDrillResult> {
  const cases: CaseResult[] = [];
  o.progress.step('case 1/3: Foreshadow');
  cases.push(await foreshadowCase(conn, o));
  o.progress.step(`case 2/3: Sentinel tuned (down-after-milliseconds ${o.tunedDownAfterMs})`);
  cases.push(await sentinelCase(o, o.tunedDownAfterMs));
  if (o.sentinelDefault) {
    o.progress.step('case 3/3: Sentinel with its defaults');
    cases.push(await sentinelCase(o, null));
  }
  return { when: new Date().toISOString(), short, cases };
}

export function failoverTable(r: FailoverDrillResult): string {
  const rows = [
    [
      'case',
      'unavailable (ms)',
      'kill → first write (ms)',
      'acked writes',
      'acked writes lost',
      'lag at kill (B, reported / measured)',
    ],
    ...r.cases.map((c) => [
      c.name,
      String(c.unavailabilityMs ?? 'n/a'),
      String(c.killToFirstWriteMs ?? 'n/a'),
      String(c.ackedWrites),
      String(c.lostAckedWrites),
      `${c.reportedLagBytes ?? '-'} / ${c.measuredLagBytesAtKill ?? '-'}`,
    ]),
  ];
  return [
    `| ${rows[0]!.join(' | ')} |`,
    `| ${rows[0]!.map(() => '---').join(' | ')} |`,
    ...rows.slice(1).map((row) => `| ${row.join(' | ')} |`),
  ].join('\n');
}

/**
 * FORESHADOW_DRILL_TRACE=1: HAProxy's view of the backend every 10 ms from the kill, as a list of
 * transitions ("+ms server addr op/admin"), to see where a failover's time goes.
 */
function traceHaproxy(socket: string, backend: string, since: number): { stop(): Promise<string[]> } {
  const api = new HaproxyRuntimeApi(socket, 1_000);
  const seen = new Map<string, string>();
  const lines: string[] = [];
  let running = true;
  const loop = (async () => {
    while (running && Date.now() - since < 5_000) {
      try {
        for (const s of await api.serversState(backend)) {
          const v = `${s.address}:${s.port} op=${s.opState} admin=${s.adminState}`;
          if (seen.get(s.name) !== v) {
            seen.set(s.name, v);
            lines.push(`haproxy +${Date.now() - since} ms ${s.name} ${v}`);
          }
        }
      } catch (err: unknown) {
        lines.push(`haproxy +${Date.now() - since} ms: ${err instanceof Error ? err.message : err}`);
      }
      await sleep(10);
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return lines;
    },
  };
}

/** The client's failed ops after a kill, grouped by error message (with FORESHADOW_DRILL_TRACE=1). */
function clientErrors(probe: WriteProbe, killAt: number): string[] {
  const errors = new Map<string, { first: number; last: number; n: number }>();
  for (const op of probe.ops) {
    if (op.ok || op.t < killAt - 50) continue;
    const e = errors.get(op.error ?? '?') ?? { first: op.t - killAt, last: 0, n: 0 };
    e.last = op.t - killAt;
    e.n++;
    errors.set(op.error ?? '?', e);
  }
  const events = probe.connectionEvents
    .filter((e) => e.t >= killAt - 50)
    .slice(0, 40)
    .map((e) => `${e.event}@${e.t - killAt}`);
  return [
    ...[...errors].map(([msg, e]) => `client: ${e.n}× "${msg}" from +${e.first} to +${e.last} ms`),
    `client connection: ${events.join(' ')}`,
  ];
}

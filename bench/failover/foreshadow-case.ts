/**
 * Foreshadow's side of the failover drill, through the production path and detecting on its own.
 *
 * Started once for the whole run (`ForeshadowPipeline.start`), as child processes: the shadow
 * manager, the Redis and HAProxy actuators, the quorum judge (`foreshadow detect judge`) and two
 * probers (`foreshadow detect probe`, vantages drill-a and drill-b, probing only this run's
 * resources: `probe.group`). One HAProxy carries a backend per trial (its primary's port is chosen
 * up front), so the actuators know every host and backend from the start.
 *
 * Each trial (`trial`) is a fresh resource on fresh hosts: its primary starts, the drill writes its
 * host's rising risk (the prediction is failure-risk's business; the drill measures the failover),
 * the shadow is placed in another zone and syncs, both probers see the primary answer, then
 *  1. false positive: the primary is paused (SIGSTOP) for less than down-after and woken; any
 *     host.failures record or PROMOTE for it in the watch window is a failover that should not
 *     have happened;
 *  2. the primary is SIGKILLed and nothing else is done: the probers see it refuse, the judge
 *     publishes host.failures on a quorum, the manager fences and promotes, redirecting HAProxy
 *     with the promotion (failover.earlyRedirect: HAProxy's role check lets clients in once the
 *     shadow answers as primary, as in Sentinel's case), then once more after the PROMOTE result.
 * The probe interval and down-after are the resource's own (deployment config), as a user tunes
 * them per resource.
 */

import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Consumer, Partitioners, type Producer } from 'kafkajs';
import { WriteProbe } from '../../demo/client-load.js';
import { demoRunConfigYaml } from '../../demo/demo-config.js';
import type { Progress } from '../../demo/progress.js';
import {
  freePort,
  type Haproxy,
  type HaproxyBackend,
  type ManagedProcess,
  type RedisServer,
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
import type { ResourceProbe } from '../../schemas/records/resource-probe.js';
import type { ShadowCommand } from '../../schemas/records/shadow-command.js';
import type { ShadowState } from '../../schemas/records/shadow-state.js';
import {
  ACTUATION_RESULTS_TOPIC,
  DEPLOYMENTS_TOPIC,
  FAILURES_TOPIC,
  HOSTS_TOPIC,
  PROBES_TOPIC,
  RISK_TOPIC,
  SHADOW_COMMANDS_TOPIC,
  SHADOW_STATE_TOPIC,
} from '../../streams/catalogue.js';
import { EARLY_REDIRECT_CONFIG, isEarlyRedirectId } from '../../streams/processors/shadow-manager/host-failover.js';
import type { KafkaConnection } from '../../streams/runtime/config.js';
import { createKafka } from '../../streams/runtime/kafka-client.js';
import { avroSerde } from '../../streams/runtime/serdes.js';
import { avroValueSerdes } from '../../streams/topic-serdes.js';
import {
  killTrial,
  lostWrites,
  outageAround,
  replicationLag,
  servingPort,
  waitForRecovery,
  watchPromotion,
} from './measure.js';
import { clientErrors, traceHaproxy } from './trace.js';
import type { DetectionSettings, FalsePositiveTrial, Trial } from './types.js';

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

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CLI = join(ROOT, 'cli', 'foreshadow.ts');
const REGION = 'drill';
export const VANTAGES = ['drill-a', 'drill-b'] as const;

/** One trial's fixed parts, known before the pipeline starts. */
interface Slot {
  tag: string;
  hosts: [Host, Host, Host];
  resourceId: string;
  primaryPort: number;
  backend: HaproxyBackend;
}

interface Seen {
  states: { at: number; s: ShadowState }[];
  results: { at: number; r: ActuationResult }[];
  commands: { at: number; c: ShadowCommand }[];
  failures: { at: number; f: HostFailure }[];
  probes: { at: number; p: ResourceProbe }[];
}

const emptySeen = (): Seen => ({ states: [], results: [], commands: [], failures: [], probes: [] });

function makeSlot(primaryPort: number, frontendPort: number): Slot {
  const tag = randomBytes(3).toString('hex');
  const host = (z: string, i: number): Host => ({
    host: `drill-${tag}-${z}`,
    region: REGION,
    zone: `${REGION}-${z}`,
    rack: `r${i}`,
    address: '127.0.0.1',
    cpuCores: 8,
    memoryMb: 16_384,
    state: 'UP',
    labels: { drill: tag },
    updatedAt: Date.now(),
  });
  return {
    tag,
    hosts: [host('a', 0), host('b', 1), host('c', 2)],
    resourceId: `redis-drill-${tag}`,
    primaryPort,
    backend: {
      name: `be_${tag}`,
      frontendPort,
      preamble: ROLE_CHECK,
      // The primary starts with its trial: until then HAProxy sees it down, like any dead server.
      servers: [`primary 127.0.0.1:${primaryPort} ${CHECK}`, `spare 127.0.0.1:1 disabled ${CHECK}`],
    },
  };
}

/** `foreshadow detect ...` as a child process from the repository root, its output in `<dir>/<name>.log`. */
function spawnDetect(name: string, args: string[], dir: string): ManagedProcess {
  const log = join(dir, `${name}.log`);
  const out = openSync(log, 'w');
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, 'detect', ...args], {
    cwd: ROOT,
    stdio: ['ignore', out, out],
  });
  closeSync(out);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { name, child, exited };
}

export class ForeshadowPipeline {
  private readonly seen = new Map<string, Seen>();
  private readonly free: Slot[];
  private readonly helpers: ManagedProcess[] = [];
  private follower: Consumer | undefined;
  private producer: Producer | undefined;
  private supervisor: Supervisor | undefined;
  private haproxy: Haproxy | undefined;

  private constructor(
    private readonly conn: KafkaConnection,
    readonly dir: string,
    readonly runTag: string,
    slots: Slot[],
    private readonly progress: Progress,
  ) {
    this.free = [...slots];
  }

  /** Starts everything for `trials` trials (one slot each). */
  static async start(
    conn: KafkaConnection,
    dir: string,
    trials: number,
    progress: Progress,
  ): Promise<ForeshadowPipeline> {
    const runTag = randomBytes(3).toString('hex');
    const slots: Slot[] = [];
    for (let i = 0; i < trials; i++) slots.push(makeSlot(await freePort(), await freePort()));
    const p = new ForeshadowPipeline(conn, dir, runTag, slots, progress);
    try {
      await p.boot();
    } catch (err: unknown) {
      await p.stop();
      throw err;
    }
    return p;
  }

  private async boot(): Promise<void> {
    const { conn, dir, runTag } = this;
    const slots = this.free;
    this.haproxy = await startHaproxy(
      dir,
      slots.map((s) => s.backend),
      'fs-haproxy',
    );
    const cfgPath = join(dir, 'foreshadow.yaml');
    writeFileSync(
      cfgPath,
      demoRunConfigYaml({
        redisHosts: Object.fromEntries(
          slots
            .flatMap((s) => s.hosts)
            .map((h) => [h.host, { bindAddress: '127.0.0.1', dataRoot: join(dir, 'shadows', h.host) }]),
        ),
        haproxySocket: this.haproxy.socket,
        haproxyBackends: Object.fromEntries(slots.map((s) => [s.resourceId, s.backend.name])),
        stateDir: join(dir, 'state'),
        // Per-run application ids: the drill starts at the present and leaves no state to the next run.
        idSuffix: `-drill-${runTag}`,
        simulatedKinds: [],
        // The drill runs no API.
        apiPort: 0,
      }),
    );
    const env = {
      ...process.env,
      KAFKA_BROKERS: conn.brokers.join(','),
      SCHEMA_REGISTRY_URL: conn.registryUrl,
    };
    this.supervisor = new Supervisor(dir, cfgPath, env, this.progress);
    this.progress.step('foreshadow: shadow manager, Redis + HAProxy actuators, quorum judge, two probers');
    const judgeId = `foreshadow-failure-detector-drill-${runTag}`;
    mkdirSync(join(dir, 'judge'), { recursive: true });
    const cli = (name: string, args: string[]): ManagedProcess => {
      const p = spawnDetect(name, args, dir);
      this.helpers.push(p);
      return p;
    };
    const detectors = [
      cli('judge', [
        'judge',
        '--quorum',
        '2',
        '--application-id',
        judgeId,
        // Outputs leave at commit: every hop on the failover path commits per batch.
        '--commit-interval-ms',
        '10',
        '--state-dir',
        join(dir, 'judge'),
        // Probes of other runs may be on the topic: judge what happens from now on.
        '--start-at',
        'latest',
      ]),
      ...VANTAGES.map((v) => cli(`prober-${v}`, ['probe', '--vantage', v, '--group', runTag])),
    ];
    await Promise.all([
      this.supervisor.start({ name: 'drill-shadows', apps: ['shadow-manager'] }),
      this.supervisor.start({ name: 'drill-actuators', apps: ['actuators:redis', 'actuators:haproxy'] }),
      ...detectors.map((d) => waitForReady(d, join(dir, `${d.name}.log`))),
    ]);
    this.producer = createKafka(conn, 'foreshadow-drill').producer({
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    await this.producer.connect();
    this.follower = await this.follow();
  }

  /** The probers' processes (a prober is what the false-positive case must not be fooled by). */
  get probers(): ManagedProcess[] {
    return this.helpers.filter((h) => h.name.startsWith('prober-'));
  }

  private async follow(): Promise<Consumer> {
    const serde = avroSerde<unknown>();
    const consumer = createKafka(this.conn, 'foreshadow-drill-follow').consumer({
      groupId: `foreshadow-drill-follow-${this.runTag}`,
      readUncommitted: false,
      maxWaitTimeInMs: 50,
    });
    await consumer.connect();
    await consumer.subscribe({
      topics: [SHADOW_STATE_TOPIC, ACTUATION_RESULTS_TOPIC, SHADOW_COMMANDS_TOPIC, FAILURES_TOPIC, PROBES_TOPIC],
      fromBeginning: false,
    });
    let joined: () => void = () => {};
    const ready = new Promise<void>((r) => {
      joined = r;
    });
    consumer.on(consumer.events.GROUP_JOIN, () => joined());
    await consumer.run({
      partitionsConsumedConcurrently: 3,
      eachMessage: async ({ topic, message }) => {
        if (message.value === null) return;
        const at = Date.now();
        const key = message.key?.toString() ?? '';
        if (topic === FAILURES_TOPIC) {
          if (!key.startsWith('drill-')) return;
          const f = (await serde.deserialize(topic, message.value)) as HostFailure;
          const rid = f.resourceId || this.resourceOfHost(f.host);
          if (rid) this.seenOf(rid).failures.push({ at, f });
          return;
        }
        if (!this.seen.has(key)) return;
        const v = await serde.deserialize(topic, message.value);
        const s = this.seenOf(key);
        if (topic === SHADOW_STATE_TOPIC) s.states.push({ at, s: v as ShadowState });
        else if (topic === SHADOW_COMMANDS_TOPIC) s.commands.push({ at, c: v as ShadowCommand });
        else if (topic === PROBES_TOPIC) s.probes.push({ at, p: v as ResourceProbe });
        else s.results.push({ at, r: v as ActuationResult });
      },
    });
    await ready;
    return consumer;
  }

  private readonly hostToResource = new Map<string, string>();
  private resourceOfHost(host: string): string | undefined {
    return this.hostToResource.get(host);
  }

  private seenOf(resourceId: string): Seen {
    let s = this.seen.get(resourceId);
    if (!s) {
      s = emptySeen();
      this.seen.set(resourceId, s);
    }
    return s;
  }

  async trial(settings: DetectionSettings, o: { steadyMs: number; pauseShare: number }): Promise<Trial> {
    const slot = this.free.shift();
    if (!slot) throw new Error('no trial slot left: the pipeline was started for fewer trials');
    const { producer, progress: p } = this;
    const [hostA] = slot.hosts;
    const seen = this.seenOf(slot.resourceId);
    for (const h of slot.hosts) this.hostToResource.set(h.host, slot.resourceId);
    const sd = {
      hosts: avroValueSerdes<Host>(HOSTS_TOPIC),
      deployments: avroValueSerdes<Deployment>(DEPLOYMENTS_TOPIC),
      risk: avroValueSerdes<HostRisk>(RISK_TOPIC),
    };
    let primary: RedisServer | undefined;
    let probe: WriteProbe | undefined;
    let riskTimer: NodeJS.Timeout | undefined;
    try {
      primary = await startRedis(`fs-primary-${slot.tag}`, this.dir, slot.primaryPort);
      for (const h of slot.hosts)
        await producer!.send({
          topic: HOSTS_TOPIC,
          messages: [{ key: h.host, value: await sd.hosts.serialize(HOSTS_TOPIC, { ...h, updatedAt: Date.now() }) }],
        });
      const deployment: Deployment = {
        resourceId: slot.resourceId,
        kind: 'redis',
        service: slot.resourceId,
        host: hostA.host,
        region: REGION,
        zone: hostA.zone,
        rack: hostA.rack,
        tier: 'CRITICAL',
        config: {
          'haproxy.backend': slot.backend.name,
          'probe.group': this.runTag,
          'probe.intervalMs': String(settings.probeIntervalMs),
          'probe.downAfterMs': String(settings.downAfterMs),
          // HAProxy's ROLE_CHECK only sends clients to a primary (the check Sentinel's case relies on
          // to follow its promotion), so the manager may redirect with the promotion.
          [EARLY_REDIRECT_CONFIG]: 'true',
        },
        configRef: 'drill',
        replication: true,
        address: primary.address,
        cpu: 1,
        memoryMb: 256,
        outcome: 'SUCCEEDED',
        deployedAt: Date.now(),
      };
      await producer!.send({
        topic: DEPLOYMENTS_TOPIC,
        messages: [{ key: slot.resourceId, value: await sd.deployments.serialize(DEPLOYMENTS_TOPIC, deployment) }],
      });
      // Risk every 500 ms for the three hosts (also their heartbeat); host A degrades on cue.
      let pA = 0.02;
      const publishRisk = async () => {
        const now = Date.now();
        const msgs = await Promise.all(
          slot.hosts.map(async (h) => {
            const mine = h.host === hostA.host;
            const pFail = mine ? pA : 0.01;
            const up = mine && pA > 0.1;
            const risk: HostRisk = {
              host: h.host,
              region: REGION,
              zone: h.zone,
              timestamp: now,
              horizonMs: 3_600_000,
              pFail,
              level: pFail >= 0.9 ? 'CRITICAL' : pFail >= 0.6 ? 'WARNING' : pFail >= 0.3 ? 'WATCH' : 'OK',
              trend: up ? 0.5 : 0,
              rising: up,
              deviating: up,
              deviationScore: up ? 4 : 0.5,
              timeToFailureMs: up ? 600_000 : null,
              drivers: [{ feature: up ? 'exhaustion' : 'anomaly', value: pFail, contribution: pFail }],
              modelVersion: 'drill',
            };
            return { key: h.host, value: await sd.risk.serialize(RISK_TOPIC, risk) };
          }),
        );
        await producer!.send({ topic: RISK_TOPIC, messages: msgs }).catch(() => undefined);
      };
      riskTimer = setInterval(() => void publishRisk(), 500);
      await waitFor(
        'HAProxy to route to the primary',
        async () => (await servingPort(slot.backend.frontendPort)) === slot.primaryPort,
        20_000,
      );
      probe = new WriteProbe({ port: slot.backend.frontendPort, pauseMs: 2, keyPrefix: `fs:${slot.tag}` });
      await probe.start();
      const timeline: Record<string, number> = {};
      const degradeAt = Date.now();
      for (const v of [0.45, 0.7, 0.85]) {
        pA = v;
        await publishRisk();
        await sleep(300);
      }
      await waitFor('the shadow to be READY', async () => seen.states.some((x) => x.s.state === 'READY'), 180_000);
      const ready = seen.states.find((x) => x.s.state === 'READY')!;
      timeline.shadowReadyMs = ready.at - degradeAt;
      const since = Date.now();
      await waitFor(
        'both probers to see the primary answer',
        async () =>
          VANTAGES.every((v) => seen.probes.some((x) => x.at >= since && x.p.vantage === v && x.p.outcome === 'OK')),
        30_000,
      );
      p.event(
        `foreshadow ${slot.tag}: shadow READY on ${ready.s.shadowHost} after ${timeline.shadowReadyMs} ms; probed every ${settings.probeIntervalMs} ms, down after ${settings.downAfterMs} ms`,
      );
      await sleep(o.steadyMs);

      // 1. False positive: a pause shorter than down-after.
      const falsePositive = await this.pause(primary, probe, seen, settings, o.pauseShare);
      p.event(
        `foreshadow ${slot.tag}: paused ${falsePositive.pauseMs} ms → ${falsePositive.failovers} failover(s), ${falsePositive.failuresDeclared} failure(s) declared`,
      );
      if (falsePositive.failovers > 0) return { falsePositive, kill: null };
      await sleep(o.steadyMs);

      // 2. The kill, detected by Foreshadow's own probes.
      const shadowPort = Number(ready.s.shadowAddress.split(':')[1]);
      const latest = [...seen.states].reverse().find((x) => x.s.state === 'READY' || x.s.state === 'SYNCING');
      const reportedLagBytes = latest?.s.lagBytes ?? null;
      const measuredLagBytesAtKill = await replicationLag(primary.port, shadowPort);
      const promotion = await watchPromotion(shadowPort);
      const killAt = Date.now();
      const trace =
        process.env.FORESHADOW_DRILL_TRACE === '1'
          ? traceHaproxy(this.haproxy!.socket, slot.backend.name, killAt)
          : undefined;
      primary.child.kill('SIGKILL');
      await primary.exited;
      await waitForRecovery(probe, slot.backend.frontendPort, shadowPort, 120_000);
      await sleep(o.steadyMs);
      await probe.stop();
      const promotedAt = await promotion.stop();
      const notes: string[] = [];
      if (trace) notes.push(...(await trace.stop()), ...clientErrors(probe, killAt));
      const after = <T extends { at: number }>(xs: T[]) => xs.filter((x) => x.at >= killAt);
      const failure = after(seen.failures)[0];
      if (failure) {
        timeline.detectedMs = failure.at - killAt;
        notes.push(`declared: ${failure.f.detail}`);
      }
      // The REDIRECT sent with the PROMOTE (early) and the plan's REDIRECT after its result, apart.
      const early = isEarlyRedirectId;
      for (const c of after(seen.commands)) {
        const k = `${early(c.c.commandId) ? 'early' : ''}${c.c.type.toLowerCase()}CommandMs`;
        if (timeline[k] === undefined) timeline[k] = c.at - killAt;
      }
      const done = (type: string, earlyOne = false) =>
        after(seen.results).find(
          (x) => x.r.commandType === type && x.r.status === 'SUCCEEDED' && early(x.r.commandId) === earlyOne,
        );
      const promoted = done('PROMOTE');
      const redirected = done('REDIRECT');
      const redirectedEarly = done('REDIRECT', true);
      if (redirectedEarly) timeline.earlyRedirectResultMs = redirectedEarly.at - killAt;
      // Promoted: the shadow answering as the primary; the actuator's result is read back later.
      if (promotedAt !== null) timeline.promotedMs = promotedAt - killAt;
      if (promoted) timeline.promoteResultMs = promoted.at - killAt;
      if (redirected) timeline.redirectedMs = timeline.redirectResultMs = redirected.at - killAt;
      const out = outageAround(probe, killAt);
      if (out.faultToFirstWriteMs !== null) timeline.firstWriteMs = out.faultToFirstWriteMs;
      // On a shared stack another shadow manager (a demo, another drill) reads the same tables and
      // may act on this trial's resource too: say so rather than let it pass unseen.
      const ours = new Set(slot.hosts.map((h) => h.host));
      const foreign = seen.commands.filter((c) => c.c.targetHost !== '' && !ours.has(c.c.targetHost));
      if (foreign.length > 0)
        notes.push(
          `interference: ${foreign.length} command(s) for this resource from another shadow manager (${[...new Set(foreign.map((c) => `${c.c.type}→${c.c.targetHost}`))].join(', ')})`,
        );
      const kill = killTrial(out, await lostWrites(probe, reportedLagBytes), {
        reportedLagBytes,
        measuredLagBytesAtKill,
        newPrimaryServing: (await servingPort(slot.backend.frontendPort)) === shadowPort,
        timeline,
        notes,
      });
      p.event(
        `foreshadow ${slot.tag}: killed → declared ${timeline.detectedMs ?? '?'} ms, promoted ${timeline.promotedMs ?? '?'} ms, redirected ${timeline.redirectedMs ?? '?'} ms, first write ${timeline.firstWriteMs ?? '?'} ms; unavailable ${kill.unavailabilityMs} ms`,
      );
      return { falsePositive, kill };
    } finally {
      if (riskTimer) clearInterval(riskTimer);
      if (probe) await probe.stop().catch(() => undefined);
      // Tombstones: the trial's hosts and resource leave the compacted tables, so a demo or another
      // run sharing the broker never sees them again (and the probers stop probing them).
      await producer!
        .send({ topic: HOSTS_TOPIC, messages: slot.hosts.map((h) => ({ key: h.host, value: null })) })
        .then(() => producer!.send({ topic: DEPLOYMENTS_TOPIC, messages: [{ key: slot.resourceId, value: null }] }))
        .catch(() => undefined);
      for (const h of slot.hosts) await stopDaemons(join(this.dir, 'shadows', h.host));
      if (primary) await stopProcess(primary);
    }
  }

  /** SIGSTOP the primary for a share of down-after, SIGCONT, and watch for failovers. */
  private async pause(
    primary: RedisServer,
    probe: WriteProbe,
    seen: Seen,
    settings: DetectionSettings,
    share: number,
  ): Promise<FalsePositiveTrial> {
    const pauseMs = Math.round(settings.downAfterMs * share);
    const watchedMs = pauseMs + 2 * settings.downAfterMs + 3_000;
    const at = Date.now();
    primary.child.kill('SIGSTOP');
    await sleep(pauseMs);
    primary.child.kill('SIGCONT');
    await sleep(watchedMs - (Date.now() - at));
    const window = <T extends { at: number }>(xs: T[]) => xs.filter((x) => x.at >= at);
    return {
      pauseMs,
      watchedMs,
      failovers: window(seen.commands).filter((x) => x.c.type === 'PROMOTE').length,
      failuresDeclared: window(seen.failures).length,
      clientOutageMs: outageAround(probe, at).unavailabilityMs,
    };
  }

  async stop(): Promise<void> {
    await this.follower?.disconnect().catch(() => undefined);
    for (const h of [...this.helpers].reverse()) {
      h.child.kill('SIGCONT');
      await stopProcess(h, 10_000);
    }
    await this.supervisor?.stopAll(10_000);
    await stopDaemons(join(this.dir, 'shadows'));
    if (this.haproxy) await stopProcess(this.haproxy);
    await this.producer?.disconnect().catch(() => undefined);
  }
}

/** A detect process is ready once it printed its `{"msg":"ready"}` line (or it died). */
async function waitForReady(p: ManagedProcess, log: string): Promise<void> {
  let exited = false;
  void p.exited.then(() => {
    exited = true;
  });
  await waitFor(
    `${p.name} to be ready`,
    async () => {
      if (exited) throw new Error(`${p.name} exited: ${existsSync(log) ? readFileSync(log, 'utf8').slice(-2000) : ''}`);
      return existsSync(log) && readFileSync(log, 'utf8').includes('"msg":"ready"');
    },
    180_000,
  );
}

/**
 * The safety controls on the real stack, sharing one set-up: Kafka, the shadow manager (act mode)
 * and the failover orchestrator as StreamsApps reading one operator.requests topic (3 partitions),
 * the HTTP API (Kafka publisher, read model fed from the processors' topics, listening on
 * loopback) and the `foreshadow pause|resume` commands talking to it; a second shadow manager in
 * advise mode whose commands go to the real Redis actuator (ActuatorConsumer + RedisProvider, a
 * real redis-server primary). JSON values, so no registry; every topic and id is this run's own.
 *
 *   pause        CLI pause → held shadow (no CREATE) and suppressed region failovers on every
 *                partition; CLI resume → the shadow is created; audit.api has both calls
 *   maintenance  a host in its window gets no shadow and no failover; after it, both happen
 *   approval     FAILED region → PENDING_APPROVAL, nothing launched; approve → commands flow
 *   advise       recommendations on shadow.commands; the Redis actuator does nothing with them,
 *                while the same CREATE without the flag makes a real replica
 */
import { randomUUID } from 'node:crypto';
import { mkdir, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { hashToken, parseTokens } from '../../api/auth.js';
import { KafkaPublisher } from '../../api/publisher.js';
import { FleetReadModel } from '../../api/read-model.js';
import { type ReadModelFeed, startReadModelFeed } from '../../api/read-model-feed.js';
import { buildApiServer } from '../../api/server.js';
import { command as pauseCommand } from '../../cli/commands/pause.js';
import { command as resumeCommand } from '../../cli/commands/resume.js';
import type { ActuationResult } from '../../schemas/records/actuation-result.js';
import type { ApiAudit } from '../../schemas/records/api-audit.js';
import type { ControlState } from '../../schemas/records/control-state.js';
import type { FailoverCommand } from '../../schemas/records/failover-command.js';
import type { FailoverEvent } from '../../schemas/records/failover-event.js';
import type { RegionFailoverStatus } from '../../schemas/records/region-failover-status.js';
import type { RegionHealth } from '../../schemas/records/region-health.js';
import type { ShadowCommand } from '../../schemas/records/shadow-command.js';
import type { ShadowState } from '../../schemas/records/shadow-state.js';
import { jsonCodec } from '../../sinks/framework/codec.js';
import { ActuatorConsumer } from '../../sinks/framework/consumer.js';
import { KafkaLedger, ledgerKey } from '../../sinks/framework/ledger.js';
import { RedisProvider } from '../../sinks/redis/redis-provider.js';
import { ShadowPortAssigner } from '../../sinks/redis/shadow-ports.js';
import { startFailoverOrchestrator } from '../../streams/processors/failover-orchestrator/app.js';
import type { RegionTopics } from '../../streams/processors/failover-orchestrator/topology.js';
import { type RunningApps, startShadowManager } from '../../streams/processors/shadow-manager/app.js';
import { DEFAULT_SHADOW_TOPICS, type ShadowTopics } from '../../streams/processors/shadow-manager/topology.js';
import type { KafkaConnection } from '../../streams/runtime/config.js';
import type { StreamsApp } from '../../streams/runtime/streams-app.js';
import { jsonValueSerdes } from '../../streams/topic-serdes.js';
import { blueprint, deployment, host, risk, SimulatedProvider } from '../processors/shadow-manager/fixtures.js';
import { ProviderRunner } from '../processors/shadow-manager/provider-runner.js';
import { freePort, Program, redisTestClient, removeDir, tempDir, waitFor } from '../sinks/support.js';
import {
  brokers,
  type ConsumedMessage,
  consumeUntil,
  createTopics,
  deleteTopics,
  testKafka,
  uniqueName,
  withAdmin,
} from '../support/kafka.js';

const run = randomUUID().slice(0, 8);
const topic = (name: string): string => uniqueName(`sc-${name}`);

// Act-mode manager and orchestrator: one requests, results and events topic, as in production.
const shared = { requests: topic('requests'), results: topic('results'), events: topic('events') };
const act: ShadowTopics = {
  ...shared,
  risk: topic('risk'),
  hosts: topic('hosts'),
  deployments: topic('deployments'),
  failures: topic('failures'),
  commands: topic('shadow-commands'),
  state: topic('shadow-state'),
  controls: topic('control-state'),
};
const region: RegionTopics = {
  ...shared,
  blueprints: topic('blueprints'),
  health: topic('health'),
  commands: topic('failover-commands'),
  statuses: topic('region-failovers'),
};
// The advising manager: a fleet of its own, its commands read by the Redis actuator.
const advise = Object.fromEntries(
  Object.keys(DEFAULT_SHADOW_TOPICS).map((k) => [k, topic(`adv-${k}`)]),
) as unknown as ShadowTopics;
const auditTopic = topic('audit');
const ledgerTopic = topic('ledger');
const ids = { act: `test-sc-act-${run}`, advise: `test-sc-adv-${run}`, fo: `test-sc-fo-${run}` };

const OPERATOR = `op-${randomUUID()}`;
const tokens = parseTokens(`alice:operate:${hashToken(OPERATOR)}`);
const operate = { authorization: `Bearer ${OPERATOR}` };

let dir = '';
let conn: KafkaConnection;
let producer: Producer;
let actApps: RunningApps | undefined;
let adviseApps: RunningApps | undefined;
let orchestrator: StreamsApp | undefined;
let runner: ProviderRunner | undefined;
let api: FastifyInstance | undefined;
let apiUrl = '';
let publisher: KafkaPublisher | undefined;
let feed: ReadModelFeed | undefined;
const model = new FleetReadModel();
let primary: Program | undefined;
let primaryPort = 0;
let ledger: KafkaLedger | undefined;
let actuator: ActuatorConsumer | undefined;
const savedToken = process.env.FORESHADOW_API_TOKEN;

const values = <T>(msgs: ConsumedMessage[]): T[] =>
  msgs.filter((m) => m.message.value).map((m) => JSON.parse(m.message.value!.toString()) as T);
const latest = <T extends { resourceId: string }>(msgs: ConsumedMessage[]): Map<string, T> =>
  new Map(values<T>(msgs).map((s) => [s.resourceId, s]));

/** `foreshadow_decisions_total{topic, decision, outcome}` summed over the apps' own registries. */
async function decisions(
  apps: readonly StreamsApp[],
  topic: string,
  decision: string,
  outcome: string,
): Promise<number> {
  let n = 0;
  for (const app of apps) {
    const metric = await app.metrics.registry.getSingleMetric('foreshadow_decisions_total')?.get();
    for (const v of metric?.values ?? [])
      if (v.labels.topic === topic && v.labels.decision === decision && v.labels.outcome === outcome) n += v.value;
  }
  return n;
}

/** Waits until the committed decisions counted on /metrics reach `atLeast` (counted after the commit). */
const counted = (apps: readonly StreamsApp[], topic: string, decision: string, outcome: string, atLeast = 1) =>
  waitFor(`${decision} ${outcome} on ${topic}`, async () => {
    const n = await decisions(apps, topic, decision, outcome);
    return n >= atLeast ? n : undefined;
  });

async function send(t: string, key: string, value: unknown): Promise<number> {
  const [meta] = await producer.send({ topic: t, messages: [{ key, value: JSON.stringify(value) }] });
  return meta!.partition;
}

/** Waits for a record, then reads on for `quietMs` to prove nothing else came. */
async function nothingFor<T>(t: string, pred: (v: T) => boolean, quietMs: number): Promise<T[]> {
  return values<T>(await consumeUntil(t, () => false, quietMs)).filter(pred);
}

function regionHealth(name: string, status: RegionHealth['status']): RegionHealth {
  return {
    region: name,
    timestamp: Date.now(),
    status,
    hostCount: 10,
    hostsAtRisk: 0,
    hostsFailed: status === 'FAILED' ? 7 : 0,
    meanPFail: 0.1,
    reasons: status === 'FAILED' ? ['7/10 hosts failed (70% >= 50%)'] : [],
  };
}

beforeAll(async () => {
  dir = await tempDir('safety-it');
  conn = {
    brokers: brokers(),
    clientId: `test-sc-${run}`,
    registryUrl: 'http://127.0.0.1:1',
    connectUrl: 'http://127.0.0.1:1',
    stateDir: dir,
  };
  const all = [...new Set([...Object.values(act), ...Object.values(region), ...Object.values(advise)])];
  await createTopics([
    ...all.map((t) => ({ topic: t, numPartitions: t === advise.results ? 1 : 3 })),
    { topic: auditTopic, numPartitions: 1 },
    { topic: `${advise.commands}.dlq`, numPartitions: 1 },
  ]);
  producer = testKafka().producer();
  await producer.connect();

  // A real Redis primary for the advising manager's resource.
  primaryPort = await freePort();
  primary = new Program('redis-server', [
    '--port',
    String(primaryPort),
    '--bind',
    '127.0.0.1',
    '--save',
    '',
    '--appendonly',
    'no',
    '--dir',
    dir,
  ]);
  const db = redisTestClient(primaryPort, '');
  await waitFor('primary redis', async () => db.connect().then(() => true));
  db.disconnect();
  const hosts = { 'host-b': { bindAddress: '127.0.0.1', dataRoot: join(dir, 'host-b') } };
  await mkdir(hosts['host-b'].dataRoot, { recursive: true });
  const kafka = testKafka(`test-sc-actuator-${run}`);
  ledger = new KafkaLedger(kafka, { topic: ledgerTopic, partitions: 1 });
  await ledger.open();
  actuator = new ActuatorConsumer({
    kafka,
    provider: new ShadowPortAssigner(new RedisProvider({ hosts, syncTimeoutMs: 20_000 }), hosts),
    codec: jsonCodec(),
    ledger,
    shadowTopic: advise.commands,
    failoverTopic: '',
    resultsTopic: advise.results,
    groupId: `test-sc-actuator-${run}`,
    fromBeginning: true,
  });

  const manager = { heartbeatIntervalMs: 3_600_000, tickMs: 200, createBurst: 10 };
  runner = new ProviderRunner(new SimulatedProvider(), {
    commandTopics: [act.commands, region.commands],
    resultsTopic: shared.results,
    delayMs: () => 50,
  });
  [actApps, adviseApps, orchestrator] = await Promise.all([
    startShadowManager({
      applicationId: ids.act,
      topics: act,
      serdes: jsonValueSerdes,
      connection: conn,
      stateDir: join(dir, 'act'),
      partitionsOf: () => 3,
      manager,
    }),
    startShadowManager({
      applicationId: ids.advise,
      topics: advise,
      serdes: jsonValueSerdes,
      connection: conn,
      stateDir: join(dir, 'advise'),
      partitionsOf: (input) => (input === 'results' ? 1 : 3),
      manager: { ...manager, mode: 'advise' },
    }),
    startFailoverOrchestrator({
      applicationId: ids.fo,
      topics: region,
      serdes: jsonValueSerdes,
      connection: conn,
      stateDir: join(dir, 'fo'),
      orchestrator: { tickMs: 200 },
    }),
    runner.start(),
    actuator.start(),
  ]);

  publisher = new KafkaPublisher(conn, { requestsTopic: shared.requests, auditTopic, format: 'json' });
  feed = await startReadModelFeed(model, conn, {
    format: 'json',
    topics: {
      hosts: act.hosts,
      deployments: act.deployments,
      risk: act.risk,
      shadows: advise.state,
      blueprints: region.blueprints,
      regionHealth: region.health,
      controls: act.controls,
      regionFailovers: region.statuses,
      events: shared.events,
    },
  });
  await feed.ready;
  api = await buildApiServer({ readModel: model, publisher, tokens, rateLimit: false });
  apiUrl = await api.listen({ host: '127.0.0.1', port: 0 });
  process.env.FORESHADOW_API_TOKEN = OPERATOR;
});

afterAll(async () => {
  if (savedToken === undefined) delete process.env.FORESHADOW_API_TOKEN;
  else process.env.FORESHADOW_API_TOKEN = savedToken;
  await api?.close();
  await feed?.stop();
  await publisher?.close();
  await runner?.stop();
  await actuator?.stop();
  await ledger?.close();
  await Promise.all([actApps?.close(), adviseApps?.close(), orchestrator?.close()]);
  await producer?.disconnect();
  // A replica the actuator daemonised is stopped by its RETIRE; if a failure came first, by its pid.
  for (const d of await readdir(join(dir, 'host-b')).catch(() => [] as string[])) {
    const pid = await readFile(join(dir, 'host-b', d, 'redis.pid'), 'utf8').catch(() => '');
    if (pid) {
      try {
        process.kill(Number(pid), 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
  await primary?.stop();
  const existing = await withAdmin((admin) => admin.listTopics());
  const mine = [...Object.values(act), ...Object.values(region), ...Object.values(advise), auditTopic, ledgerTopic];
  await deleteTopics(
    existing.filter((t) => Object.values(ids).some((id) => t.startsWith(id)) || mine.some((m) => t.startsWith(m))),
  );
  await removeDir(dir);
});

/** Runs a CLI command module as `foreshadow <cmd> ... --api-url <the test's API>`. */
async function cli(cmd: { run(args: string[]): Promise<number> }, args: string[]): Promise<string> {
  const lines: string[] = [];
  const spy = vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => {
    lines.push(a.map(String).join(' '));
  });
  try {
    expect(await cmd.run([...args, '--api-url', apiUrl])).toBe(0);
  } finally {
    spy.mockRestore();
  }
  return lines.join('\n');
}

describe('safety controls on the broker', () => {
  it('pause (CLI → API → operator.requests): no new shadow, no region failover on any partition; resume: the shadow comes; both audited', async () => {
    for (const h of [host('h1', 'a', 'r1'), host('h2', 'a', 'r2'), host('h3', 'b', 'r1')])
      await send(act.hosts, h.host, h);
    await send(act.deployments, 'db-1', deployment('db-1', 'h1', 'CRITICAL'));
    for (const name of ['h2', 'h3']) await send(act.risk, name, risk(name, 0.02, Date.now()));

    expect(await cli(pauseCommand, ['--reason', 'incident 42'])).toMatch(/^pause requested/);
    const pause = await waitFor('pause applied and shown by GET /control', async () => {
      const res = await api!.inject({ method: 'GET', url: '/control', headers: operate });
      const body = res.json() as { paused: boolean; pause: ControlState | null };
      return body.paused ? body.pause : undefined;
    });
    expect(pause).toMatchObject({ reason: 'incident 42', principal: 'alice', kind: 'PAUSE', active: true });

    await send(act.risk, 'h1', risk('h1', 0.95, Date.now()));
    const held = await consumeUntil(act.state, (m) => latest<ShadowState>(m).get('db-1')?.state === 'QUEUED', 60_000);
    expect(latest<ShadowState>(held).get('db-1')!.reason).toBe('held: paused by alice: incident 42');

    // The pause reached every partition, so every task of the orchestrator holds its regions.
    const regions = ['r-paused-0', 'r-paused-1', 'r-paused-4'];
    const partitions = new Set<number>();
    for (const r of regions) partitions.add(await send(region.health, r, regionHealth(r, 'FAILED')));
    expect(partitions.size).toBe(3);
    const suppressed = values<FailoverEvent>(
      await consumeUntil(
        shared.events,
        (m) => values<FailoverEvent>(m).filter((e) => e.step === 'FAILOVER_SUPPRESSED').length >= 3,
        60_000,
      ),
    ).filter((e) => e.step === 'FAILOVER_SUPPRESSED');
    expect(suppressed.map((e) => e.subject).sort()).toEqual(regions);
    expect(suppressed.every((e) => e.detail.endsWith('paused by alice: incident 42'))).toBe(true);
    const [creates, launches] = await Promise.all([
      nothingFor<ShadowCommand>(act.commands, (c) => c.type === 'CREATE', 3_000),
      nothingFor<FailoverCommand>(region.commands, () => true, 3_000),
    ]);
    expect(creates).toEqual([]);
    expect(launches).toEqual([]);

    expect(await cli(resumeCommand, [])).toMatch(/^resume requested/);
    const created = values<ShadowCommand>(
      await consumeUntil(act.commands, (m) => values<ShadowCommand>(m).some((c) => c.type === 'CREATE'), 60_000),
    );
    expect(created.filter((c) => c.type === 'CREATE').map((c) => [c.resourceId, c.targetHost, c.advisory])).toEqual([
      ['db-1', 'h3', false],
    ]);
    await consumeUntil(act.state, (m) => latest<ShadowState>(m).get('db-1')?.state === 'READY', 60_000);
    // Resumed, the FAILED regions are judged again: no automatic region failover, so each awaits approval.
    const statuses = await consumeUntil(
      region.statuses,
      (m) => {
        const last = new Map(values<RegionFailoverStatus>(m).map((s) => [s.region, s.status]));
        return regions.every((r) => last.get(r) === 'PENDING_APPROVAL');
      },
      60_000,
    );
    expect(values<RegionFailoverStatus>(statuses).some((s) => s.status === 'SUPPRESSED')).toBe(true);

    const audits = values<ApiAudit>(
      await consumeUntil(auditTopic, (m) => values<ApiAudit>(m).filter((a) => a.status === 202).length >= 2, 30_000),
    );
    expect(audits.map((a) => [a.route, a.status, a.principal, a.role])).toEqual([
      ['/control/pause', 202, 'alice', 'operate'],
      ['/control/resume', 202, 'alice', 'operate'],
    ]);
    // What an operator sees on /metrics: the hold, the suppressed failovers and the creation after it.
    const manager = actApps!.apps;
    expect(await counted(manager, act.state, 'CREATE', 'held_pause')).toBeGreaterThanOrEqual(1);
    expect(await counted(manager, act.commands, 'CREATE', 'acted')).toBeGreaterThanOrEqual(1);
    expect(
      await counted([orchestrator!], region.events, 'REGION_FAILOVER', 'suppressed_pause', regions.length),
    ).toBeGreaterThanOrEqual(regions.length);
  });

  it('maintenance: a host in its window gets no shadow and no failover; after the window, both happen', async () => {
    const g = (name: string, zone: string) => host(name, zone, 'r1', { region: 'eu-2' });
    for (const h of [g('g1', 'a'), g('g2', 'b')]) await send(act.hosts, h.host, h);
    await send(act.deployments, 'x-1', deployment('x-1', 'g1', 'HIGH', { region: 'eu-2' }));
    await send(act.risk, 'g2', risk('g2', 0.02, Date.now(), { region: 'eu-2' }));
    await waitFor('g1 known to the API', () => model.knowsHost('g1') || undefined);

    // Long enough for the checks below to finish inside it on a loaded machine.
    const windowMs = 20_000;
    const res = await api!.inject({
      method: 'POST',
      url: '/maintenance',
      headers: operate,
      payload: { host: 'g1', end: Date.now() + windowMs, reason: 'firmware update' },
    });
    expect(res.statusCode).toBe(202);
    const windowId = (res.json() as { requestId: string }).requestId;
    await waitFor('window listed', async () => {
      const list = (await api!.inject({ method: 'GET', url: '/maintenance?host=g1', headers: operate })).json() as {
        windows: ControlState[];
      };
      return list.windows.find((w) => w.controlId === windowId);
    });

    await send(act.risk, 'g1', risk('g1', 0.95, Date.now(), { region: 'eu-2' }));
    const held = await consumeUntil(act.state, (m) => latest<ShadowState>(m).get('x-1')?.state === 'QUEUED', 30_000);
    expect(latest<ShadowState>(held).get('x-1')!.reason).toContain(`host g1 in maintenance window ${windowId}`);
    await send(act.failures, 'g1', {
      host: 'g1',
      region: 'eu-2',
      timestamp: Date.now(),
      kind: 'CRASH',
      source: 'it',
      detail: '',
    });
    const sup = await consumeUntil(
      shared.events,
      (m) => values<FailoverEvent>(m).some((e) => e.subject === 'g1' && e.step === 'FAILOVER_SUPPRESSED'),
      30_000,
    );
    expect(values<FailoverEvent>(sup).find((e) => e.subject === 'g1')!.detail).toContain(windowId);
    expect(await nothingFor<ShadowCommand>(act.commands, (c) => c.resourceId === 'x-1', 3_000)).toEqual([]);

    // The window ends: the held shadow is placed, and the next failure is failed over.
    await consumeUntil(act.state, (m) => latest<ShadowState>(m).get('x-1')?.state === 'READY', windowMs + 40_000);
    const controls = await consumeUntil(
      act.controls,
      (m) => m.some((x) => x.message.key?.toString() === windowId && x.message.value === null),
      10_000,
    );
    expect(controls.some((x) => x.message.key?.toString() === windowId && x.message.value === null)).toBe(true);
    await send(act.failures, 'g1', {
      host: 'g1',
      region: 'eu-2',
      timestamp: Date.now(),
      kind: 'CRASH',
      source: 'it',
      detail: '',
    });
    const failover = values<FailoverEvent>(
      await consumeUntil(
        shared.events,
        (m) => values<FailoverEvent>(m).some((e) => e.step === 'TRAFFIC_REDIRECTED' && e.resourceId === 'x-1'),
        60_000,
      ),
    );
    expect(failover.filter((e) => e.subject === 'g1').map((e) => e.step)).toEqual(
      expect.arrayContaining([
        'FAILOVER_SUPPRESSED',
        'DETECTED',
        'PROMOTION_REQUESTED',
        'SHADOW_PROMOTED',
        'TRAFFIC_REDIRECTED',
      ]),
    );
    const manager = actApps!.apps;
    expect(await counted(manager, act.state, 'CREATE', 'held_maintenance')).toBeGreaterThanOrEqual(1);
    expect(await counted(manager, shared.events, 'HOST_FAILOVER', 'suppressed_maintenance')).toBeGreaterThanOrEqual(1);
  });

  it('approval gate: a FAILED region waits as PENDING_APPROVAL with nothing launched; approve → the failover runs', async () => {
    await send(
      region.blueprints,
      'eu-9',
      blueprint('eu-9', [
        { name: 'db', level: 0 },
        { name: 'api', level: 1, dependsOn: ['db'] },
      ]),
    );
    await send(region.health, 'eu-9', regionHealth('eu-9', 'FAILED'));
    const pending = await waitFor(
      'PENDING_APPROVAL on GET /regions/eu-9/failover',
      async () => {
        const r = await api!.inject({ method: 'GET', url: '/regions/eu-9/failover', headers: operate });
        const s = r.json() as RegionFailoverStatus;
        return s.status === 'PENDING_APPROVAL' ? s : undefined;
      },
      60_000,
    );
    expect(pending.trigger).toBe('region health FAILED: 7/10 hosts failed (70% >= 50%)');
    expect(await nothingFor<FailoverCommand>(region.commands, (c) => c.primaryRegion === 'eu-9', 3_000)).toEqual([]);

    const approve = await api!.inject({ method: 'POST', url: '/regions/eu-9/failover/approve', headers: operate });
    expect(approve.statusCode).toBe(202);
    const events = values<FailoverEvent>(
      await consumeUntil(
        shared.events,
        (m) => values<FailoverEvent>(m).some((e) => e.subject === 'eu-9' && e.step === 'COMPLETED'),
        90_000,
      ),
    ).filter((e) => e.subject === 'eu-9');
    expect(events.map((e) => e.step).slice(0, 3)).toEqual(['PENDING_APPROVAL', 'APPROVED', 'DETECTED']);
    const commands = values<FailoverCommand>(await consumeUntil(region.commands, (m) => m.length >= 6, 10_000));
    expect(
      commands.map((c) => (c.type !== 'LAUNCH_LEVEL' ? c.type : c.provisionOnly ? 'CAPACITY' : `L${c.level}`)),
    ).toEqual(['CAPACITY', 'L0', 'L1', 'CONFIGURE_NETWORKING', 'REDIRECT_TRAFFIC', 'START_REPLICATION']);
    expect(commands.every((c) => c.epoch === 1 && !c.advisory && !c.dryRun)).toBe(true);
    const audits = values<ApiAudit>(await consumeUntil(auditTopic, (m) => m.length >= 4, 10_000));
    expect(audits.some((a) => a.route === '/regions/:id/failover/approve' && a.status === 202)).toBe(true);
    for (const outcome of ['pending_approval', 'approved', 'completed'])
      expect(await counted([orchestrator!], shared.events, 'REGION_FAILOVER', outcome)).toBeGreaterThanOrEqual(1);
    expect(await counted([orchestrator!], region.commands, 'LAUNCH_LEVEL', 'acted', 3)).toBeGreaterThanOrEqual(3);
  });

  it('advise mode: recommendations on shadow.commands that the Redis actuator does not carry out', async () => {
    const a = (name: string, zone: string) => host(name, zone, 'r1', { region: 'adv', address: '127.0.0.1' });
    for (const h of [a('host-a', 'a'), a('host-b', 'b')]) await send(advise.hosts, h.host, h);
    await send(
      advise.deployments,
      'cache-9',
      deployment('cache-9', 'host-a', 'HIGH', { region: 'adv', address: `127.0.0.1:${primaryPort}` }),
    );
    await send(advise.risk, 'host-b', risk('host-b', 0.02, Date.now(), { region: 'adv' }));
    // The tables reach the manager through other routers than the risk: wait until both the
    // deployment and the last risk are on the fleet topic, or host-a's risk may find no resource.
    const routed = (m: { message: { value: Buffer | null } }[], ...parts: string[]): boolean =>
      m.some((x) => parts.every((p) => x.message.value?.toString().includes(p)));
    await consumeUntil(
      `${ids.advise}-fleet`,
      (m) => routed(m, '"DEPLOYMENT"', 'cache-9') && routed(m, '"RISK"', 'host-b'),
      30_000,
    );
    await send(advise.risk, 'host-a', risk('host-a', 0.95, Date.now(), { region: 'adv' }));
    const states = await consumeUntil(
      advise.state,
      (m) => latest<ShadowState>(m).get('cache-9')?.state === 'REQUESTED',
      60_000,
    );
    expect(latest<ShadowState>(states).get('cache-9')).toMatchObject({ advisory: true, shadowHost: 'host-b' });
    await send(advise.failures, 'host-a', {
      host: 'host-a',
      region: 'adv',
      timestamp: Date.now(),
      kind: 'CRASH',
      source: 'it',
      detail: '',
    });
    const recommended = values<ShadowCommand>(await consumeUntil(advise.commands, (m) => m.length >= 4, 60_000));
    expect(recommended.map((c) => [c.type, c.targetHost, c.advisory])).toEqual([
      ['CREATE', 'host-b', true],
      ['FENCE', 'host-a', true],
      ['PROMOTE', 'host-b', true],
      ['REDIRECT', 'host-b', true],
    ]);
    const events = values<FailoverEvent>(
      await consumeUntil(
        advise.events,
        (m) => values<FailoverEvent>(m).some((e) => e.step === 'FAILOVER_RECOMMENDED'),
        30_000,
      ),
    );
    expect(events.find((e) => e.step === 'FAILOVER_RECOMMENDED')).toMatchObject({
      resourceId: 'cache-9',
      advisory: true,
    });
    // The API lists the recommendation as such.
    const shown = await waitFor('advisory shadow on GET /shadow/status', async () => {
      const r = await api!.inject({ method: 'GET', url: '/shadow/status?resourceId=cache-9', headers: operate });
      const s = (r.json() as { shadows: ShadowState[] }).shadows[0];
      return s?.state === 'PROMOTED' ? s : undefined;
    });
    expect(shown.advisory).toBe(true);

    // The actuator read all four and did nothing: no result, no ledger entry, no redis-server.
    await waitFor('advisory commands read past', () => (actuator!.advisorySkipped >= 4 ? true : undefined));
    expect(actuator!.advisorySkipped).toBe(4);
    expect(values<ActuationResult>(await consumeUntil(advise.results, () => false, 1_500))).toEqual([]);
    expect(await ledger!.get(ledgerKey('redis', 'cache-9'))).toBeUndefined();
    expect(await readdir(join(dir, 'host-b'))).toEqual([]);
    // Counted as advised on /metrics, never as acted.
    const adviser = adviseApps!.apps;
    for (const type of ['CREATE', 'FENCE', 'PROMOTE', 'REDIRECT'])
      expect(await counted(adviser, advise.commands, type, 'advised')).toBeGreaterThanOrEqual(1);
    for (const type of ['CREATE', 'FENCE', 'PROMOTE', 'REDIRECT'])
      expect(await decisions(adviser, advise.commands, type, 'acted')).toBe(0);
    const db = redisTestClient(primaryPort, '');
    await db.connect();
    try {
      expect(await db.info('replication')).toContain('connected_slaves:0');

      // The same CREATE without the flag: the very same actuator makes a real replica.
      const create = { ...recommended[0]!, commandId: `it-real-${run}`, advisory: false };
      await producer.send({ topic: advise.commands, messages: [{ key: 'cache-9', value: JSON.stringify(create) }] });
      const done = values<ActuationResult>(
        await consumeUntil(
          advise.results,
          (m) => values<ActuationResult>(m).some((r) => r.status === 'SUCCEEDED'),
          60_000,
        ),
      ).find((r) => r.status === 'SUCCEEDED')!;
      expect(done).toMatchObject({ commandId: create.commandId, commandType: 'CREATE' });
      expect(await db.info('replication')).toContain('connected_slaves:1');
      const retire = { ...create, commandId: `it-retire-${run}`, type: 'RETIRE' as const, targetAddress: done.address };
      await producer.send({ topic: advise.commands, messages: [{ key: 'cache-9', value: JSON.stringify(retire) }] });
      await consumeUntil(
        advise.results,
        (m) => values<ActuationResult>(m).some((r) => r.commandId === retire.commandId && r.status === 'SUCCEEDED'),
        30_000,
      );
    } finally {
      db.disconnect();
    }
  });
});

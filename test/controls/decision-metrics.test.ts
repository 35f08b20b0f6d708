/**
 * foreshadow_decisions_total: which outputs of the shadow manager and the failover orchestrator are
 * counted as decisions, with what labels (TopologyTestDriver, which counts what the runner counts at
 * commit), and how they read on a process's /metrics.
 */
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { exposition } from '../../cli/run/operability-server.js';
import type { RegionHealth } from '../../schemas/records/region-health.js';
import { ActuatorMetrics } from '../../sinks/framework/actuator-metrics.js';
import {
  failoverCommandDecision,
  failoverEventDecision,
  shadowCommandDecision,
  shadowStateDecision,
} from '../../streams/controls/decision-labels.js';
import { buildFailoverOrchestratorTopology } from '../../streams/processors/failover-orchestrator/topology.js';
import { StreamsMetrics } from '../../streams/runtime/metrics.js';
import { TopologyTestDriver } from '../../streams/testing/topology-test-driver.js';
import { jsonValueSerdes } from '../../streams/topic-serdes.js';
import { blueprint, deployment, host, risk, SimulatedProvider, T0 } from '../processors/shadow-manager/fixtures.js';
import { hostFailure, ManagerHarness, operatorRequest } from '../processors/shadow-manager/manager-harness.js';

let drivers: TopologyTestDriver[] = [];
afterEach(async () => {
  await Promise.all(drivers.map((d) => d.close()));
  drivers = [];
});

/** The driver's decision counts as `topic decision outcome` → n, sorted. */
function counts(d: TopologyTestDriver): Record<string, number> {
  return Object.fromEntries([...d.metrics.decisions].sort(([a], [b]) => a.localeCompare(b)));
}

async function manager(options: ConstructorParameters<typeof ManagerHarness>[0] = {}): Promise<ManagerHarness> {
  const h = new ManagerHarness(options);
  drivers.push(h.driver);
  await h.fleet(
    [host('h1', 'a', 'r1'), host('h2', 'a', 'r2'), host('h3', 'b', 'r1'), host('h4', 'b', 'r2')],
    [deployment('db-1', 'h1', 'CRITICAL'), deployment('api-1', 'h1', 'HIGH')],
  );
  for (const name of ['h2', 'h3', 'h4']) await h.pipe('health.risk', name, risk(name, 0.02, h.now));
  return h;
}

/** Answers every command (and those the answers cause) with the simulated provider. */
async function settle(h: ManagerHarness, first: readonly { commandId: string }[]): Promise<void> {
  const provider = new SimulatedProvider();
  let pending = h.commands.filter((c) => first.some((f) => f.commandId === c.commandId));
  for (let round = 0; round < 20 && pending.length > 0; round++) {
    const next = [];
    for (const c of pending) next.push(...(await h.result(provider.handle(c, h.now))));
    pending = next;
  }
}

describe('shadow manager decisions', () => {
  it('act mode: shadows created, then a host failover promoted', async () => {
    const h = await manager();
    await settle(h, await h.pipe('health.risk', 'h1', risk('h1', 0.95, h.now)));
    h.now += 1_000;
    await settle(h, await h.pipe('host.failures', 'h1', hostFailure('h1', h.now)));
    expect(counts(h.driver)).toEqual({
      'failover.events HOST_FAILOVER completed': 1,
      'failover.events HOST_FAILOVER detected': 1,
      'shadow.commands CREATE acted': 2,
      'shadow.commands FENCE acted': 2,
      'shadow.commands PROMOTE acted': 2,
      'shadow.commands REDIRECT acted': 2,
    });
  });

  it('pause: shadows held and the failover suppressed, counted once each; resumed, the shadows are made', async () => {
    const h = await manager();
    await h.request(operatorRequest({ type: 'PAUSE', requestId: 'p-1', subject: 'fleet', scope: 'FLEET' }));
    await h.pipe('health.risk', 'h1', risk('h1', 0.95, h.now));
    await h.advance(3_000);
    h.now += 1_000;
    await h.pipe('host.failures', 'h1', hostFailure('h1', h.now));
    await h.pipe('host.failures', 'h1', hostFailure('h1', h.now + 1));
    expect(counts(h.driver)).toEqual({
      'failover.events HOST_FAILOVER suppressed_pause': 1,
      'shadow.state CREATE held_pause': 2,
    });
    await h.request(operatorRequest({ type: 'RESUME', requestId: 'r-1', subject: 'fleet', scope: 'FLEET' }));
    expect(counts(h.driver)['shadow.commands CREATE acted']).toBe(2);
  });

  it('maintenance window: held and suppressed with the window as the cause', async () => {
    const h = await manager();
    await h.request(
      operatorRequest({
        type: 'SET_MAINTENANCE',
        requestId: 'w-1',
        subject: 'h1',
        scope: 'HOST',
        startsAt: T0,
        endsAt: T0 + 60_000,
        reason: 'kernel',
      }),
    );
    await h.pipe('health.risk', 'h1', risk('h1', 0.95, h.now));
    h.now += 1_000;
    await h.pipe('host.failures', 'h1', hostFailure('h1', h.now));
    expect(counts(h.driver)).toEqual({
      'failover.events HOST_FAILOVER suppressed_maintenance': 1,
      'shadow.state CREATE held_maintenance': 2,
    });
  });

  it('blast radius: promotions beyond the limit held, then released', async () => {
    const h = await manager({ maxPromotionsPerMinute: 1, maxPromotionsPerMinutePerRegion: 1 });
    await settle(h, await h.pipe('health.risk', 'h1', risk('h1', 0.95, h.now)));
    h.now += 1_000;
    await settle(h, await h.pipe('host.failures', 'h1', hostFailure('h1', h.now)));
    expect(counts(h.driver)).toMatchObject({
      'failover.events PROMOTE held_blast_radius': 1,
      'shadow.commands PROMOTE acted': 1,
    });
    await settle(h, await h.advance(61_000));
    expect(counts(h.driver)).toMatchObject({
      'failover.events PROMOTE released': 1,
      'shadow.commands PROMOTE acted': 2,
      'failover.events HOST_FAILOVER completed': 1,
    });
  });

  it('advise mode: every decision counted as advised, none as acted', async () => {
    const h = await manager({ mode: 'advise' });
    await h.pipe('health.risk', 'h1', risk('h1', 0.95, h.now));
    h.now += 1_000;
    await h.pipe('host.failures', 'h1', hostFailure('h1', h.now));
    const c = counts(h.driver);
    expect(c).toMatchObject({
      'shadow.commands CREATE advised': 2,
      'shadow.commands FENCE advised': 2,
      'shadow.commands PROMOTE advised': 2,
      'shadow.commands REDIRECT advised': 2,
      'failover.events HOST_FAILOVER advised': 2,
    });
    expect(Object.keys(c).filter((k) => k.endsWith(' acted'))).toEqual([]);
  });
});

describe('failover orchestrator decisions', () => {
  const health = (status: RegionHealth['status'], at: number): RegionHealth => ({
    region: 'eu-1',
    timestamp: at,
    status,
    hostCount: 10,
    hostsAtRisk: 0,
    hostsFailed: status === 'FAILED' ? 6 : 0,
    meanPFail: 0.1,
    reasons: [],
  });

  it('the approval gate, the approved failover acted on, and a drill', async () => {
    const d = new TopologyTestDriver(buildFailoverOrchestratorTopology({ serdes: jsonValueSerdes }), {
      initialWallClockMs: T0,
    });
    drivers.push(d);
    await d.pipeInput(
      'region.blueprints',
      'eu-1',
      blueprint('eu-1', [
        { name: 'db', level: 0 },
        { name: 'api', level: 1, dependsOn: ['db'] },
      ]),
      T0,
    );
    await d.pipeInput('region.health', 'eu-1', health('HEALTHY', T0), T0);
    await d.pipeInput('region.health', 'eu-1', health('FAILED', T0 + 1), T0 + 1);
    expect(counts(d)).toEqual({ 'failover.events REGION_FAILOVER pending_approval': 1 });
    await d.pipeInput(
      'operator.requests',
      'eu-1',
      operatorRequest({ type: 'APPROVE_REGION_FAILOVER', requestId: 'ap-1', subject: 'eu-1', requestedAt: T0 + 2 }),
      T0 + 2,
    );
    expect(counts(d)).toEqual({
      'failover.commands LAUNCH_LEVEL acted': 2,
      'failover.events REGION_FAILOVER approved': 1,
      'failover.events REGION_FAILOVER detected': 1,
      'failover.events REGION_FAILOVER pending_approval': 1,
    });
  });
});

describe('labels', () => {
  it('read the values defensively and count only decisions', () => {
    expect(shadowCommandDecision('r', { type: 'CREATE', advisory: false })).toEqual({
      decision: 'CREATE',
      outcome: 'acted',
    });
    expect(shadowCommandDecision('r', { type: 'REPORT_SYNC' })).toBeUndefined();
    expect(shadowCommandDecision('r', 'garbage')).toBeUndefined();
    expect(failoverCommandDecision('eu-1', { type: 'LAUNCH_LEVEL', dryRun: true })).toEqual({
      decision: 'LAUNCH_LEVEL',
      outcome: 'drill',
    });
    expect(failoverEventDecision('eu-1', { step: 'DETECTED', scope: 'REGION', dryRun: true })).toEqual({
      decision: 'REGION_FAILOVER_DRILL',
      outcome: 'detected',
    });
    expect(failoverEventDecision('h1', { step: 'SHADOW_PROMOTED', scope: 'HOST' })).toBeUndefined();
    expect(shadowStateDecision('r', { state: 'QUEUED', reason: 'waiting for an eligible host' })).toBeUndefined();
    expect(shadowStateDecision('r', { state: 'READY', reason: 'held: paused by a' })).toBeUndefined();
  });
});

describe('/metrics', () => {
  it('shows decisions per application, topic, decision and outcome, and the actuators’ skipped advisories', async () => {
    const sm = new StreamsMetrics('foreshadow-shadow-manager');
    sm.decisions.inc({ topic: 'shadow.commands', decision: 'CREATE', outcome: 'advised' }, 3);
    sm.decisions.inc({ topic: 'failover.events', decision: 'PROMOTE', outcome: 'held_blast_radius' });
    const fo = new StreamsMetrics('foreshadow-failover-orchestrator');
    fo.decisions.inc({ topic: 'failover.events', decision: 'REGION_FAILOVER', outcome: 'pending_approval' });
    const act = new ActuatorMetrics({ actuator: 'redis' });
    act.advisorySkipped.inc({ provider: 'redis', type: 'CREATE' }, 3);
    const { body } = await exposition({
      appRegistries: () => [sm.registry, fo.registry, act.registry],
      processRegistry: new Registry(),
      readiness: () => ({}),
      healthy: () => true,
    });
    expect(body).toContain(
      'foreshadow_decisions_total{topic="shadow.commands",decision="CREATE",outcome="advised",application="foreshadow-shadow-manager"} 3',
    );
    expect(body).toContain(
      'foreshadow_decisions_total{topic="failover.events",decision="PROMOTE",outcome="held_blast_radius",application="foreshadow-shadow-manager"} 1',
    );
    expect(body).toContain(
      'foreshadow_decisions_total{topic="failover.events",decision="REGION_FAILOVER",outcome="pending_approval",application="foreshadow-failover-orchestrator"} 1',
    );
    expect(body).toContain(
      'foreshadow_actuator_advisory_skipped_total{provider="redis",type="CREATE",actuator="redis"} 3',
    );
    expect(body.split('\n').filter((l) => l === '# TYPE foreshadow_decisions_total counter')).toHaveLength(1);
  });
});

import { afterEach, describe, expect, it } from 'vitest';
import type { HostFailure } from '../../../schemas/records/host-failure.js';
import type { OperatorRequest } from '../../../schemas/records/operator-request.js';
import { buildShadowRouterTopologies, fleetTopic } from '../../../streams/processors/shadow-manager/topology.js';
import { TopologyTestDriver } from '../../../streams/testing/topology-test-driver.js';
import { jsonValueSerdes } from '../../../streams/topic-serdes.js';
import { deployment, host, risk, SimulatedProvider, T0 } from './fixtures.js';
import { ManagerHarness } from './manager-harness.js';

const fleetHosts = [
  host('h1', 'a', 'r1'),
  host('h2', 'a', 'r2'),
  host('h3', 'b', 'r1'),
  host('h4', 'b', 'r2', { cpuCores: 4 }),
];
const onH1 = [
  deployment('db-1', 'h1', 'CRITICAL'),
  deployment('api-1', 'h1', 'HIGH', { kind: 'service' }),
  deployment('cache-1', 'h1', 'LOW'),
];

let harness: ManagerHarness | undefined;
function track(h: ManagerHarness): ManagerHarness {
  harness = h;
  return h;
}
afterEach(async () => {
  await harness?.driver.close();
  harness = undefined;
});

async function healthyFleet(h: ManagerHarness): Promise<void> {
  await h.fleet(fleetHosts, onH1);
  for (const name of ['h2', 'h3', 'h4']) await h.pipe('health.risk', name, risk(name, 0.02, h.now));
}

describe('shadow manager scenarios (TopologyTestDriver)', () => {
  it('shadows a degrading host critical-first in another zone, defers past the budget, then fails over', async () => {
    const h = track(new ManagerHarness({ maxConcurrentShadows: 2 }));
    const provider = new SimulatedProvider();
    await healthyFleet(h);

    const created = await h.pipe('health.risk', 'h1', risk('h1', 0.95, h.now));
    expect(created.map((c) => [c.type, c.resourceId])).toEqual([
      ['CREATE', 'db-1'],
      ['CREATE', 'api-1'],
    ]);
    // Another zone (b) and the roomier host h3 (h4 has 4 cores only).
    expect(created.map((c) => c.targetHost)).toEqual(['h3', 'h3']);
    expect(created[0]!.priority).toBeGreaterThan(created[1]!.priority);
    expect(h.state('cache-1').state).toBe('QUEUED');
    expect(h.state('cache-1').reason).toContain('MAX_CONCURRENT');

    await h.settle(provider, created);
    expect(h.state('db-1')).toMatchObject({ state: 'READY', shadowHost: 'h3', lagMs: 100 });
    expect(h.state('api-1').state).toBe('READY');

    // h1 fails: ready shadows are promoted at epoch 1, the old primary fenced, traffic redirected.
    h.now += 5_000;
    const failover = await h.pipe('host.failures', 'h1', {
      host: 'h1',
      region: 'eu-1',
      timestamp: h.now,
      kind: 'CRASH',
      source: 'monitoring',
      detail: '',
      resourceId: '',
    } satisfies HostFailure);
    const promote = failover.filter((c) => c.type === 'PROMOTE');
    expect(promote.map((c) => [c.resourceId, c.targetHost, c.epoch])).toEqual([
      ['db-1', 'h3', 1],
      ['api-1', 'h3', 1],
    ]);
    expect(failover.filter((c) => c.type === 'FENCE').map((c) => c.targetHost)).toEqual(['h1', 'h1']);
    // cache-1 had no shadow: a standard deployment on the best host, in another zone.
    const standard = failover.find((c) => c.type === 'DEPLOY_STANDARD');
    expect(standard).toMatchObject({ resourceId: 'cache-1', targetHost: 'h3', epoch: 1 });
    expect(h.state('cache-1').state).toBe('RETIRED');

    await h.settle(provider, failover);
    const redirects = h.commands.filter((c) => c.type === 'REDIRECT');
    expect(redirects.map((c) => c.resourceId).sort()).toEqual(['api-1', 'cache-1', 'db-1']);
    expect(h.state('db-1')).toMatchObject({ state: 'PROMOTED', epoch: 1 });
    const steps = h.events.map((e) => `${e.step}${e.resourceId ? `:${e.resourceId}` : ''}`);
    expect(steps).toEqual(
      expect.arrayContaining([
        'DETECTED',
        'PROMOTION_REQUESTED:db-1',
        'SHADOW_PROMOTED:db-1',
        'TRAFFIC_REDIRECTED:db-1',
        'STANDARD_DEPLOYMENT_REQUESTED:cache-1',
        'STANDARD_DEPLOYMENT_READY:cache-1',
        'TRAFFIC_REDIRECTED:cache-1',
        'COMPLETED',
      ]),
    );
    expect(steps.indexOf('SHADOW_PROMOTED:db-1')).toBeLessThan(steps.indexOf('TRAFFIC_REDIRECTED:db-1'));
    expect(h.events.every((e) => e.elapsedMs >= 0 && e.subject === 'h1')).toBe(true);

    // A duplicated failure record does not fail over twice.
    const again = await h.pipe('host.failures', 'h1', {
      host: 'h1',
      region: 'eu-1',
      timestamp: h.now,
      kind: 'CRASH',
      source: 'monitoring',
      detail: '',
      resourceId: '',
    } satisfies HostFailure);
    expect(again).toEqual([]);
    for (const c of h.commands) expect(provider.actedOn(c.commandId)).toBeLessThanOrEqual(1);
  });

  it('serves deferred shadows when budget frees up, in priority order', async () => {
    const h = track(new ManagerHarness({ maxConcurrentShadows: 1 }));
    const provider = new SimulatedProvider();
    await healthyFleet(h);
    const first = await h.pipe('health.risk', 'h1', risk('h1', 0.95, h.now));
    expect(first.map((c) => c.resourceId)).toEqual(['db-1']);
    await h.settle(provider, first);
    expect(h.state('api-1').state).toBe('QUEUED');
    expect(h.state('cache-1').state).toBe('QUEUED');

    // The operator retires db-1's shadow: the freed budget goes to the next in line (HIGH before LOW).
    const freed = await h.pipe('operator.requests', 'db-1', {
      requestId: 'req-1',
      type: 'RETIRE_SHADOW',
      subject: 'db-1',
      targetHost: '',
      dryRun: false,
      principal: 'alice',
      requestedAt: h.now,
      reason: '',
      scope: 'NONE',
      startsAt: 0,
      endsAt: 0,
      windowId: '',
    } satisfies OperatorRequest);
    expect(freed.map((c) => [c.type, c.resourceId])).toEqual([
      ['RETIRE', 'db-1'],
      ['CREATE', 'api-1'],
    ]);
    expect(h.state('cache-1').state).toBe('QUEUED');
  });

  it('rate-limits creations and serves the rest as tokens refill', async () => {
    const h = track(new ManagerHarness({ createBurst: 1, createsPerMinute: 1 }));
    await healthyFleet(h);
    const first = await h.pipe('health.risk', 'h1', risk('h1', 0.95, h.now));
    expect(first.map((c) => c.resourceId)).toEqual(['db-1']);
    expect(h.state('api-1').reason).toContain('RATE_LIMIT');
    const later = await h.advance(61_000);
    expect(later.filter((c) => c.type === 'CREATE').map((c) => c.resourceId)).toEqual(['api-1']);
  });

  it('retires idle shadows only after risk stays below the exit threshold for the TTL, without flapping', async () => {
    const h = track(new ManagerHarness({ idleTtlMs: 60_000, syncPollMs: 1_000_000 }));
    const provider = new SimulatedProvider();
    await healthyFleet(h);
    const created = await h.pipe('health.risk', 'h1', risk('h1', 0.7, h.now));
    expect(created).toHaveLength(3);
    await h.settle(provider, created);

    // Between exit (0.3) and enter (0.6): nothing changes.
    await h.advance(10_000);
    await h.pipe('health.risk', 'h1', risk('h1', 0.45, h.now, { rising: false, deviating: false }));
    expect((await h.advance(120_000)).filter((c) => c.type === 'RETIRE')).toEqual([]);
    expect(h.state('db-1').state).toBe('READY');

    // Below exit: the TTL starts; a wobble back to 0.45 resets nothing and re-creates nothing.
    await h.advance(1_000);
    await h.pipe('health.risk', 'h1', risk('h1', 0.2, h.now));
    expect((await h.advance(30_000)).filter((c) => c.type === 'RETIRE')).toEqual([]);
    const retired = (await h.advance(31_000)).filter((c) => c.type === 'RETIRE');
    expect(retired.map((c) => c.resourceId).sort()).toEqual(['api-1', 'cache-1', 'db-1']);
    expect(h.state('db-1').state).toBe('RETIRED');
    expect(h.state('db-1').shadowMs).toBeGreaterThan(0);

    const wobble = await h.pipe('health.risk', 'h1', risk('h1', 0.45, h.now, { rising: true, deviating: true }));
    expect(wobble.filter((c) => c.type === 'CREATE')).toEqual([]);
  });

  it('retires and forgets the shadow of a removed resource (a tombstone on shadow.state)', async () => {
    const h = track(new ManagerHarness({ syncPollMs: 1_000_000 }));
    const provider = new SimulatedProvider();
    await healthyFleet(h);
    const created = await h.pipe('health.risk', 'h1', risk('h1', 0.7, h.now));
    await h.settle(provider, created);
    expect(h.state('db-1').state).toBe('READY');
    const tombstones: string[] = [];
    const seen = h.states.size;
    const removed = await h.pipe('deployments', 'db-1', null);
    expect(removed.map((c) => [c.type, c.resourceId])).toEqual([['RETIRE', 'db-1']]);
    for (const [k, v] of h.states) if (v === null) tombstones.push(k);
    expect(tombstones).toEqual(['db-1']);
    expect(h.states.size).toBe(seen);
    // The RETIRE result of a forgotten shadow changes nothing, and a resource of the same id
    // deployed again on the host still at risk gets a new shadow at once.
    expect(await h.result(provider.handle(removed[0]!, h.now))).toEqual([]);
    const again = await h.pipe('deployments', 'db-1', onH1[0]!);
    const create = again.find((c) => c.type === 'CREATE' && c.resourceId === 'db-1');
    expect(create).toBeDefined();
    expect(h.state('db-1').state).not.toBe('RETIRED');
    // A resource this manager never shadowed still gets the tombstone (an earlier manager may have).
    expect(await h.pipe('deployments', 'unknown-9', null)).toEqual([]);
    expect(h.states.has('unknown-9') && h.states.get('unknown-9') === null).toBe(true);
  });

  it('shadows a resource deployed onto a host already at risk at once, not at its next risk record', async () => {
    const h = track(new ManagerHarness({ syncPollMs: 1_000_000 }));
    await healthyFleet(h);
    await h.pipe('health.risk', 'h1', risk('h1', 0.7, h.now));
    expect(h.state('db-1').state).not.toBe('RETIRED');
    // Deployed onto the risky host: a CREATE with no further risk record.
    const joined = await h.pipe('deployments', 'queue-1', deployment('queue-1', 'h1', 'HIGH'));
    expect(joined.filter((c) => c.type === 'CREATE').map((c) => c.resourceId)).toEqual(['queue-1']);
    // Onto a healthy host, or once the risk is older than its horizon: nothing.
    expect(await h.pipe('deployments', 'queue-2', deployment('queue-2', 'h2', 'HIGH', { zone: 'a' }))).toEqual([]);
    h.now += 3_600_001;
    expect(await h.pipe('deployments', 'queue-3', deployment('queue-3', 'h1', 'HIGH'))).toEqual([]);
  });

  it('retries a failed provisioning with backoff, then re-places it on another host', async () => {
    const h = track(new ManagerHarness({ maxAttemptsPerHost: 2, backoffBaseMs: 1_000 }));
    const provider = new SimulatedProvider({ failCreatesOn: new Set(['h3']) });
    await h.fleet(fleetHosts, [onH1[0]!]);
    for (const name of ['h2', 'h3', 'h4']) await h.pipe('health.risk', name, risk(name, 0.02, h.now));
    const first = await h.pipe('health.risk', 'h1', risk('h1', 0.95, h.now));
    expect(first[0]).toMatchObject({ type: 'CREATE', targetHost: 'h3', attempt: 1 });
    await h.settle(provider, first);
    expect(h.state('db-1').reason).toContain('retry in 1000 ms');

    const retry = (await h.advance(1_500)).filter((c) => c.type === 'CREATE');
    expect(retry[0]).toMatchObject({ targetHost: 'h3', attempt: 2 });
    expect(retry[0]!.commandId).not.toBe(first[0]!.commandId);
    await h.settle(provider, retry);
    const replaced = h.commands.filter((c) => c.type === 'CREATE' && c.targetHost !== 'h3');
    // Next best: the other host of zone b.
    expect(replaced[0]).toMatchObject({ targetHost: 'h4', attempt: 1 });
    expect(h.commands.some((c) => c.type === 'RETIRE' && c.targetHost === 'h3')).toBe(true);
    expect(h.state('db-1')).toMatchObject({ state: 'READY', shadowHost: 'h4' });
  });

  it('gives up after the placements are spent and does not churn while cooling down', async () => {
    const h = track(new ManagerHarness({ maxAttemptsPerHost: 1, maxPlacements: 1, failedCooldownMs: 60_000 }));
    const provider = new SimulatedProvider({ failCreatesOn: new Set(['h3']) });
    await h.fleet(fleetHosts, [onH1[0]!]);
    for (const name of ['h2', 'h3', 'h4']) await h.pipe('health.risk', name, risk(name, 0.02, h.now));
    await h.settle(provider, await h.pipe('health.risk', 'h1', risk('h1', 0.95, h.now)));
    expect(h.state('db-1').state).toBe('FAILED');
    expect(h.state('db-1').reason).toContain('gave up after 1 placement');
    await h.advance(30_000);
    expect((await h.pipe('health.risk', 'h1', risk('h1', 0.96, h.now))).filter((c) => c.type === 'CREATE')).toEqual([]);
    await h.advance(31_000);
    const again = await h.pipe('health.risk', 'h1', risk('h1', 0.96, h.now));
    expect(again.filter((c) => c.type === 'CREATE')).toEqual([
      expect.objectContaining({ targetHost: 'h3', commandId: 'create:db-1:e0:c2:p1:a1' }),
    ]);
  });

  it('fails over only the resource a resource failure names, once; its host stays eligible', async () => {
    const h = track(new ManagerHarness());
    const provider = new SimulatedProvider();
    await healthyFleet(h);
    await h.settle(provider, await h.pipe('health.risk', 'h1', risk('h1', 0.95, h.now)));
    expect(h.state('db-1').state).toBe('READY');
    expect(h.state('api-1').state).toBe('READY');
    h.now += 5_000;
    const failure: HostFailure = {
      host: 'h1',
      region: 'eu-1',
      timestamp: h.now,
      kind: 'CRASH',
      source: 'failure-detector',
      detail: 'down at 2 vantage(s)',
      resourceId: 'db-1',
    };
    const cmds = await h.pipe('host.failures', 'h1', failure);
    expect(cmds.map((c) => [c.type, c.resourceId])).toEqual([
      ['FENCE', 'db-1'],
      ['PROMOTE', 'db-1'],
    ]);
    await h.settle(provider, cmds);
    expect(h.state('db-1')).toMatchObject({ state: 'PROMOTED', epoch: 1 });
    expect(h.state('api-1').state).toBe('READY');
    expect(h.commands.filter((c) => c.resourceId !== 'db-1' && c.epoch > 0)).toEqual([]);
    const steps = h.events.map((e) => `${e.step}:${e.resourceId}`);
    expect(steps).toEqual(
      expect.arrayContaining(['DETECTED:db-1', 'SHADOW_PROMOTED:db-1', 'TRAFFIC_REDIRECTED:db-1', 'COMPLETED:']),
    );
    expect(h.events.find((e) => e.step === 'DETECTED')!.failoverId).toBe(`rf:db-1:${failure.timestamp}`);

    // The same record again, a later one about the old primary, one naming the wrong host: no action.
    const before = h.events.length;
    expect(await h.pipe('host.failures', 'h1', failure)).toEqual([]);
    expect(await h.pipe('host.failures', 'h1', { ...failure, timestamp: h.now + 1_000 })).toEqual([]);
    expect(await h.pipe('host.failures', 'h2', { ...failure, host: 'h2', timestamp: h.now + 2_000 })).toEqual([]);
    expect(h.events.slice(before).map((e) => [e.step, e.detail])).toEqual([
      ['FAILURE_IGNORED', expect.stringContaining('already failed over')],
      ['FAILURE_IGNORED', expect.stringContaining('runs on h1, not h2')],
    ]);

    // The host itself was not failed: its own failure still fails over what is left on it.
    const host = await h.pipe('host.failures', 'h1', { ...failure, resourceId: '', timestamp: h.now + 3_000 });
    expect(host.filter((c) => c.type === 'PROMOTE').map((c) => c.resourceId)).toEqual(['api-1', 'cache-1']);
  });

  it('detects heartbeat loss, logs it as a host failure and requests a standard deployment', async () => {
    const h = track(new ManagerHarness({ heartbeatIntervalMs: 10_000, heartbeatMissedIntervals: 3 }));
    await h.fleet(fleetHosts, [onH1[2]!]);
    for (const name of ['h1', 'h2', 'h3', 'h4']) await h.pipe('health.risk', name, risk(name, 0.02, h.now));
    expect(await h.advance(20_000)).toEqual([]);
    // Everyone but h1 keeps reporting.
    for (const name of ['h2', 'h3', 'h4']) await h.pipe('health.risk', name, risk(name, 0.02, h.now));
    const cmds = await h.advance(15_000);
    expect(h.failures).toEqual([expect.objectContaining({ host: 'h1', kind: 'HEARTBEAT_LOST' })]);
    expect(cmds).toEqual([
      expect.objectContaining({ type: 'DEPLOY_STANDARD', resourceId: 'cache-1', targetHost: 'h3' }),
    ]);
    expect(h.events[0]).toMatchObject({ step: 'DETECTED', subject: 'h1' });
    expect(h.events[0]!.detail).toContain('HEARTBEAT_LOST');
  });

  it('counts a failover’s elapsed time on its own clock, not the detector’s (a simulated or skewed clock)', async () => {
    const h = track(new ManagerHarness());
    await h.fleet(fleetHosts, [onH1[2]!]);
    const detectorClock = h.now - 3 * 24 * 3_600_000;
    const cmds = await h.pipe('host.failures', 'h1', {
      host: 'h1',
      region: 'eu-1',
      timestamp: detectorClock,
      kind: 'CRASH',
      source: 'demo-fleet',
      detail: '',
      resourceId: '',
    } satisfies HostFailure);
    expect(cmds.map((c) => c.type)).toContain('DEPLOY_STANDARD');
    h.now += 1_500;
    await h.settle(new SimulatedProvider(), cmds);
    const detected = h.events.find((e) => e.step === 'DETECTED')!;
    expect(detected.failoverId).toContain(String(detectorClock));
    expect(detected.elapsedMs).toBe(0);
    const last = h.events.at(-1)!;
    expect(last.step).toBe('COMPLETED');
    expect(last.elapsedMs).toBe(1_500);
  });
  it('acts once on a duplicated operator request and refuses a promotion fenced by a newer epoch', async () => {
    const h = track(new ManagerHarness());
    const provider = new SimulatedProvider();
    await healthyFleet(h);
    const request: OperatorRequest = {
      requestId: 'op-7',
      type: 'CREATE_SHADOW',
      subject: 'db-1',
      targetHost: 'h2',
      dryRun: false,
      principal: 'alice',
      requestedAt: h.now,
      reason: '',
      scope: 'NONE',
      startsAt: 0,
      endsAt: 0,
      windowId: '',
    };
    const created = await h.pipe('operator.requests', 'db-1', request);
    expect(created).toEqual([expect.objectContaining({ type: 'CREATE', resourceId: 'db-1', targetHost: 'h2' })]);
    expect(await h.pipe('operator.requests', 'db-1', request)).toEqual([]);
    await h.settle(provider, created);
    expect(h.state('db-1').state).toBe('READY');

    // Another controller already promoted db-1 at epoch 5; our promotion (epoch 1) must be refused.
    provider.bumpEpoch('db-1', 5);
    const promote = await h.pipe('operator.requests', 'db-1', {
      ...request,
      requestId: 'op-8',
      type: 'PROMOTE_SHADOW',
    });
    expect(promote.find((c) => c.type === 'PROMOTE')).toMatchObject({ epoch: 1 });
    await h.settle(provider, promote);
    expect(h.events.map((e) => e.step)).toContain('FENCED_STALE_EPOCH');
    expect(h.state('db-1').state).toBe('READY');
    expect(h.commands.some((c) => c.type === 'REDIRECT')).toBe(false);
  });
});

describe('shadow manager routers', () => {
  it('groups inputs by partition count and routes every envelope to partition 0 of the fleet topic', async () => {
    const routers = buildShadowRouterTopologies({ serdes: jsonValueSerdes });
    expect(routers.map((t) => [t.applicationId, t.sourceTopics().sort()])).toEqual([
      ['foreshadow-shadow-manager-router-p3', ['actuation.results', 'hosts', 'operator.requests']],
      ['foreshadow-shadow-manager-router-p6', ['deployments', 'health.risk', 'host.failures']],
    ]);
    const [narrow, wide] = routers.map((t) => new TopologyTestDriver(t, { partitionCounts: { [fleetTopic()]: 6 } }));
    try {
      await narrow!.pipeInput('hosts', 'h1', host('h1', 'a', 'r1'), T0);
      await wide!.pipeInput('deployments', 'gone-1', null, T0);
      const region: OperatorRequest = {
        requestId: 'r',
        type: 'REGION_FAILOVER',
        subject: 'eu-1',
        targetHost: '',
        dryRun: true,
        principal: 'p',
        requestedAt: T0,
        reason: '',
        scope: 'NONE',
        startsAt: 0,
        endsAt: 0,
        windowId: '',
      };
      await narrow!.pipeInput('operator.requests', 'eu-1', region, T0);
      const out = [narrow!, wide!].flatMap((d) => d.readOutput<string, unknown>(fleetTopic()));
      expect(out.map((r) => [r.key, r.partition, (r.value as { type: string }).type])).toEqual([
        ['fleet', 0, 'HOST'],
        ['fleet', 0, 'DEPLOYMENT'],
      ]);
      expect(out[1]!.value).toEqual({ type: 'DEPLOYMENT', resourceId: 'gone-1', deployment: null });
    } finally {
      await narrow?.close();
      await wide?.close();
    }
  });
});

import { afterEach, describe, expect, it } from 'vitest';
import type { FailoverCommand } from '../../../schemas/records/failover-command.js';
import type { FailoverEvent } from '../../../schemas/records/failover-event.js';
import type { OperatorRequest } from '../../../schemas/records/operator-request.js';
import type { RegionHealth } from '../../../schemas/records/region-health.js';
import { buildFailoverOrchestratorTopology } from '../../../streams/processors/failover-orchestrator/topology.js';
import { TopologyTestDriver } from '../../../streams/testing/topology-test-driver.js';
import { jsonValueSerdes } from '../../../streams/topic-serdes.js';
import { blueprint, SimulatedProvider, T0 } from '../shadow-manager/fixtures.js';

const services = [
  { name: 'db', level: 0 },
  { name: 'cache', level: 0 },
  { name: 'api', level: 1, dependsOn: ['db', 'cache'] },
  { name: 'web', level: 2, dependsOn: ['api'] },
];

let driver: TopologyTestDriver | undefined;
afterEach(async () => {
  await driver?.close();
  driver = undefined;
});

function setup(
  opts: { regionStepTimeoutMs?: number; startCommands?: 'per-wave' | 'per-unit'; autoRegionFailover?: boolean } = {},
) {
  driver = new TopologyTestDriver(buildFailoverOrchestratorTopology({ serdes: jsonValueSerdes, orchestrator: opts }), {
    initialWallClockMs: T0,
  });
  return driver;
}

/** An actuator taking one command at a time: each is answered `stepMs(c)` after the one before. */
async function run(
  d: TopologyTestDriver,
  provider: SimulatedProvider,
  startAt: number,
  stepMs: (c: FailoverCommand) => number,
) {
  const seen: FailoverCommand[] = [];
  let now = startAt;
  let pending = d.readOutput<string, FailoverCommand>('failover.commands').map((r) => r.value);
  while (pending.length > 0) {
    const next: FailoverCommand[] = [];
    for (const c of pending) {
      seen.push(c);
      if (c.type === 'ABORT') continue;
      now += stepMs(c);
      await d.pipeInput('actuation.results', c.primaryRegion, provider.handle(c, now, stepMs(c)), now);
      next.push(...d.readOutput<string, FailoverCommand>('failover.commands').map((r) => r.value));
    }
    pending = next;
  }
  return seen;
}

/** An actuator running every command at once: each is answered `stepMs(c)` after it was issued. */
async function runConcurrently(
  d: TopologyTestDriver,
  provider: SimulatedProvider,
  startAt: number,
  stepMs: (c: FailoverCommand) => number,
) {
  const seen: { at: number; command: FailoverCommand }[] = [];
  const due: { at: number; command: FailoverCommand }[] = [];
  const take = (now: number): void => {
    for (const { value } of d.readOutput<string, FailoverCommand>('failover.commands')) {
      seen.push({ at: now, command: value });
      if (value.type !== 'ABORT') due.push({ at: now + stepMs(value), command: value });
    }
  };
  take(startAt);
  for (let next = due.shift(); next; next = due.sort((a, b) => a.at - b.at).shift()) {
    const result = provider.handle(next.command, next.at, stepMs(next.command));
    await d.pipeInput('actuation.results', next.command.primaryRegion, result, next.at);
    take(next.at);
  }
  return seen;
}

const label = (c: FailoverCommand): string =>
  c.type !== 'LAUNCH_LEVEL' ? c.type : c.provisionOnly ? 'CAPACITY' : `L${c.level}`;

const drillRequest = (id: string): OperatorRequest => ({
  requestId: id,
  type: 'REGION_FAILOVER',
  subject: 'eu-1',
  targetHost: '',
  dryRun: true,
  principal: 'ops',
  requestedAt: T0,
  reason: '',
  scope: 'NONE',
  startsAt: 0,
  endsAt: 0,
  windowId: '',
});

describe('failover orchestrator scenarios (TopologyTestDriver)', () => {
  it('runs a drill: all capacity at once, then starts in DAG order, with per-unit timings', async () => {
    const d = setup();
    const provider = new SimulatedProvider();
    await d.pipeInput('region.blueprints', 'eu-1', blueprint('eu-1', services), T0);
    await d.pipeInput('operator.requests', 'eu-1', drillRequest('drill-1'), T0);
    const seen = await run(d, provider, T0, (c) => (c.provisionOnly ? 5_000 : c.type === 'LAUNCH_LEVEL' ? 1_000 : 200));

    expect(seen.map(label)).toEqual([
      'CAPACITY',
      'L0',
      'L1',
      'L2',
      'CONFIGURE_NETWORKING',
      'REDIRECT_TRAFFIC',
      'START_REPLICATION',
    ]);
    // The capacity launch carries every instance of every service; the starts follow the DAG.
    expect(seen[0]!.services.map((s) => [s.service, s.instances])).toEqual([
      ['cache', 2],
      ['db', 2],
      ['api', 2],
      ['web', 2],
    ]);
    expect(seen[1]!.services.map((s) => s.service)).toEqual(['cache', 'db']);
    expect(seen.slice(1).every((c) => !c.provisionOnly)).toBe(true);
    expect(seen.every((c) => c.dryRun && c.shadowRegion === 'eu-1-shadow' && c.blueprintVersion === 7)).toBe(true);

    const events = d.readOutput<string, FailoverEvent>('failover.events').map((r) => r.value);
    expect(events.map((e) => e.step)).toEqual([
      'DRILL_STARTED',
      'CAPACITY_LAUNCHED',
      'SERVICE_STARTING',
      'SERVICE_STARTING',
      'CAPACITY_READY',
      'SERVICE_READY',
      'SERVICE_READY',
      'SERVICE_STARTING',
      'SERVICE_READY',
      'SERVICE_STARTING',
      'SERVICE_READY',
      'NETWORKING_CONFIGURED',
      'TRAFFIC_REDIRECTED',
      'REPLICATION_STARTED',
      'COMPLETED',
    ]);
    expect(new Set(events.map((e) => e.eventId)).size).toBe(events.length);
    const report = JSON.parse(events.at(-1)!.detail) as {
      totalMs: number;
      launchMs: number;
      units: { unit: string; waitedMs: number; timeToReadyMs: number }[];
      criticalPath: string[];
    };
    // One actuator command at a time: the level-0 starts queue behind the capacity launch.
    expect(report.units.map((u) => [u.unit, u.waitedMs, u.timeToReadyMs])).toEqual([
      ['provision', 0, 5_000],
      ['l0:cache', 0, 6_000],
      ['l0:db', 0, 6_000],
      ['l1:api', 6_000, 1_000],
      ['l2:web', 7_000, 1_000],
    ]);
    expect(report.launchMs).toBe(8_000);
    expect(report.totalMs).toBe(8_600);
    expect(report.criticalPath).toEqual(['l0:cache', 'l1:api', 'l2:web']);
    expect(events.every((e) => e.dryRun && e.scope === 'REGION')).toBe(true);

    // A replayed operator request does not start a second drill.
    await d.pipeInput('operator.requests', 'eu-1', drillRequest('drill-1'), T0 + 10_000);
    expect(d.readOutput('failover.commands')).toEqual([]);
  });

  it('starts a unit as soon as its own dependencies are ready, not its whole level (per-unit commands)', async () => {
    const fanOut = [
      { name: 'db', level: 0 },
      { name: 'search', level: 0 },
      { name: 'api', level: 1, dependsOn: ['db'] },
      { name: 'reports', level: 1, dependsOn: ['search'] },
      { name: 'web', level: 2, dependsOn: ['api'] },
    ];
    // search starts slowly; nothing but reports needs it.
    const stepMs = (c: FailoverCommand): number =>
      c.type !== 'LAUNCH_LEVEL'
        ? 100
        : c.services.some((s) => s.service === 'search') && !c.provisionOnly
          ? 10_000
          : 1_000;
    const startOf = async (startCommands: 'per-wave' | 'per-unit', id: string) => {
      const d = setup({ startCommands });
      await d.pipeInput('region.blueprints', 'eu-1', blueprint('eu-1', fanOut), T0);
      await d.pipeInput('operator.requests', 'eu-1', drillRequest(id), T0);
      const seen = await runConcurrently(d, new SimulatedProvider(), T0, stepMs);
      const web = seen.find((s) => s.command.services.some((x) => x.service === 'web') && !s.command.provisionOnly);
      const steps = d.readOutput<string, FailoverEvent>('failover.events').map((r) => r.value.step);
      await d.close();
      driver = undefined;
      return { web: web!.at - T0, commands: seen.length, completed: steps.at(-1) === 'COMPLETED' };
    };
    const perUnit = await startOf('per-unit', 'drill-u');
    expect(perUnit).toEqual({ web: 2_000, commands: 9, completed: true });
    // One command per wave: web waits until search, its level-mate's dependency, is up too.
    const perWave = await startOf('per-wave', 'drill-w');
    expect(perWave).toEqual({ web: 11_000, commands: 7, completed: true });
  });

  it('fails over a region when its health turns FAILED, with a new epoch, pre-empting a drill', async () => {
    // Automatic region failover is opt-in (the approval gate is the default).
    const d = setup({ autoRegionFailover: true });
    const provider = new SimulatedProvider();
    await d.pipeInput('region.blueprints', 'eu-1', blueprint('eu-1', services), T0);
    await d.pipeInput('operator.requests', 'eu-1', drillRequest('drill-2'), T0);
    expect(d.readOutput<string, FailoverCommand>('failover.commands').map((r) => r.value.dryRun)).toEqual([true, true]);
    const failed: RegionHealth = {
      region: 'eu-1',
      timestamp: T0 + 1_000,
      status: 'FAILED',
      hostCount: 10,
      hostsAtRisk: 2,
      hostsFailed: 8,
      meanPFail: 0.9,
      reasons: ['8 of 10 hosts failed'],
    };
    await d.pipeInput('region.health', 'eu-1', failed, T0 + 1_000);
    const cmds = await run(d, provider, T0 + 1_000, () => 100);
    expect(cmds[0]).toMatchObject({ type: 'ABORT', dryRun: true });
    const real = cmds.filter((c) => !c.dryRun);
    expect(real.map(label)).toEqual([
      'CAPACITY',
      'L0',
      'L1',
      'L2',
      'CONFIGURE_NETWORKING',
      'REDIRECT_TRAFFIC',
      'START_REPLICATION',
    ]);
    expect(real.every((c) => c.epoch === 1)).toBe(true);
    const steps = d.readOutput<string, FailoverEvent>('failover.events').map((r) => r.value.step);
    expect(steps).toContain('ABORTED');
    expect(steps.at(-1)).toBe('COMPLETED');

    // Still FAILED: no second failover; a later failure episode gets epoch 2.
    await d.pipeInput('region.health', 'eu-1', { ...failed, timestamp: T0 + 5_000 }, T0 + 5_000);
    expect(d.readOutput('failover.commands')).toEqual([]);
    await d.pipeInput('region.health', 'eu-1', { ...failed, status: 'HEALTHY', timestamp: T0 + 6_000 }, T0 + 6_000);
    await d.pipeInput('region.health', 'eu-1', { ...failed, timestamp: T0 + 7_000 }, T0 + 7_000);
    expect(d.readOutput<string, FailoverCommand>('failover.commands')[0]?.value.epoch).toBe(2);
  });

  it('retries each launch that times out and fails the failover when attempts are spent', async () => {
    const d = setup({ regionStepTimeoutMs: 10_000 });
    await d.pipeInput('region.blueprints', 'eu-1', blueprint('eu-1', services), T0);
    await d.pipeInput('operator.requests', 'eu-1', { ...drillRequest('drill-3'), dryRun: false }, T0);
    const first = d.readOutput<string, FailoverCommand>('failover.commands').map((r) => r.value);
    expect(first.map(label)).toEqual(['CAPACITY', 'L0']);
    await d.advanceWallClockTime(11_000);
    const retried = d.readOutput<string, FailoverCommand>('failover.commands').map((r) => r.value);
    expect(retried.map(label)).toEqual(['CAPACITY', 'L0']);
    expect(retried.map((c) => c.commandId)).toEqual(first.map((c) => c.commandId.replace(/:a1$/, ':a2')));
    await d.advanceWallClockTime(11_000);
    await d.advanceWallClockTime(11_000);
    const last = d.readOutput<string, FailoverCommand>('failover.commands').map((r) => r.value);
    expect(last.map((c) => c.type)).toContain('ABORT');
    const steps = d.readOutput<string, FailoverEvent>('failover.events').map((r) => r.value.step);
    expect(steps.at(-1)).toBe('FAILED');
  });

  it('logs a failure instead of launching when the region has no blueprint', async () => {
    const d = setup();
    await d.pipeInput('operator.requests', 'us-9', { ...drillRequest('drill-4'), subject: 'us-9' }, T0);
    expect(d.readOutput('failover.commands')).toEqual([]);
    const events = d.readOutput<string, FailoverEvent>('failover.events').map((r) => r.value);
    expect(events).toEqual([expect.objectContaining({ step: 'FAILED', subject: 'us-9' })]);
    expect(events[0]!.detail).toContain('no shadow blueprint');
  });
});

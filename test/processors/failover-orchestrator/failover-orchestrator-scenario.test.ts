import { afterEach, describe, expect, it } from 'vitest';
import { buildFailoverOrchestratorTopology } from '../../../streams/processors/failover-orchestrator/topology.js';
import type {
  FailoverCommand,
  FailoverEvent,
  RegionHealth,
} from '../../../streams/processors/failover-orchestrator/types.js';
import { jsonValueSerdes } from '../../../streams/processors/shadow-manager/topology.js';
import type { OperatorRequest } from '../../../streams/processors/shadow-manager/types.js';
import { TopologyTestDriver } from '../../../streams/testing/topology-test-driver.js';
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

function setup(opts: { regionStepTimeoutMs?: number } = {}): TopologyTestDriver {
  driver = new TopologyTestDriver(buildFailoverOrchestratorTopology({ serdes: jsonValueSerdes, orchestrator: opts }), {
    initialWallClockMs: T0,
  });
  return driver;
}

/** Answers each command after `levelMs(level)` of simulated time, returning every command seen. */
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

const drillRequest = (id: string): OperatorRequest => ({
  requestId: id,
  type: 'REGION_FAILOVER',
  subject: 'eu-1',
  targetHost: '',
  dryRun: true,
  principal: 'ops',
  requestedAt: T0,
});

describe('failover orchestrator scenarios (TopologyTestDriver)', () => {
  it('runs a drill level by level in DAG order and reports time-to-ready per level', async () => {
    const d = setup();
    const provider = new SimulatedProvider();
    await d.pipeInput('region.blueprints', 'eu-1', blueprint('eu-1', services), T0);
    await d.pipeInput('operator.requests', 'eu-1', drillRequest('drill-1'), T0);
    const seen = await run(d, provider, T0, (c) => (c.type === 'LAUNCH_LEVEL' ? 1_000 * (c.level + 1) : 200));

    expect(seen.map((c) => (c.type === 'LAUNCH_LEVEL' ? `L${c.level}` : c.type))).toEqual([
      'L0',
      'L1',
      'L2',
      'CONFIGURE_NETWORKING',
      'REDIRECT_TRAFFIC',
      'START_REPLICATION',
    ]);
    expect(seen[0]!.services.map((s) => s.service)).toEqual(['cache', 'db']);
    expect(seen.every((c) => c.dryRun && c.shadowRegion === 'eu-1-shadow' && c.blueprintVersion === 7)).toBe(true);

    const events = d.readOutput<string, FailoverEvent>('failover.events').map((r) => r.value);
    expect(events.map((e) => e.step)).toEqual([
      'DRILL_STARTED',
      'LEVEL_LAUNCHED',
      'LEVEL_READY',
      'LEVEL_LAUNCHED',
      'LEVEL_READY',
      'LEVEL_LAUNCHED',
      'LEVEL_READY',
      'NETWORKING_CONFIGURED',
      'TRAFFIC_REDIRECTED',
      'REPLICATION_STARTED',
      'COMPLETED',
    ]);
    const report = JSON.parse(events.at(-1)!.detail) as {
      totalMs: number;
      levels: { level: number; timeToReadyMs: number }[];
    };
    expect(report.levels).toEqual([
      { level: 0, services: 2, timeToReadyMs: 1_000 },
      { level: 1, services: 1, timeToReadyMs: 2_000 },
      { level: 2, services: 1, timeToReadyMs: 3_000 },
    ]);
    expect(report.totalMs).toBe(6_600);
    expect(events.every((e) => e.dryRun && e.scope === 'REGION')).toBe(true);

    // A replayed operator request does not start a second drill.
    await d.pipeInput('operator.requests', 'eu-1', drillRequest('drill-1'), T0 + 10_000);
    expect(d.readOutput('failover.commands')).toEqual([]);
  });

  it('fails over a region when its health turns FAILED, with a new epoch, pre-empting a drill', async () => {
    const d = setup();
    const provider = new SimulatedProvider();
    await d.pipeInput('region.blueprints', 'eu-1', blueprint('eu-1', services), T0);
    await d.pipeInput('operator.requests', 'eu-1', drillRequest('drill-2'), T0);
    expect(d.readOutput<string, FailoverCommand>('failover.commands').map((r) => r.value.dryRun)).toEqual([true]);
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
    expect(real.map((c) => c.type)).toEqual([
      'LAUNCH_LEVEL',
      'LAUNCH_LEVEL',
      'LAUNCH_LEVEL',
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

  it('retries a step that times out and fails the failover when attempts are spent', async () => {
    const d = setup({ regionStepTimeoutMs: 10_000 });
    await d.pipeInput('region.blueprints', 'eu-1', blueprint('eu-1', services), T0);
    await d.pipeInput('operator.requests', 'eu-1', { ...drillRequest('drill-3'), dryRun: false }, T0);
    const first = d.readOutput<string, FailoverCommand>('failover.commands').map((r) => r.value);
    expect(first).toHaveLength(1);
    await d.advanceWallClockTime(11_000);
    const retried = d.readOutput<string, FailoverCommand>('failover.commands').map((r) => r.value);
    expect(retried[0]).toMatchObject({ type: 'LAUNCH_LEVEL', level: 0 });
    expect(retried[0]!.commandId).not.toBe(first[0]!.commandId);
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

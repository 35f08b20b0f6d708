/**
 * The failover orchestrator's safety controls (TopologyTestDriver): the approval gate on region
 * failovers, the pause and region maintenance windows, advise mode, and the region.failovers
 * status that the API and dashboard read.
 */
import avro from 'avsc';
import { afterEach, describe, expect, it } from 'vitest';
import type { FailoverCommand } from '../../../schemas/records/failover-command.js';
import type { FailoverEvent } from '../../../schemas/records/failover-event.js';
import {
  REGION_FAILOVER_STATUS_RECORD,
  type RegionFailoverStatus,
} from '../../../schemas/records/region-failover-status.js';
import type { RegionHealth } from '../../../schemas/records/region-health.js';
import type { FailoverOrchestratorOptions } from '../../../streams/processors/failover-orchestrator/options.js';
import { buildFailoverOrchestratorTopology } from '../../../streams/processors/failover-orchestrator/topology.js';
import { TopologyTestDriver } from '../../../streams/testing/topology-test-driver.js';
import { jsonValueSerdes } from '../../../streams/topic-serdes.js';
import { blueprint, SimulatedProvider, T0 } from '../shadow-manager/fixtures.js';
import { operatorRequest } from '../shadow-manager/manager-harness.js';

const services = [
  { name: 'db', level: 0 },
  { name: 'api', level: 1, dependsOn: ['db'] },
];

class Orchestrator {
  readonly d: TopologyTestDriver;
  readonly events: FailoverEvent[] = [];
  readonly commands: FailoverCommand[] = [];
  readonly statuses: RegionFailoverStatus[] = [];
  now = T0;

  constructor(options: Partial<FailoverOrchestratorOptions> = {}) {
    this.d = new TopologyTestDriver(
      buildFailoverOrchestratorTopology({ serdes: jsonValueSerdes, orchestrator: options }),
      { initialWallClockMs: T0 },
    );
  }

  private drain(): FailoverCommand[] {
    for (const e of this.d.readOutput<string, FailoverEvent>('failover.events')) this.events.push(e.value);
    for (const s of this.d.readOutput<string, RegionFailoverStatus>('region.failovers')) this.statuses.push(s.value);
    const cmds = this.d.readOutput<string, FailoverCommand>('failover.commands').map((c) => c.value);
    this.commands.push(...cmds);
    return cmds;
  }

  async pipe(topic: string, key: string, value: unknown): Promise<FailoverCommand[]> {
    await this.d.pipeInput(topic, key, value, this.now);
    return this.drain();
  }

  health(status: RegionHealth['status'], region = 'eu-1'): Promise<FailoverCommand[]> {
    const h: RegionHealth = {
      region,
      timestamp: this.now,
      status,
      hostCount: 10,
      hostsAtRisk: 0,
      hostsFailed: status === 'FAILED' ? 6 : 0,
      meanPFail: 0.1,
      reasons: status === 'FAILED' ? ['6/10 hosts failed (60% >= 50%)'] : [],
    };
    return this.pipe('region.health', region, h);
  }

  request(r: Parameters<typeof operatorRequest>[0]): Promise<FailoverCommand[]> {
    return this.pipe('operator.requests', r.subject, operatorRequest({ ...r, requestedAt: this.now }));
  }

  async advance(ms: number): Promise<FailoverCommand[]> {
    this.now += ms;
    await this.d.advanceWallClockTime(ms);
    return this.drain();
  }

  /** Answers every command as it comes (and those the answers cause). */
  async settle(first: FailoverCommand[]): Promise<void> {
    const provider = new SimulatedProvider();
    let pending = first;
    while (pending.length > 0) {
      const next: FailoverCommand[] = [];
      for (const c of pending) {
        if (c.type === 'ABORT') continue;
        this.now += 10;
        next.push(...(await this.pipe('actuation.results', c.primaryRegion, provider.handle(c, this.now))));
      }
      pending = next;
    }
  }

  status(region = 'eu-1'): RegionFailoverStatus | undefined {
    return this.statuses.filter((s) => s.region === region).at(-1);
  }

  steps(): string[] {
    return this.events.map((e) => e.step);
  }
}

let current: Orchestrator | undefined;
afterEach(async () => {
  await current?.d.close();
  current = undefined;
});

async function setup(options: Partial<FailoverOrchestratorOptions> = {}): Promise<Orchestrator> {
  const o = new Orchestrator(options);
  current = o;
  await o.pipe('region.blueprints', 'eu-1', blueprint('eu-1', services));
  await o.health('HEALTHY');
  return o;
}

const label = (c: FailoverCommand): string =>
  c.type !== 'LAUNCH_LEVEL' ? c.type : c.provisionOnly ? 'CAPACITY' : `L${c.level}`;

describe('approval gate (autoRegionFailover off, the default)', () => {
  it('records PENDING_APPROVAL and launches nothing; the approval starts the failover', async () => {
    const o = await setup();
    expect(await o.health('FAILED')).toEqual([]);
    expect(o.status()).toMatchObject({
      status: 'PENDING_APPROVAL',
      trigger: 'region health FAILED: 6/10 hosts failed (60% >= 50%)',
      detail: 'approve with POST /regions/eu-1/failover/approve',
    });
    const pending = o.events.find((e) => e.step === 'PENDING_APPROVAL')!;
    expect(pending).toMatchObject({ scope: 'REGION', subject: 'eu-1', failoverId: 'rf:eu-1:e1', epoch: 1 });
    // Nothing runs while it waits, however long.
    expect(await o.advance(600_000)).toEqual([]);
    expect(await o.health('FAILED')).toEqual([]);

    const started = await o.request({
      type: 'APPROVE_REGION_FAILOVER',
      requestId: 'ap-1',
      subject: 'eu-1',
      principal: 'bob',
    });
    expect(started.map(label)).toEqual(['CAPACITY', 'L0']);
    const steps = o.steps();
    expect(steps.slice(steps.indexOf('APPROVED'), steps.indexOf('APPROVED') + 2)).toEqual(['APPROVED', 'DETECTED']);
    expect(o.events.find((e) => e.step === 'DETECTED')!.detail).toContain('approved by bob: region health FAILED');
    expect(o.status()).toMatchObject({ status: 'RUNNING', failoverId: 'rf:eu-1:e1', epoch: 1, step: 'LAUNCH' });
    await o.settle(started);
    expect(o.commands.map(label)).toEqual([
      'CAPACITY',
      'L0',
      'L1',
      'CONFIGURE_NETWORKING',
      'REDIRECT_TRAFFIC',
      'START_REPLICATION',
    ]);
    expect(o.commands.every((c) => !c.advisory && !c.dryRun && c.epoch === 1)).toBe(true);
    expect(o.status()).toMatchObject({ status: 'COMPLETED', failoverId: 'rf:eu-1:e1' });
    // A second approval finds nothing pending.
    expect(await o.request({ type: 'APPROVE_REGION_FAILOVER', requestId: 'ap-2', subject: 'eu-1' })).toEqual([]);
    expect(o.events.at(-1)).toMatchObject({
      step: 'REFUSED',
      detail: 'approval by alice: no failover awaits approval',
    });
  });

  it('withdraws the request when the region recovers first', async () => {
    const o = await setup();
    await o.health('FAILED');
    await o.health('DEGRADED');
    expect(o.events.at(-1)).toMatchObject({ step: 'APPROVAL_WITHDRAWN' });
    expect(o.status()).toMatchObject({ status: 'NONE' });
    expect(await o.request({ type: 'APPROVE_REGION_FAILOVER', requestId: 'ap-3', subject: 'eu-1' })).toEqual([]);
  });

  it('a manual failover still starts at once and settles a pending request', async () => {
    const o = await setup();
    await o.health('FAILED');
    const manual = await o.request({ type: 'REGION_FAILOVER', requestId: 'm-1', subject: 'eu-1' });
    expect(manual.map(label)).toEqual(['CAPACITY', 'L0']);
    expect(o.status()).toMatchObject({ status: 'RUNNING' });
  });

  it('autoRegionFailover: true starts it without approval', async () => {
    const o = await setup({ autoRegionFailover: true });
    expect((await o.health('FAILED')).map(label)).toEqual(['CAPACITY', 'L0']);
    expect(o.steps()).not.toContain('PENDING_APPROVAL');
  });
});

describe('pause and maintenance', () => {
  it('a FAILED region while paused is SUPPRESSED; after resume it asks for approval', async () => {
    const o = await setup();
    await o.request({ type: 'PAUSE', requestId: 'p-1', subject: 'fleet', scope: 'FLEET', reason: 'incident' });
    expect(await o.health('FAILED')).toEqual([]);
    expect(o.events.at(-1)!.step).toBe('FAILOVER_SUPPRESSED');
    expect(o.events.at(-1)!.detail).toContain('not failed over: paused by alice: incident');
    expect(o.status()).toMatchObject({ status: 'SUPPRESSED' });
    expect(await o.advance(5_000)).toEqual([]);
    await o.request({ type: 'RESUME', requestId: 'r-1', subject: 'fleet', scope: 'FLEET' });
    await o.advance(1_000);
    expect(o.status()).toMatchObject({ status: 'PENDING_APPROVAL' });
    expect(o.status()!.trigger).toMatch(/^region health FAILED: .* \(suppressed since /);
  });

  it('a region in its window is not failed over (automatic or not); after the window, it is', async () => {
    const o = await setup({ autoRegionFailover: true });
    await o.request({
      type: 'SET_MAINTENANCE',
      requestId: 'w-1',
      subject: 'eu-1',
      scope: 'REGION',
      startsAt: T0,
      endsAt: T0 + 30_000,
      reason: 'DC power work',
    });
    expect(await o.health('FAILED')).toEqual([]);
    expect(o.events.at(-1)!.detail).toContain('region eu-1 in maintenance window w-1');
    expect(await o.advance(20_000)).toEqual([]);
    const after = await o.advance(11_000);
    expect(after.map(label)).toEqual(['CAPACITY', 'L0']);
    expect(o.status()).toMatchObject({ status: 'RUNNING' });
  });

  it('a window of another region, or of a host, changes nothing here', async () => {
    const o = await setup({ autoRegionFailover: true });
    await o.request({
      type: 'SET_MAINTENANCE',
      requestId: 'w-2',
      subject: 'us-1',
      scope: 'REGION',
      startsAt: T0,
      endsAt: T0 + 60_000,
      reason: 'x',
    });
    await o.request({
      type: 'SET_MAINTENANCE',
      requestId: 'w-3',
      subject: 'h1',
      scope: 'HOST',
      startsAt: T0,
      endsAt: T0 + 60_000,
      reason: 'x',
    });
    expect((await o.health('FAILED')).map(label)).toEqual(['CAPACITY', 'L0']);
  });
});

describe('advise mode', () => {
  it('recommends the whole failover as advisory commands and carries nothing out', async () => {
    const o = await setup({ mode: 'advise', autoRegionFailover: true });
    const recommended = await o.health('FAILED');
    expect(recommended.map(label)).toEqual([
      'CAPACITY',
      'L0',
      'L1',
      'CONFIGURE_NETWORKING',
      'REDIRECT_TRAFFIC',
      'START_REPLICATION',
    ]);
    expect(recommended.every((c) => c.advisory)).toBe(true);
    expect(o.steps()).toEqual(['DETECTED', 'FAILOVER_RECOMMENDED']);
    expect(o.events.every((e) => e.advisory)).toBe(true);
    expect(o.events[1]!.detail).toBe(
      'advise mode, nothing carried out: CAPACITY (4 instances) → L0 db → L1 api → CONFIGURE_NETWORKING → REDIRECT_TRAFFIC → START_REPLICATION',
    );
    expect(o.status()).toMatchObject({ status: 'RECOMMENDED', advisory: true, epoch: 1 });
    // Nothing waits for an actuator, and no epoch was taken: the next episode recommends epoch 1 again.
    expect(await o.advance(600_000)).toEqual([]);
    await o.health('HEALTHY');
    const again = await o.health('FAILED');
    expect(again.length).toBe(6);
    expect(again.every((c) => c.advisory && c.epoch === 1)).toBe(true);
  });

  it('drills still run for real on the simulated provider', async () => {
    const o = await setup({ mode: 'advise' });
    const drill = await o.request({ type: 'REGION_FAILOVER', requestId: 'd-1', subject: 'eu-1', dryRun: true });
    expect(drill.map((c) => [c.dryRun, c.advisory])).toEqual([
      [true, false],
      [true, false],
    ]);
  });
});

describe('region.failovers', () => {
  it('publishes valid status records, one per change', async () => {
    const o = await setup();
    await o.health('FAILED');
    await o.settle(await o.request({ type: 'APPROVE_REGION_FAILOVER', requestId: 'ap-9', subject: 'eu-1' }));
    const type = avro.Type.forSchema(JSON.parse(REGION_FAILOVER_STATUS_RECORD.text) as avro.Schema);
    for (const s of o.statuses) expect(type.isValid(s)).toBe(true);
    const phases = o.statuses.map((s) => `${s.status}${s.step ? `:${s.step}` : ''}`);
    expect(phases).toEqual([
      'NONE',
      'PENDING_APPROVAL',
      'RUNNING:LAUNCH',
      'RUNNING:NETWORKING',
      'RUNNING:REDIRECT',
      'RUNNING:REPLICATION',
      'COMPLETED:DONE',
    ]);
  });
});

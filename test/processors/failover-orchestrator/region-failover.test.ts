import { describe, expect, it } from 'vitest';
import type { ActuationResult } from '../../../schemas/records/actuation-result.js';
import type { FailoverCommand } from '../../../schemas/records/failover-command.js';
import {
  criticalPath,
  onRegionResult,
  onRegionTick,
  planLaunches,
  type RegionFailover,
  type RegionTransition,
  startRegionFailover,
} from '../../../streams/processors/failover-orchestrator/region-failover.js';
import { blueprint, T0 } from '../shadow-manager/fixtures.js';

const limits = { regionStepTimeoutMs: 10_000, regionMaxAttempts: 2 };

const services = [
  { name: 'db', level: 0 },
  { name: 'search', level: 0 },
  { name: 'api', level: 1, dependsOn: ['db'] },
  { name: 'reports', level: 1, dependsOn: ['search'] },
  { name: 'web', level: 2, dependsOn: ['api', 'reports'] },
];

function result(c: FailoverCommand, at: number, over: Partial<ActuationResult> = {}): ActuationResult {
  return {
    commandId: c.commandId,
    commandType: c.type,
    subject: c.primaryRegion,
    provider: 'sim',
    epoch: c.epoch,
    status: 'SUCCEEDED',
    retriable: false,
    address: '',
    lagBytes: null,
    lagMs: null,
    durationMs: 0,
    attempt: 1,
    detail: '',
    timestamp: at,
    ...over,
  };
}

const start = (startCommands: 'per-wave' | 'per-unit' = 'per-unit'): RegionTransition =>
  startRegionFailover({
    blueprint: blueprint('eu-1', services),
    epoch: 2,
    dryRun: false,
    trigger: 't',
    now: T0,
    startCommands,
  });

const names = (c: FailoverCommand): string[] => c.services.map((s) => s.service);

describe('launch plan', () => {
  it('makes one unit per launch group and level, depending on the units of its dependencies', () => {
    const bp = blueprint('eu-1', [
      { name: 'db', level: 0 },
      { name: 'a', level: 1, dependsOn: ['db', 'b'] },
      { name: 'b', level: 1, dependsOn: ['a'] },
      { name: 'web', level: 2, dependsOn: ['a', 'ext'] },
    ]);
    // a and b form a dependency cycle: one launch group, started together.
    for (const s of bp.services) if (s.service === 'a' || s.service === 'b') s.launchGroup = 'cycle:a';
    expect(planLaunches(bp).map((u) => [u.id, u.services.map((s) => s.service), u.after])).toEqual([
      ['l0:db', ['db'], []],
      ['l1:cycle:a', ['a', 'b'], ['l0:db']],
      ['l2:web', ['web'], ['l1:cycle:a']],
    ]);
    const bad = blueprint('eu-1', [
      { name: 'api', level: 0, dependsOn: ['db'] },
      { name: 'db', level: 0 },
    ]);
    expect(() => planLaunches(bad)).toThrow(/later level/);
  });
});

describe('region failover state machine', () => {
  it('launches all capacity at once and starts units whose dependencies are ready', () => {
    const t = start();
    expect(t.commands.map((c) => [c.provisionOnly, c.level, names(c)])).toEqual([
      [true, -1, ['db', 'search', 'api', 'reports', 'web']],
      [false, 0, ['db']],
      [false, 0, ['search']],
    ]);
    expect(t.commands.every((c) => c.type === 'LAUNCH_LEVEL' && c.epoch === 2)).toBe(true);
    // db ready: api (needs only db) starts while search is still starting.
    const next = onRegionResult(t.failover, result(t.commands[1]!, T0 + 1_000), T0 + 1_000, limits);
    expect(next.commands.map(names)).toEqual([['api']]);
    expect(next.events.map((e) => e.step)).toEqual(['SERVICE_READY', 'SERVICE_STARTING']);
  });

  it('batches units that become startable together by default', () => {
    const t = start('per-wave');
    expect(t.commands.map(names)).toEqual([
      ['db', 'search', 'api', 'reports', 'web'],
      ['db', 'search'],
    ]);
    const next = onRegionResult(t.failover, result(t.commands[1]!, T0 + 1_000), T0 + 1_000, limits);
    expect(next.commands.map((c) => [c.level, names(c)])).toEqual([[1, ['api', 'reports']]]);
    expect(next.failover.units.filter((u) => u.state === 'LAUNCHING').map((u) => u.commandId)).toEqual([
      t.commands[0]!.commandId,
      next.commands[0]!.commandId,
      next.commands[0]!.commandId,
    ]);
  });

  it('ignores results it is not waiting for, retries a retriable failure, fails on a permanent one', () => {
    const t = start();
    const search = t.commands[2]!;
    for (const status of ['IN_PROGRESS', 'DUPLICATE'] as const) {
      expect(onRegionResult(t.failover, result(search, T0 + 5, { status }), T0 + 5, limits)).toEqual({
        failover: t.failover,
        commands: [],
        events: [],
      });
    }
    const stranger = { ...search, commandId: 'rf:eu-1:e2:launch_level:l0:other:a1' };
    expect(onRegionResult(t.failover, result(stranger, T0 + 5), T0 + 5, limits).commands).toEqual([]);

    const quota = { status: 'FAILED', retriable: true, detail: 'quota' } as const;
    const retried = onRegionResult(t.failover, result(search, T0 + 10, quota), T0 + 10, limits);
    expect(retried.commands.map((c) => c.commandId)).toEqual(['rf:eu-1:e2:launch_level:l0:search:a2']);
    expect(retried.events[0]).toMatchObject({ step: 'STEP_RETRIED', detail: 'LAUNCH l0:search attempt 2: quota' });
    const again = onRegionResult(retried.failover, result(retried.commands[0]!, T0 + 20, quota), T0 + 20, limits);
    expect(again.failover.step).toBe('FAILED');
    expect(again.commands.map((c) => c.type)).toEqual(['ABORT']);

    const permanent = result(search, T0 + 10, { status: 'FAILED', retriable: false, detail: 'no such image' });
    const down = onRegionResult(t.failover, permanent, T0 + 10, limits);
    expect(down.failover.step).toBe('FAILED');
    expect(down.events[0]!.detail).toMatch(/^launch of l0:search failed: no such image/);
    const stale = onRegionResult(t.failover, result(search, T0 + 10, { status: 'REJECTED_STALE_EPOCH' }), T0, limits);
    expect(stale.failover.step).toBe('FAILED');
  });

  it('retries only the overdue launches on a tick', () => {
    const t = start();
    const dbReady = onRegionResult(t.failover, result(t.commands[1]!, T0 + 6_000), T0 + 6_000, limits);
    const tick = onRegionTick(dbReady.failover, T0 + 10_500, limits);
    // capacity and search were sent at T0; api only at T0 + 6 s.
    expect(tick.commands.map((c) => c.commandId)).toEqual([
      'rf:eu-1:e2:launch_level:provision:a2',
      'rf:eu-1:e2:launch_level:l0:search:a2',
    ]);
    expect(onRegionTick(tick.failover, T0 + 12_000, limits).commands).toEqual([]);
  });

  it('moves on to networking once every unit is ready, and names the critical path', () => {
    let t = start();
    let now = T0;
    const pending = [...t.commands];
    while (t.failover.step === 'LAUNCH') {
      const c = pending.shift()!;
      now += c.services.some((s) => s.service === 'search') && !c.provisionOnly ? 5_000 : 1_000;
      t = onRegionResult(t.failover, result(c, now), now, limits);
      pending.push(...t.commands.filter((x) => x.type === 'LAUNCH_LEVEL'));
    }
    expect(t.commands.map((c) => c.type)).toEqual(['CONFIGURE_NETWORKING']);
    expect(criticalPath(t.failover.units)).toEqual(['l0:search', 'l1:reports', 'l2:web']);
  });

  it('goes straight to networking for an empty blueprint', () => {
    const t = startRegionFailover({ blueprint: blueprint('eu-1', []), epoch: 1, dryRun: true, trigger: 't', now: T0 });
    expect(t.commands.map((c) => c.type)).toEqual(['CONFIGURE_NETWORKING']);
  });

  it('fails, rather than throws, on a failover stored by an older orchestrator version', () => {
    const { units: _units, ...rest } = start().failover;
    const legacy = { ...rest, levels: [], levelIndex: 0 } as unknown as RegionFailover;
    for (const t of [
      onRegionTick(legacy, T0 + 1, limits),
      onRegionResult(legacy, result(start().commands[0]!, T0), T0, limits),
    ]) {
      expect(t.failover.step).toBe('FAILED');
      expect(t.commands.map((c) => c.type)).toEqual(['ABORT']);
      expect(t.events[0]!.detail).toMatch(/older orchestrator version/);
    }
  });
});

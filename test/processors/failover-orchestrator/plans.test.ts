import { describe, expect, it } from 'vitest';
import type { ActuationResult } from '../../../schemas/records/actuation-result.js';
import { heartbeatLost } from '../../../streams/processors/failover-orchestrator/heartbeat.js';
import {
  onFailoverResult,
  planResourceFailover,
  snapshotOf,
} from '../../../streams/processors/failover-orchestrator/host-failover.js';
import { planLevels, startRegionFailover } from '../../../streams/processors/failover-orchestrator/region-failover.js';
import { newShadowRecord, requestShadow } from '../../../streams/processors/shadow-manager/lifecycle.js';
import { blueprint, deployment, T0 } from '../shadow-manager/fixtures.js';

const limits = { failoverStepTimeoutMs: 1_000, failoverMaxAttempts: 2, promoteSyncing: false };

describe('host failover plan', () => {
  const d = deployment('db-1', 'h1', 'CRITICAL');
  const ready = {
    ...requestShadow(newShadowRecord(d, 1, 'PREDICTED', 4, T0), { host: 'h3' }, T0, 'x').record,
    state: 'READY' as const,
    shadowAddress: 'h3:1',
  };
  const base = { failoverId: 'hf:h1:1', detectedAt: T0, now: T0 + 10, resource: snapshotOf(d, 3), currentEpoch: 4 };

  it('promotes a ready shadow at the next epoch after fencing the old primary', () => {
    const step = planResourceFailover(
      { ...base, shadow: ready, standardTarget: { host: 'h9', address: 'h9:1' } },
      limits,
    );
    expect(step.commands.map((c) => [c.type, c.targetHost, c.epoch])).toEqual([
      ['FENCE', 'h1', 5],
      ['PROMOTE', 'h3', 5],
    ]);
    expect(step.events[0]).toMatchObject({ step: 'PROMOTION_REQUESTED', elapsedMs: 10, resourceId: 'db-1' });
    const ok: ActuationResult = {
      commandId: step.failover.pendingCommandId,
      commandType: 'PROMOTE',
      subject: 'db-1',
      provider: 'sim',
      epoch: 5,
      status: 'SUCCEEDED',
      retriable: false,
      address: 'h3:1',
      lagBytes: null,
      lagMs: null,
      durationMs: 3,
      attempt: 1,
      detail: '',
      timestamp: T0 + 20,
    };
    const next = onFailoverResult(step.failover, ok, T0 + 20, limits);
    expect(next.commands).toEqual([expect.objectContaining({ type: 'REDIRECT', targetAddress: 'h3:1', epoch: 5 })]);
    expect(next.events[0]).toMatchObject({ step: 'SHADOW_PROMOTED', elapsedMs: 20 });
  });

  it('falls back to a standard deployment, or fails when no host is left', () => {
    const syncing = { ...ready, state: 'SYNCING' as const };
    const std = planResourceFailover(
      { ...base, shadow: syncing, standardTarget: { host: 'h9', address: 'h9:1' } },
      limits,
    );
    expect(std.commands).toEqual([expect.objectContaining({ type: 'DEPLOY_STANDARD', targetHost: 'h9', epoch: 5 })]);
    expect(
      planResourceFailover(
        { ...base, shadow: syncing, standardTarget: { host: 'h9', address: '' } },
        { ...limits, promoteSyncing: true },
      ).commands[1]?.type,
    ).toBe('PROMOTE');
    const none = planResourceFailover({ ...base, shadow: undefined, standardTarget: undefined }, limits);
    expect(none.failover.phase).toBe('FAILED');
    expect(none.events[0]!.step).toBe('FAILED');
  });
});

describe('heartbeat', () => {
  const l = { heartbeatIntervalMs: 10, heartbeatMissedIntervals: 3 };
  it('declares a silent host lost only after the detector itself ran long enough', () => {
    expect(heartbeatLost({ lastSeenAt: 0, failedAt: null }, 31, 0, l)).toBe(true);
    expect(heartbeatLost({ lastSeenAt: 0, failedAt: null }, 30, 0, l)).toBe(false);
    expect(heartbeatLost({ lastSeenAt: 0, failedAt: null }, 100, 90, l)).toBe(false);
    expect(heartbeatLost({ lastSeenAt: 0, failedAt: 5 }, 100, 0, l)).toBe(false);
    expect(heartbeatLost({ lastSeenAt: null, failedAt: null }, 100, 0, l)).toBe(false);
  });
});

describe('region plan', () => {
  it('groups services into DAG levels and rejects a dependency on a later level', () => {
    const bp = blueprint('eu-1', [
      { name: 'api', level: 1, dependsOn: ['db'] },
      { name: 'db', level: 0 },
    ]);
    expect(planLevels(bp).map((l) => [l.level, l.services.map((s) => s.service)])).toEqual([
      [0, ['db']],
      [1, ['api']],
    ]);
    const bad = blueprint('eu-1', [
      { name: 'api', level: 0, dependsOn: ['db'] },
      { name: 'db', level: 1 },
    ]);
    expect(() => planLevels(bad)).toThrow(/later level/);
  });

  it('derives a stable failover id and command ids from the epoch', () => {
    const bp = blueprint('eu-1', [{ name: 'db', level: 0 }]);
    const a = startRegionFailover({ blueprint: bp, epoch: 3, dryRun: false, trigger: 't', now: T0 });
    const b = startRegionFailover({ blueprint: bp, epoch: 3, dryRun: false, trigger: 't', now: T0 + 5 });
    expect(a.commands.map((c) => c.commandId)).toEqual([
      'rf:eu-1:e3:launch_level:provision:a1',
      'rf:eu-1:e3:launch_level:l0:db:a1',
    ]);
    expect(b.commands.map((c) => c.commandId)).toEqual(a.commands.map((c) => c.commandId));
  });
});

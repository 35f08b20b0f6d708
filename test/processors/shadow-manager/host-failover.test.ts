import { describe, expect, it } from 'vitest';
import type { ActuationResult } from '../../../schemas/records/actuation-result.js';
import { heartbeatLost } from '../../../streams/processors/shadow-manager/heartbeat.js';
import {
  advisePlan,
  EARLY_REDIRECT_CONFIG,
  isEarlyRedirectId,
  onFailoverResult,
  planResourceFailover,
  snapshotOf,
} from '../../../streams/processors/shadow-manager/host-failover.js';
import { newShadowRecord, requestShadow } from '../../../streams/processors/shadow-manager/lifecycle.js';
import { deployment, T0 } from './fixtures.js';

const limits = { failoverStepTimeoutMs: 1_000, failoverMaxAttempts: 2, promoteSyncing: false };

describe('host failover plan', () => {
  const d = deployment('db-1', 'h1', 'CRITICAL');
  const ready = {
    ...requestShadow(newShadowRecord(d, 1, 'PREDICTED', 4, T0), { host: 'h3' }, T0, 'x').record,
    state: 'READY' as const,
    shadowAddress: 'h3:1',
  };
  const base = { failoverId: 'hf:h1:1', detectedAt: T0, now: T0 + 10, resource: snapshotOf(d, 3), currentEpoch: 4 };
  /** The actuator's success for a command of db-1's failover at epoch 5 (shadow on h3). */
  const result = (commandId: string, commandType: 'PROMOTE' | 'REDIRECT', at: number): ActuationResult => ({
    commandId,
    commandType,
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
    timestamp: at,
  });

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
    const next = onFailoverResult(
      step.failover,
      result(step.failover.pendingCommandId, 'PROMOTE', T0 + 20),
      T0 + 20,
      limits,
    );
    expect(next.commands).toEqual([expect.objectContaining({ type: 'REDIRECT', targetAddress: 'h3:1', epoch: 5 })]);
    expect(next.events[0]).toMatchObject({ step: 'SHADOW_PROMOTED', elapsedMs: 20 });
  });

  it('redirects with the promotion when the load balancer checks the role, and still redirects after it', () => {
    const resource = { ...base.resource, config: { ...base.resource.config, [EARLY_REDIRECT_CONFIG]: 'true' } };
    const step = planResourceFailover(
      { ...base, resource, shadow: ready, standardTarget: { host: 'h9', address: 'h9:1' } },
      limits,
    );
    expect(step.commands.map((c) => [c.type, c.targetHost, c.targetAddress, c.epoch])).toEqual([
      ['FENCE', 'h1', 'h1.internal:6379', 5],
      ['PROMOTE', 'h3', 'h3:1', 5],
      ['REDIRECT', 'h3', 'h3:1', 5],
    ]);
    const early = step.commands[2]!;
    expect(isEarlyRedirectId(early.commandId)).toBe(true);
    // The plan waits for the PROMOTE, not for the early REDIRECT, whose result moves nothing on.
    expect(step.failover.pendingCommandId).toBe(step.commands[1]!.commandId);
    const unmoved = onFailoverResult(step.failover, result(early.commandId, 'REDIRECT', T0 + 15), T0 + 15, limits);
    expect(unmoved.failover).toBe(step.failover);
    expect(unmoved.commands).toEqual([]);
    // After the PROMOTE result, the plan's own REDIRECT, under another id (not a ledger duplicate).
    const next = onFailoverResult(
      step.failover,
      result(step.commands[1]!.commandId, 'PROMOTE', T0 + 20),
      T0 + 20,
      limits,
    );
    expect(next.commands).toEqual([expect.objectContaining({ type: 'REDIRECT', targetAddress: 'h3:1', epoch: 5 })]);
    expect(next.commands[0]!.commandId).not.toBe(early.commandId);
    expect(isEarlyRedirectId(next.commands[0]!.commandId)).toBe(false);
    const done = onFailoverResult(
      next.failover,
      result(next.commands[0]!.commandId, 'REDIRECT', T0 + 30),
      T0 + 30,
      limits,
    );
    expect(done.failover.phase).toBe('DONE');
    // Without the setting: fence and promote only (the test above).
  });

  it('recommends the redirect once in advise mode, though act mode sends it with the promotion too', () => {
    const resource = { ...base.resource, config: { ...base.resource.config, [EARLY_REDIRECT_CONFIG]: 'true' } };
    const planned = planResourceFailover(
      { ...base, resource, shadow: ready, standardTarget: { host: 'h9', address: 'h9:1' } },
      limits,
    );
    const advised = advisePlan(planned, T0 + 10, limits);
    expect(advised.commands.map((c) => [c.type, c.targetHost, c.advisory])).toEqual([
      ['FENCE', 'h1', true],
      ['PROMOTE', 'h3', true],
      ['REDIRECT', 'h3', true],
    ]);
    expect(advised.commands.some((c) => isEarlyRedirectId(c.commandId))).toBe(false);
    expect(advised.failover.phase).toBe('DONE');
    expect(advised.events).toEqual([expect.objectContaining({ step: 'FAILOVER_RECOMMENDED' })]);
    expect(advised.events[0]!.detail.match(/REDIRECT/g)).toHaveLength(1);
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

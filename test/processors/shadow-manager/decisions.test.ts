import { describe, expect, it } from 'vitest';
import type { ActuationResult } from '../../../schemas/records/actuation-result.js';
import { admit, fullBucket, refill } from '../../../streams/processors/shadow-manager/budget.js';
import { isStaleEpoch, shadowCommandId } from '../../../streams/processors/shadow-manager/commands.js';
import {
  backoffMs,
  newShadowRecord,
  onResult,
  onTick,
  replaceShadow,
  requestShadow,
  retire,
} from '../../../streams/processors/shadow-manager/lifecycle.js';
import { shadowManagerOptions } from '../../../streams/processors/shadow-manager/options.js';
import {
  choosePlacement,
  domainDistance,
  type HostCandidate,
  rankPlacements,
} from '../../../streams/processors/shadow-manager/placement.js';
import {
  isImminent,
  nextCalmSince,
  shadowPriority,
  shouldShadow,
  urgency,
} from '../../../streams/processors/shadow-manager/priority.js';
import { retirementDue, shadowHours } from '../../../streams/processors/shadow-manager/retirement.js';
import { deployment, host, risk, T0 } from './fixtures.js';

const opts = shadowManagerOptions({ maxAttemptsPerHost: 2, maxPlacements: 2, backoffBaseMs: 1_000 });

describe('trigger and dynamic weighting', () => {
  it('shadows only a deviating, rising host at or above the enter threshold', () => {
    expect(shouldShadow(risk('h', 0.7, T0), opts)).toBe(true);
    expect(shouldShadow(risk('h', 0.7, T0, { rising: false }), opts)).toBe(false);
    expect(shouldShadow(risk('h', 0.7, T0, { deviating: false }), opts)).toBe(false);
    expect(shouldShadow(risk('h', 0.55, T0), opts)).toBe(false);
  });

  it('also shadows a deviating host whose failure is imminent although its risk no longer rises', () => {
    expect(shouldShadow(risk('h', 0.99, T0, { rising: false }), opts)).toBe(true);
    // imminent means within the horizon
    expect(shouldShadow(risk('h', 0.99, T0, { rising: false, timeToFailureMs: 7_200_000 }), opts)).toBe(false);
    expect(shouldShadow(risk('h', 0.99, T0, { rising: false, deviating: false }), opts)).toBe(false);
  });

  it('keeps calm-since through the hysteresis band and clears it above the exit threshold', () => {
    expect(nextCalmSince(null, risk('h', 0.2, T0), T0, opts)).toBe(T0);
    expect(nextCalmSince(T0, risk('h', 0.1, T0 + 5), T0 + 5, opts)).toBe(T0);
    expect(nextCalmSince(T0, risk('h', 0.45, T0 + 9), T0 + 9, opts)).toBeNull();
  });

  it('puts every imminent resource first and orders them strictly by tier', () => {
    const imminent = (tier: 'CRITICAL' | 'LOW', pFail: number) =>
      shadowPriority({ tier, pFail, timeToFailureMs: 60_000, horizonMs: 3_600_000 }, 0.9);
    const calm = shadowPriority({ tier: 'CRITICAL', pFail: 0.89, timeToFailureMs: 0, horizonMs: 3_600_000 }, 0.9);
    expect(imminent('LOW', 0.91)).toBeGreaterThan(calm);
    expect(imminent('CRITICAL', 0.91)).toBeGreaterThan(imminent('LOW', 1));
    expect(isImminent({ pFail: 0.95, timeToFailureMs: 7_200_000, horizonMs: 3_600_000 }, 0.9)).toBe(false);
    expect(urgency(0, 1_000)).toBe(1);
    expect(urgency(1_000, 1_000)).toBe(0.5);
  });
});

describe('budget and rate limit', () => {
  const entry = (id: string, priority: number, cpu = 1) => ({ resourceId: id, priority, enqueuedAt: T0, cpu });
  const limits = { maxConcurrentShadows: 2, maxFleetShare: 0.1, createsPerMinute: 6, createBurst: 5 };

  it('admits by priority and defers the rest with a reason', () => {
    const a = admit(
      [entry('low', 0.1), entry('high', 2.5), entry('mid', 1)],
      { activeShadows: 0, reservedCpu: 0, fleetCpu: 100 },
      fullBucket(limits, T0),
      limits,
    );
    expect(a.admitted.map((e) => e.resourceId)).toEqual(['high', 'mid']);
    expect(a.deferred).toEqual([{ entry: entry('low', 0.1), reason: 'MAX_CONCURRENT' }]);
    expect(a.bucket.tokens).toBe(3);
  });

  it('caps reserved CPU by fleet share without letting a big entry block small ones', () => {
    const a = admit(
      [entry('big', 2, 8), entry('small', 1, 2)],
      { activeShadows: 0, reservedCpu: 5, fleetCpu: 100 },
      fullBucket(limits, T0),
      limits,
    );
    expect(a.admitted.map((e) => e.resourceId)).toEqual(['small']);
    expect(a.deferred[0]).toMatchObject({ reason: 'FLEET_SHARE' });
  });

  it('refills tokens with time, up to the burst, never backwards', () => {
    const empty = { tokens: 0, refilledAt: T0 };
    expect(refill(empty, T0 + 10_000, limits).tokens).toBeCloseTo(1);
    expect(refill(empty, T0 + 3_600_000, limits).tokens).toBe(5);
    expect(refill(empty, T0 - 1, limits)).toBe(empty);
  });
});

describe('placement', () => {
  const req = {
    resourceId: 'db-1',
    region: 'eu-1',
    zone: 'a',
    rack: 'r1',
    cpu: 2,
    memoryMb: 2048,
    excludeHosts: ['h1'],
  };
  const cand = (name: string, zone: string, rack: string, over: Partial<HostCandidate> = {}): HostCandidate => ({
    host: host(name, zone, rack),
    pFail: 0.01,
    failed: false,
    usedCpu: 0,
    usedMemoryMb: 0,
    recentDeployFailures: 0,
    ...over,
  });

  it('prefers another zone, then another rack', () => {
    expect(domainDistance(req, { zone: 'b', rack: 'r1' })).toBe(2);
    expect(domainDistance(req, { zone: 'a', rack: 'r2' })).toBe(1);
    expect(choosePlacement(req, [cand('h2', 'a', 'r2'), cand('h3', 'b', 'r1', { usedCpu: 10 })], opts)?.host.host).toBe(
      'h3',
    );
    expect(choosePlacement(req, [cand('h2', 'a', 'r2'), cand('h5', 'a', 'r1')], opts)?.host.host).toBe('h2');
  });

  it('excludes the primary, unhealthy, failed, full, down and foreign-region hosts', () => {
    const ranked = rankPlacements(
      req,
      [
        cand('h1', 'b', 'r1'),
        cand('risky', 'b', 'r1', { pFail: 0.5 }),
        cand('dead', 'b', 'r1', { failed: true }),
        cand('full', 'b', 'r1', { usedCpu: 15 }),
        { ...cand('down', 'b', 'r1'), host: host('down', 'b', 'r1', { state: 'DRAINING' }) },
        { ...cand('far', 'b', 'r1'), host: host('far', 'b', 'r1', { region: 'us-1' }) },
      ],
      opts,
    );
    expect(ranked).toEqual([]);
  });

  it('counts recent failed deployments against a host and breaks ties by name', () => {
    const ranked = rankPlacements(
      req,
      [cand('h9', 'b', 'r1', { recentDeployFailures: 2 }), cand('h8', 'b', 'r1'), cand('h7', 'b', 'r1')],
      opts,
    );
    expect(ranked.map((r) => r.host.host)).toEqual(['h7', 'h8', 'h9']);
  });

  it('chooses in one pass the host the full ranking puts first', () => {
    let seed = 11;
    const rand = (n: number): number => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed % n;
    };
    for (let round = 0; round < 200; round++) {
      const list = Array.from({ length: 1 + rand(40) }, (_, i) =>
        cand(`h${rand(30)}-${i}`, ['a', 'b', 'c'][rand(3)]!, `r${rand(3)}`, {
          pFail: rand(40) / 100,
          usedCpu: rand(16),
          usedMemoryMb: 1024 * rand(64),
          recentDeployFailures: rand(3),
          failed: rand(10) === 0,
        }),
      );
      expect(choosePlacement(req, list, opts)).toEqual(rankPlacements(req, list, opts)[0]);
    }
  });
});

describe('lifecycle', () => {
  const d = deployment('db-1', 'h1', 'CRITICAL');
  const result = (commandId: string, over: Partial<ActuationResult> = {}): ActuationResult => ({
    commandId,
    commandType: 'CREATE',
    subject: 'db-1',
    provider: 'sim',
    epoch: 0,
    status: 'SUCCEEDED',
    retriable: false,
    address: 'h3:6379',
    lagBytes: 10,
    lagMs: 50,
    durationMs: 5,
    attempt: 1,
    detail: '',
    timestamp: T0,
    ...over,
  });

  it('goes requested → provisioning → syncing → ready with deterministic command ids', () => {
    const q = newShadowRecord(d, 2.5, 'PREDICTED', 0, T0);
    const req = requestShadow(q, { host: 'h3' }, T0, 'placed');
    expect(req.commands[0]!.commandId).toBe('create:db-1:e0:c1:p1:a1');
    expect(requestShadow(q, { host: 'h3' }, T0 + 99, 'placed').commands[0]!.commandId).toBe(req.commands[0]!.commandId);
    const prov = onResult(
      req.record,
      result(req.record.pendingCommandId, { status: 'IN_PROGRESS' }),
      T0 + 1,
      opts,
    ).record;
    expect(prov.state).toBe('PROVISIONING');
    const syncing = onResult(prov, result(prov.pendingCommandId, { lagMs: 60_000 }), T0 + 2, opts).record;
    expect(syncing).toMatchObject({ state: 'SYNCING', shadowAddress: 'h3:6379', lagMs: 60_000 });
    const poll = onTick(syncing, T0 + 2 + opts.syncPollMs, opts);
    expect(poll.commands[0]).toMatchObject({ type: 'REPORT_SYNC', commandId: 'report_sync:db-1:e0:c1:p1:s1' });
    const ready = onResult(
      poll.record,
      result('report_sync:db-1:e0:c1:p1:s1', { commandType: 'REPORT_SYNC', lagMs: 10 }),
      T0 + 3,
      opts,
    ).record;
    expect(ready.state).toBe('READY');
    // A late duplicate of the CREATE result changes nothing.
    expect(onResult(ready, result(req.record.pendingCommandId), T0 + 4, opts).record).toBe(ready);
  });

  it('retries with exponential backoff, then asks for re-placement, then fails', () => {
    expect([1, 2, 3, 10].map((a) => backoffMs(a, { backoffBaseMs: 1_000, backoffMaxMs: 5_000 }))).toEqual([
      1_000, 2_000, 4_000, 5_000,
    ]);
    let t = requestShadow(newShadowRecord(d, 1, 'PREDICTED', 0, T0), { host: 'h3' }, T0, 'placed');
    t = onResult(t.record, result(t.record.pendingCommandId, { status: 'FAILED', retriable: true }), T0, opts);
    expect(t.record.retryAt).toBe(T0 + 1_000);
    expect(onTick(t.record, T0 + 500, opts).commands).toEqual([]);
    t = onTick(t.record, T0 + 1_000, opts);
    expect(t.commands[0]).toMatchObject({ commandId: 'create:db-1:e0:c1:p1:a2', attempt: 2 });
    t = onResult(t.record, result(t.record.pendingCommandId, { status: 'FAILED', retriable: true }), T0 + 2_000, opts);
    expect(t.needsPlacement).toBe(true);
    expect(t.record.excludedHosts).toEqual(['h3']);
    expect(t.commands[0]).toMatchObject({ type: 'RETIRE', targetHost: 'h3' });
    t = replaceShadow(t.record, { host: 'h4' }, T0 + 2_000, opts);
    expect(t.commands[0]).toMatchObject({ type: 'CREATE', targetHost: 'h4', commandId: 'create:db-1:e0:c1:p2:a1' });
    // Provisioning that never answers times out into the same path; placements are then spent.
    t = onTick(t.record, T0 + 2_001 + opts.provisionTimeoutMs, opts);
    t = onTick(t.record, (t.record.retryAt ?? 0) + 1, opts);
    t = onResult(
      t.record,
      result(t.record.pendingCommandId, { status: 'FAILED', retriable: false }),
      T0 + 300_000,
      opts,
    );
    expect(replaceShadow(t.record, { host: 'h5' }, T0 + 300_000, opts).record.state).toBe('FAILED');
  });

  it('retires with a command only when something was reserved, and accounts shadow time', () => {
    const q = newShadowRecord(d, 1, 'PREDICTED', 0, T0);
    expect(retire(q, T0 + 5, 'gone').commands).toEqual([]);
    const placed = requestShadow(q, { host: 'h3' }, T0, 'placed').record;
    const retired = retire(placed, T0 + 7_200_000, 'idle');
    expect(retired.commands[0]).toMatchObject({ type: 'RETIRE', commandId: 'retire:db-1:e0:c1:p1' });
    expect(retired.record.shadowMs).toBe(7_200_000);
    expect(retired.record.accountedAt).toBeNull();
  });
});

describe('retirement and shadow-hours', () => {
  it('retires predicted shadows after the TTL of calm, never operator ones', () => {
    const r = { state: 'READY' as const, origin: 'PREDICTED' as const, createdAt: T0 };
    expect(retirementDue(r, T0 + 10, T0 + 60_009, { idleTtlMs: 60_000 })).toBe(false);
    expect(retirementDue(r, T0 + 10, T0 + 60_010, { idleTtlMs: 60_000 })).toBe(true);
    expect(retirementDue(r, null, T0 + 1e9, { idleTtlMs: 60_000 })).toBe(false);
    expect(retirementDue({ ...r, origin: 'OPERATOR' }, T0, T0 + 1e9, { idleTtlMs: 60_000 })).toBe(false);
  });

  it('sums shadow-hours per resource and region including open intervals', () => {
    const base = newShadowRecord(deployment('db-1', 'h1', 'HIGH'), 1, 'PREDICTED', 0, T0);
    const s = (id: string, region: string, state: 'READY' | 'RETIRED', shadowMs: number) => ({
      ...base,
      resourceId: id,
      region,
      state,
      shadowMs,
      shadowHost: 'h3',
      shadowAddress: '',
      updatedAt: T0,
    });
    const report = shadowHours(
      [s('a', 'eu-1', 'READY', 3_600_000), s('b', 'eu-1', 'RETIRED', 1_800_000), s('c', 'us-1', 'RETIRED', 0)],
      T0 + 3_600_000,
    );
    expect(report.resources.map((r) => r.shadowHours)).toEqual([2, 0.5, 0]);
    expect(report.regions).toEqual([
      { region: 'eu-1', shadowHours: 2.5, activeShadows: 1 },
      { region: 'us-1', shadowHours: 0, activeShadows: 0 },
    ]);
  });
});

describe('commands and fencing', () => {
  it('derives ids from the decision only and refuses older epochs', () => {
    expect(shadowCommandId({ type: 'PROMOTE', resourceId: 'db-1', epoch: 3, attempt: 1 })).toBe('promote:db-1:e3:a1');
    expect(isStaleEpoch(2, 3)).toBe(true);
    expect(isStaleEpoch(3, 3)).toBe(false);
    expect(isStaleEpoch(0, undefined)).toBe(false);
  });

  it('rejects options without hysteresis', () => {
    expect(() => shadowManagerOptions({ enterThreshold: 0.3, exitThreshold: 0.5 })).toThrow(/hysteresis/);
  });
});

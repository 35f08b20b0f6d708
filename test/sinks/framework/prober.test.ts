/**
 * The prober's logic without a network: which resources become targets (deployments, a promoted
 * shadow, per-resource settings), how one probe is timed and classified (TIMEOUT vs the prober's
 * own STALLED), and the per-target loops (interval, no overlap, targets replaced and removed).
 * Real Redis and TCP probes are exercised in test/sinks/redis/failure-detection.it.test.ts.
 */
import { describe, expect, it } from 'vitest';
import type { Deployment } from '../../../schemas/records/deployment.js';
import type { ResourceProbe } from '../../../schemas/records/resource-probe.js';
import type { ShadowState } from '../../../schemas/records/shadow-state.js';
import { ProbeTargetTable } from '../../../sinks/framework/probe-targets.js';
import {
  outcomeOfError,
  type Probe,
  type ProbeResult,
  type ProbeTarget,
} from '../../../sinks/framework/probe-types.js';
import { type ObservationSink, ResourceProber } from '../../../sinks/framework/prober.js';

const T0 = Date.UTC(2026, 5, 1);

function deployment(over: Partial<Deployment> = {}): Deployment {
  return {
    resourceId: 'redis-1',
    kind: 'redis',
    service: 'cache',
    host: 'h1',
    region: 'r1',
    zone: 'r1-a',
    rack: 'a1',
    tier: 'CRITICAL',
    config: {},
    configRef: '',
    replication: true,
    address: '10.0.0.1:6379',
    cpu: 1,
    memoryMb: 256,
    outcome: 'SUCCEEDED',
    deployedAt: T0,
    ...over,
  };
}

function promoted(over: Partial<ShadowState> = {}): ShadowState {
  return {
    resourceId: 'redis-1',
    kind: 'redis',
    region: 'r1',
    primaryHost: 'h1',
    shadowHost: 'h2',
    shadowAddress: '10.0.0.2:6400',
    state: 'PROMOTED',
    epoch: 2,
    tier: 'CRITICAL',
    priority: 1,
    lagBytes: 0,
    lagMs: 0,
    attempts: 1,
    reason: '',
    createdAt: T0,
    updatedAt: T0 + 60_000,
    shadowMs: 0,
    advisory: false,
    ...over,
  };
}

describe('probe targets', () => {
  const table = (warnings: string[] = []) =>
    new ProbeTargetTable(
      { intervalMs: 1_000, downAfterMs: 3_000 },
      (k) => k === 'redis' || k === 'postgres',
      (msg, f) => warnings.push(`${msg} ${JSON.stringify(f)}`),
    );

  it("probes a deployment's primary with the defaults, expecting a Redis primary's role", () => {
    const t = table();
    t.onDeployment('redis-1', deployment());
    t.onDeployment('pg-1', deployment({ resourceId: 'pg-1', kind: 'postgres', address: '10.0.0.3:5432' }));
    t.onDeployment('sim-1', deployment({ resourceId: 'sim-1', kind: 'simulated' }));
    expect(t.targets()).toEqual([
      {
        resourceId: 'pg-1',
        host: 'h1',
        region: 'r1',
        kind: 'postgres',
        address: '10.0.0.3:5432',
        expectedRole: '',
        intervalMs: 1_000,
        downAfterMs: 3_000,
        timeoutMs: 3_000,
      },
      {
        resourceId: 'redis-1',
        host: 'h1',
        region: 'r1',
        kind: 'redis',
        address: '10.0.0.1:6379',
        expectedRole: 'master',
        intervalMs: 1_000,
        downAfterMs: 3_000,
        timeoutMs: 3_000,
      },
    ]);
  });

  it('takes per-resource settings from the config, ignoring (and reporting once) bad ones', () => {
    const warnings: string[] = [];
    const t = table(warnings);
    t.onDeployment(
      'redis-1',
      deployment({ config: { 'probe.intervalMs': '250', 'probe.downAfterMs': 'soon', 'probe.timeoutMs': '200' } }),
    );
    expect(t.targets()[0]).toMatchObject({ intervalMs: 250, downAfterMs: 3_000, timeoutMs: 200 });
    t.targets();
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('probe.downAfterMs');
    t.onDeployment('redis-1', deployment({ config: { 'probe.enabled': 'false' } }));
    expect(t.targets()).toEqual([]);
  });

  it('a prober given a group probes only the resources of that group', () => {
    const t = new ProbeTargetTable({ intervalMs: 1_000, downAfterMs: 3_000, group: 'drill-1' }, () => true);
    t.onDeployment('redis-1', deployment());
    t.onDeployment('redis-2', deployment({ resourceId: 'redis-2', config: { 'probe.group': 'drill-1' } }));
    t.onDeployment('redis-3', deployment({ resourceId: 'redis-3', config: { 'probe.group': 'other' } }));
    expect(t.targets().map((x) => x.resourceId)).toEqual(['redis-2']);
  });

  it('follows a promoted shadow newer than the deployment, and forgets removed resources', () => {
    const t = table();
    t.onDeployment('redis-1', deployment());
    t.onShadowState('redis-1', promoted({ updatedAt: T0 - 1 }));
    expect(t.targets()[0]).toMatchObject({ host: 'h1', address: '10.0.0.1:6379' });
    t.onShadowState('redis-1', promoted());
    expect(t.targets()[0]).toMatchObject({ host: 'h2', address: '10.0.0.2:6400', expectedRole: 'master' });
    // Redeployed since: the deployment names the primary again.
    t.onDeployment('redis-1', deployment({ host: 'h3', address: '10.0.0.4:6379', deployedAt: T0 + 120_000 }));
    expect(t.targets()[0]).toMatchObject({ host: 'h3', address: '10.0.0.4:6379' });
    t.onDeployment('redis-1', deployment({ outcome: 'REMOVED' }));
    expect(t.targets()).toEqual([]);
  });
});

const target = (over: Partial<ProbeTarget> = {}): ProbeTarget => ({
  resourceId: 'redis-1',
  host: 'h1',
  region: 'r1',
  kind: 'redis',
  address: '10.0.0.1:6379',
  expectedRole: 'master',
  intervalMs: 40,
  downAfterMs: 100,
  timeoutMs: 100,
  ...over,
});

/** A probe that answers after `ms`, or TIMEOUT when aborted first. */
function slowProbe(ms: number, answer: ProbeResult = { outcome: 'OK', observedRole: 'master' }): Probe {
  return {
    method: 'OTHER',
    probe: (_t, signal) =>
      new Promise((resolve) => {
        const timer = setTimeout(() => resolve(answer), ms);
        signal.addEventListener('abort', () => {
          clearTimeout(timer);
          resolve({ outcome: 'TIMEOUT' });
        });
      }),
  };
}

class MemorySink implements ObservationSink {
  readonly seen: ResourceProbe[] = [];
  async publish(o: ResourceProbe): Promise<void> {
    this.seen.push(o);
  }
  async close(): Promise<void> {}
}

describe('one probe', () => {
  const prober = new ResourceProber({ vantage: 'v1', stallToleranceMs: 200 }, () => undefined, new MemorySink());

  it('answers within the timeout: OK with its latency and role', async () => {
    const o = await prober.probeOnce(target(), slowProbe(5));
    expect(o).toMatchObject({
      outcome: 'OK',
      observedRole: 'master',
      vantage: 'v1',
      method: 'OTHER',
      downAfterMs: 100,
    });
    expect(o.timestamp).toBeGreaterThanOrEqual(o.startedAt);
  });

  it('no answer within the timeout: TIMEOUT', async () => {
    const o = await prober.probeOnce(target(), slowProbe(10_000));
    expect(o.outcome).toBe('TIMEOUT');
    expect(o.latencyMs).toBeGreaterThanOrEqual(95);
  });

  it('a prober frozen past its own timeout reports STALLED, not TIMEOUT', async () => {
    const pending = prober.probeOnce(target(), slowProbe(10_000));
    const until = Date.now() + 700;
    while (Date.now() < until) {
      // The event loop is blocked: the timeout cannot fire on time (as under SIGSTOP).
    }
    const o = await pending;
    expect(o.outcome).toBe('STALLED');
    expect(o.detail).toContain('prober stalled');
  });

  it('a probe that throws is an ERROR observation, not a crash', async () => {
    const o = await prober.probeOnce(target(), {
      method: 'OTHER',
      probe: () => Promise.reject(new Error('bug')),
    });
    expect(o).toMatchObject({ outcome: 'ERROR' });
    expect(o.detail).toContain('bug');
  });

  it('classifies socket errors: nothing listening is REFUSED', () => {
    expect(outcomeOfError(Object.assign(new Error('x'), { code: 'ECONNREFUSED' })).outcome).toBe('REFUSED');
    expect(outcomeOfError(Object.assign(new Error('x'), { code: 'ECONNRESET' })).outcome).toBe('REFUSED');
    expect(outcomeOfError(Object.assign(new Error('x'), { code: 'ETIMEDOUT' })).outcome).toBe('TIMEOUT');
    expect(outcomeOfError(new Error('LOADING Redis is loading the dataset in memory')).outcome).toBe('ERROR');
  });
});

describe('probe loops', () => {
  it('probes each target every interval, one probe at a time, and stops removed targets', async () => {
    const sink = new MemorySink();
    let inFlight = 0;
    let maxInFlight = 0;
    const probe: Probe = {
      method: 'OTHER',
      probe: async () => {
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        await new Promise((r) => setTimeout(r, 60));
        inFlight--;
        return { outcome: 'OK' };
      },
    };
    const prober = new ResourceProber({ vantage: 'v1' }, (k) => (k === 'redis' ? probe : undefined), sink);
    prober.setTargets([target({ intervalMs: 25, timeoutMs: 500 }), target({ resourceId: 'x', kind: 'unknown' })]);
    expect(prober.targets().map((t) => t.resourceId)).toEqual(['redis-1']);
    await new Promise((r) => setTimeout(r, 600));
    // Probes of 60 ms on a 25 ms grid: never overlapping, so about one per 75 ms.
    expect(maxInFlight).toBe(1);
    const first = sink.seen.length;
    expect(first).toBeGreaterThanOrEqual(3);
    expect(first).toBeLessThanOrEqual(12);
    // Moved to a new address: the old loop stops, a new one starts.
    prober.setTargets([target({ intervalMs: 25, timeoutMs: 500, address: '10.0.0.2:6379' })]);
    await new Promise((r) => setTimeout(r, 300));
    expect(sink.seen.some((o) => o.address === '10.0.0.2:6379')).toBe(true);
    prober.setTargets([]);
    await new Promise((r) => setTimeout(r, 100));
    const settled = sink.seen.length;
    await new Promise((r) => setTimeout(r, 200));
    expect(sink.seen.length).toBe(settled);
    await prober.stop();
  });
});

import { describe, expect, it } from 'vitest';
import type { RiskLevel } from '../../../schemas/records/host-risk.js';
import type { RegionHealth } from '../../../schemas/records/region-health.js';
import { FAILURES_TOPIC, REGION_HEALTH_TOPIC, RISK_TOPIC } from '../../../streams/catalogue.js';
import {
  applyFailure,
  applyRisk,
  assessRegion,
  DEFAULT_HEALTH_POLICY,
  type HostFailureInput,
  type HostHealth,
  type HostRiskInput,
  healthChanged,
} from '../../../streams/processors/region-health/assess.js';
import { regionHealthTopology } from '../../../streams/processors/region-health/topology.js';
import { jsonSerde } from '../../../streams/runtime/serdes.js';
import { TopologyTestDriver } from '../../../streams/testing/topology-test-driver.js';

const T0 = 1_700_000_000_000;

function hosts(n: number, level: RiskLevel = 'OK', pFail = 0.05): HostHealth[] {
  return Array.from({ length: n }, (_, i) =>
    applyRisk(undefined, { host: `h${i}`, region: 'r', timestamp: T0, pFail, level }),
  );
}

describe('assessRegion', () => {
  it('is HEALTHY with fresh, low risk', () => {
    const h = assessRegion('r', hosts(10), T0 + 1000);
    expect(h).toMatchObject({ status: 'HEALTHY', hostCount: 10, hostsAtRisk: 0, hostsFailed: 0, reasons: [] });
    expect(h.meanPFail).toBeCloseTo(0.05, 6);
  });

  it('is DEGRADED when enough hosts are at risk or failed, with reasons', () => {
    const list = hosts(10);
    list[0] = applyRisk(list[0], { host: 'h0', region: 'r', timestamp: T0 + 1, pFail: 0.95, level: 'CRITICAL' });
    list[1] = applyRisk(list[1], { host: 'h1', region: 'r', timestamp: T0 + 1, pFail: 0.6, level: 'WARNING' });
    const degraded = assessRegion('r', list, T0 + 1000);
    expect(degraded.status).toBe('DEGRADED');
    expect(degraded.hostsAtRisk).toBe(2);
    expect(degraded.reasons).toContain('2/10 hosts at risk (20% >= 20%)');
    expect(degraded.reasons).toContain('critical: h0');
    list[5] = applyFailure(list[5], { host: 'h5', region: 'r', timestamp: T0 + 2, kind: 'DISK' });
    const withFailure = assessRegion('r', list, T0 + 1000);
    expect(withFailure.hostsFailed).toBe(1);
    expect(withFailure.reasons).toContain('1/10 hosts failed (10% >= 10%)');
    expect(withFailure.reasons).toContain('failed: h5 (DISK)');
  });

  it('is FAILED when half the hosts failed, and recovers as failures age out or hosts report healthy', () => {
    let list = hosts(4);
    list = list.map((h, i) =>
      i < 2 ? applyFailure(h, { host: h.host, region: 'r', timestamp: T0 + 10, kind: 'CRASH' }) : h,
    );
    expect(assessRegion('r', list, T0 + 20).status).toBe('FAILED');
    // h0 reports OK after the recovery grace: it is back.
    list[0] = applyRisk(list[0], {
      host: 'h0',
      region: 'r',
      timestamp: T0 + 10 + DEFAULT_HEALTH_POLICY.recoveryGraceMs,
      pFail: 0.01,
      level: 'OK',
    });
    const partly = assessRegion('r', list, T0 + 10 + DEFAULT_HEALTH_POLICY.recoveryGraceMs);
    expect(partly.status).toBe('DEGRADED');
    expect(partly.hostsFailed).toBe(1);
    // The other failure ages out after its TTL; stale risk readings stop counting too.
    const later = assessRegion('r', list, T0 + 10 + DEFAULT_HEALTH_POLICY.failureTtlMs + 1);
    expect(later.hostsFailed).toBe(0);
    expect(later.status).toBe('HEALTHY');
  });

  it('detects changes worth publishing', () => {
    const a = assessRegion('r', hosts(3), T0);
    expect(healthChanged(undefined, a)).toBe(true);
    expect(healthChanged(a, { ...a, timestamp: T0 + 5 })).toBe(false);
    expect(healthChanged(a, { ...a, status: 'DEGRADED' })).toBe(true);
  });
});

describe('region-health topology (test driver)', () => {
  it('folds risk and failures (also failures without a region) into region status changes', async () => {
    const driver = new TopologyTestDriver(
      regionHealthTopology({
        serdes: {
          risk: jsonSerde<HostRiskInput>(),
          failure: jsonSerde<HostFailureInput>(),
          health: jsonSerde<RegionHealth>(),
        },
      }),
    );
    const risk = (host: string, region: string, t: number, pFail: number, level: RiskLevel) =>
      driver.pipeInput(RISK_TOPIC, host, { host, region, timestamp: t, pFail, level }, t);
    for (let i = 0; i < 4; i++) await risk(`eu-${i}`, 'eu', T0, 0.02, 'OK');
    for (let i = 0; i < 2; i++) await risk(`us-${i}`, 'us', T0, 0.02, 'OK');
    const first = driver.readOutput<string, RegionHealth>(REGION_HEALTH_TOPIC);
    // Each new host changes the count, so each is published; the last per region is what counts.
    const latest = new Map(first.map((r) => [r.key, r.value]));
    expect(latest.get('eu')).toMatchObject({ status: 'HEALTHY', hostCount: 4 });
    expect(latest.get('us')).toMatchObject({ status: 'HEALTHY', hostCount: 2 });
    // Same readings again: no new output.
    await risk('eu-0', 'eu', T0 + 1000, 0.02, 'OK');
    expect(driver.readOutput(REGION_HEALTH_TOPIC)).toHaveLength(0);
    // A failure with no region is attributed through the host's last risk reading.
    await driver.pipeInput(
      FAILURES_TOPIC,
      'eu-1',
      { host: 'eu-1', region: '', timestamp: T0 + 2000, kind: 'CRASH' },
      T0 + 2000,
    );
    const degraded = driver.readOutput<string, RegionHealth>(REGION_HEALTH_TOPIC);
    expect(degraded).toHaveLength(1);
    expect(degraded[0]!.key).toBe('eu');
    expect(degraded[0]!.value).toMatchObject({ status: 'DEGRADED', hostsFailed: 1 });
    await driver.pipeInput(
      FAILURES_TOPIC,
      'eu-2',
      { host: 'eu-2', region: 'eu', timestamp: T0 + 3000, kind: 'NETWORK' },
      T0 + 3000,
    );
    const failed = driver.readOutput<string, RegionHealth>(REGION_HEALTH_TOPIC);
    expect(failed.at(-1)!.value).toMatchObject({ region: 'eu', status: 'FAILED', hostsFailed: 2 });
    expect(failed.at(-1)!.value.reasons[0]).toBe('2/4 hosts failed (50% >= 50%)');
  });

  it('does not count a failed resource (resourceId set) as a failed host', async () => {
    const driver = new TopologyTestDriver(
      regionHealthTopology({
        serdes: {
          risk: jsonSerde<HostRiskInput>(),
          failure: jsonSerde<HostFailureInput>(),
          health: jsonSerde<RegionHealth>(),
        },
      }),
    );
    for (let i = 0; i < 2; i++)
      await driver.pipeInput(
        RISK_TOPIC,
        `eu-${i}`,
        { host: `eu-${i}`, region: 'eu', timestamp: T0, pFail: 0.02, level: 'OK' },
        T0,
      );
    driver.readOutput(REGION_HEALTH_TOPIC);
    await driver.pipeInput(
      FAILURES_TOPIC,
      'eu-1',
      { host: 'eu-1', region: 'eu', timestamp: T0 + 1000, kind: 'CRASH', resourceId: 'redis-1' },
      T0 + 1000,
    );
    expect(driver.readOutput(REGION_HEALTH_TOPIC)).toEqual([]);
    await driver.pipeInput(
      FAILURES_TOPIC,
      'eu-1',
      { host: 'eu-1', region: 'eu', timestamp: T0 + 2000, kind: 'CRASH' },
      T0 + 2000,
    );
    expect(driver.readOutput<string, RegionHealth>(REGION_HEALTH_TOPIC).at(-1)!.value).toMatchObject({
      hostsFailed: 1,
    });
  });
});

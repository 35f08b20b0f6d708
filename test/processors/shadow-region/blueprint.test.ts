import { describe, expect, it } from 'vitest';
import {
  decodeFingerprint,
  encodeFingerprint,
} from '../../../streams/processors/capacity-fingerprint/fingerprint-codec.js';
import type { ServiceProfile } from '../../../streams/processors/capacity-fingerprint/profile.js';
import { buildDag } from '../../../streams/processors/dependency-map/dag.js';
import {
  blueprintShape,
  buildBlueprint,
  DEFAULT_SIZING,
  type DeploymentRow,
  resizedServices,
  sizeService,
} from '../../../streams/processors/shadow-region/blueprint.js';
import { profileFromSamples } from '../../fixtures/regions/profiles.js';
import { generateDeployments, generateRegion, generateSamples } from '../../fixtures/regions/synthetic-region.js';

const T0 = 1_700_000_000_000;

function service(instances: number, cpuP95: number, memP95: number, connP95?: number): ServiceProfile {
  const m = (p95: number) => ({ mean: p95 / 2, std: 0.1, p50: p95 / 2, p90: p95 * 0.9, p95, p99: p95 * 1.1, ewma: [] });
  return {
    service: 's',
    hostCount: instances,
    instanceCount: instances,
    sampleCount: 100,
    metrics: { cpu: m(cpuP95), memory: m(memP95), ...(connP95 !== undefined ? { connections: m(connP95) } : {}) },
  };
}

describe('sizing', () => {
  it('carries p95 demand plus headroom at the target utilisation', () => {
    // 4 instances at p95 CPU 0.7 = 2.8 instance-equivalents; × 1.3 / 0.7 = 5.2 → 6.
    expect(sizeService(service(4, 0.7, 0.2), 4)).toEqual({ instances: 6, drivenBy: 'cpu' });
    // Memory-bound service.
    expect(sizeService(service(4, 0.1, 0.35), 4)).toEqual({ instances: 3, drivenBy: 'memory' });
    // Nearly idle: the minimum.
    expect(sizeService(service(4, 0.01, 0.01), 4, { ...DEFAULT_SIZING, minInstances: 2 })).toEqual({
      instances: 2,
      drivenBy: 'minimum',
    });
    // Connection-bound when a per-instance limit is configured.
    expect(sizeService(service(2, 0.1, 0.1, 900), 2, { ...DEFAULT_SIZING, maxConnectionsPerInstance: 500 })).toEqual({
      instances: 5,
      drivenBy: 'connections',
    });
    // Percent-scaled utilisation.
    expect(sizeService(service(4, 70, 20), 4, { ...DEFAULT_SIZING, utilisationScale: 100 }).instances).toBe(6);
    // No profile yet: mirror the deployments.
    expect(sizeService(undefined, 3)).toEqual({ instances: 3, drivenBy: 'deployments' });
  });
});

describe('blueprint from fingerprint + DAG + deployments', () => {
  const region = generateRegion({ region: 'eu-bp', services: 50, edges: 200, cycles: 3, seed: 4 });
  const deployments = generateDeployments(region, T0) as unknown as DeploymentRow[];
  const dag = buildDag(
    region.region,
    region.services.map((s) => s.name),
    region.edges.map((e) => ({ ...e, kinds: e.evidence, weight: 1, confidence: 0.9, lastSeen: T0 })),
    7,
    T0,
  );
  const fingerprint = (loadFactor: number) =>
    decodeFingerprint(
      encodeFingerprint(
        profileFromSamples(
          generateSamples(region, { start: T0, durationMs: 10 * 60_000, intervalMs: 10_000, loadFactor }),
        ),
      ),
    );
  const base = buildBlueprint({
    primaryRegion: 'eu-bp',
    shadowRegion: 'eu-bp-shadow',
    profile: fingerprint(1),
    fingerprintVersion: 3,
    dag,
    deployments,
    builtAt: T0,
    version: 1,
  });

  it('sizes every service from its decoded p95 and lays out launch order and networking', () => {
    expect(base.services).toHaveLength(50);
    expect(base.fingerprintVersion).toBe(3);
    expect(base.dagVersion).toBe(7);
    expect(base.levelCount).toBe(dag.levels.length);
    const profile = fingerprint(1);
    for (const s of base.services) {
      const p = profile.services.find((x) => x.service === s.service)!;
      const demand = Math.max(p.metrics.cpu!.p95, p.metrics.memory!.p95) * p.instanceCount;
      expect(s.instances).toBe(Math.max(1, Math.ceil((demand * 1.3) / 0.7 - 1e-9)));
      expect(s.configRef).toBe(`git://configs/eu-bp/${s.service}@v3`);
      expect(s.dnsNames).toEqual([`${s.service}.eu-bp-shadow.internal`]);
      expect(s.lbPools).toEqual([`eu-bp-shadow/${s.service}`]);
      expect(s.ports).toEqual([region.services.find((x) => x.name === s.service)!.port]);
      expect(s.cpuPerInstance).toBe(2);
      expect(s.memoryMbPerInstance).toBe(4096);
    }
    // Stateful services list their primaries as replication sources; others none.
    const db = base.services.find((s) => s.service.endsWith('-db'))!;
    expect(db.replicationSources.length).toBeGreaterThan(0);
    expect(base.services.find((s) => s.service.endsWith('-api'))!.replicationSources).toEqual([]);
    // Launch order: every dependency launches at a lower level or in the same group.
    const byName = new Map(base.services.map((s) => [s.service, s]));
    for (const s of base.services) {
      for (const dep of s.dependsOn) {
        const d = byName.get(dep)!;
        expect(d.launchLevel < s.launchLevel || d.launchGroup === s.launchGroup).toBe(true);
      }
    }
    // Services are listed in launch order.
    const levels = base.services.map((s) => s.launchLevel);
    expect(levels).toEqual([...levels].sort((a, b) => a - b));
  });

  it('grows when load grows and is unchanged when nothing changes', () => {
    const again = buildBlueprint({
      primaryRegion: 'eu-bp',
      shadowRegion: 'eu-bp-shadow',
      profile: fingerprint(1),
      fingerprintVersion: 3,
      dag,
      deployments,
      builtAt: T0 + 1000,
      version: 2,
    });
    expect(blueprintShape(again)).toBe(blueprintShape(base));
    const hot = buildBlueprint({
      primaryRegion: 'eu-bp',
      shadowRegion: 'eu-bp-shadow',
      profile: fingerprint(1.8),
      fingerprintVersion: 4,
      dag,
      deployments,
      builtAt: T0 + 2000,
      version: 2,
    });
    const resized = resizedServices(base, hot);
    expect(resized.length).toBeGreaterThan(10);
    for (const [, before, after] of resized) expect(after).toBeGreaterThan(before);
    const total = (b: typeof base) => b.services.reduce((n, s) => n + s.instances, 0);
    // Utilisation saturates at 1 for the hottest services, so the fleet grows less than 1.8×.
    expect(total(hot) / total(base)).toBeGreaterThan(1.1);
    const shrunk = hot.services.filter(
      (s) => s.instances < base.services.find((b) => b.service === s.service)!.instances,
    );
    expect(shrunk).toEqual([]);
  });
});

import { describe, expect, it } from 'vitest';
import type { CapacityFingerprint } from '../../../schemas/records/capacity-fingerprint.js';
import type { DependencyDag } from '../../../schemas/records/dependency-dag.js';
import type { ShadowBlueprint } from '../../../schemas/records/shadow-blueprint.js';
import { BLUEPRINTS_TOPIC, CAPACITY_TOPIC, DEPENDENCIES_TOPIC, DEPLOYMENTS_TOPIC } from '../../../streams/catalogue.js';
import { fingerprintRecord } from '../../../streams/processors/capacity-fingerprint/processor.js';
import { buildDag } from '../../../streams/processors/dependency-map/dag.js';
import { dagRecord } from '../../../streams/processors/dependency-map/processor.js';
import type { DeploymentRow } from '../../../streams/processors/shadow-region/blueprint.js';
import { shadowRegionTopology } from '../../../streams/processors/shadow-region/topology.js';
import { jsonSerde } from '../../../streams/runtime/serdes.js';
import { TopologyTestDriver } from '../../../streams/testing/topology-test-driver.js';
import { profileFromSamples } from '../../fixtures/regions/profiles.js';
import { generateDeployments, generateRegion, generateSamples } from '../../fixtures/regions/synthetic-region.js';

const T0 = 1_700_000_000_000;

describe('shadow-region topology (test driver)', () => {
  it('builds a versioned blueprint from fingerprint, DAG and deployments and resizes it when load changes', async () => {
    const driver = new TopologyTestDriver(
      shadowRegionTopology({
        shadowRegions: { 'eu-sh': 'eu-sh-standby' },
        checkIntervalMs: 1000,
        serdes: {
          fingerprint: jsonSerde<CapacityFingerprint>(),
          dag: jsonSerde<DependencyDag>(),
          deployment: jsonSerde<DeploymentRow>(),
          blueprint: jsonSerde<ShadowBlueprint>(),
        },
      }),
    );
    const region = generateRegion({ region: 'eu-sh', services: 12, edges: 30, cycles: 1, seed: 5 });
    for (const row of generateDeployments(region, T0) as unknown as DeploymentRow[]) {
      await driver.pipeInput(DEPLOYMENTS_TOPIC, row.resourceId, row, T0);
    }
    // Deployments alone do not make a blueprint: nothing to size or order yet.
    expect(driver.readOutput(BLUEPRINTS_TOPIC)).toHaveLength(0);
    const dag = buildDag(
      region.region,
      region.services.map((s) => s.name),
      region.edges.map((e) => ({ ...e, kinds: e.evidence, weight: 1, confidence: 0.9, lastSeen: T0 })),
      1,
      T0,
    );
    await driver.pipeInput(DEPENDENCIES_TOPIC, region.region, dagRecord(dag), T0 + 1000);
    const fp = (version: number, loadFactor: number) =>
      fingerprintRecord(
        profileFromSamples(
          generateSamples(region, { start: T0, durationMs: 5 * 60_000, intervalMs: 10_000, loadFactor }),
        ),
        version,
        T0 + 2000,
        0.005,
      );
    await driver.pipeInput(CAPACITY_TOPIC, region.region, fp(1, 1), T0 + 2000);
    const out = driver.readOutput<string, ShadowBlueprint>(BLUEPRINTS_TOPIC);
    const v1 = out.at(-1)!;
    expect(v1.key).toBe('eu-sh');
    expect(v1.value).toMatchObject({
      primaryRegion: 'eu-sh',
      shadowRegion: 'eu-sh-standby',
      fingerprintVersion: 1,
      dagVersion: 1,
    });
    expect(v1.value.services).toHaveLength(12);
    expect(v1.headers['x-fingerprint-age-ms']).toBe('0');
    expect(v1.headers['x-dag-age-ms']).toBe('2000');
    // An older fingerprint is ignored.
    await driver.pipeInput(CAPACITY_TOPIC, region.region, fp(1, 3), T0 + 3000);
    expect(driver.readOutput(BLUEPRINTS_TOPIC)).toHaveLength(0);
    // A newer one with 1.5× load: a new version with more instances in total.
    await driver.pipeInput(CAPACITY_TOPIC, region.region, fp(2, 1.5), T0 + 4000);
    const v2 = driver.readOutput<string, ShadowBlueprint>(BLUEPRINTS_TOPIC).at(-1)!.value;
    expect(v2.version).toBe(v1.value.version + 1);
    expect(v2.fingerprintVersion).toBe(2);
    const total = (b: ShadowBlueprint) => b.services.reduce((n, s) => n + s.instances, 0);
    expect(total(v2)).toBeGreaterThan(total(v1.value));
    // A removed deployment changes the blueprint at the next check (its ports/replicas go).
    const gone = region.services[0]!;
    for (const inst of gone.instances) {
      const row = (generateDeployments(region, T0) as unknown as DeploymentRow[]).find(
        (r) => r.resourceId === inst.id,
      )!;
      await driver.pipeInput(DEPLOYMENTS_TOPIC, row.resourceId, { ...row, outcome: 'REMOVED' }, T0 + 5000);
    }
    await driver.pipeInput(DEPENDENCIES_TOPIC, region.region, dagRecord({ ...dag, version: 1 }), T0 + 7000);
    const v3 = driver.readOutput<string, ShadowBlueprint>(BLUEPRINTS_TOPIC).at(-1)!.value;
    expect(v3.services.find((s) => s.service === gone.name)!.ports).toEqual([]);
  });
});

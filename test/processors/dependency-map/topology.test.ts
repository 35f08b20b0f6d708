import { describe, expect, it } from 'vitest';
import type { DependencyDag } from '../../../schemas/records/dependency-dag.js';
import {
  CONFIGS_TOPIC,
  DEPENDENCIES_TOPIC,
  DISCOVERY_TOPIC,
  FLOWS_TOPIC,
  SPANS_TOPIC,
} from '../../../streams/catalogue.js';
import { type DagDocument, launchOrderViolations } from '../../../streams/processors/dependency-map/dag.js';
import { dependencyMapTopology } from '../../../streams/processors/dependency-map/topology.js';
import { jsonSerde } from '../../../streams/runtime/serdes.js';
import { TopologyTestDriver } from '../../../streams/testing/topology-test-driver.js';
import { edgeAccuracy, generateEvidence, generateRegion } from '../../fixtures/regions/synthetic-region.js';

const T0 = 1_700_000_000_000;

describe('dependency-map topology (test driver)', () => {
  it('maps two regions from all four evidence topics and publishes versioned DAGs', async () => {
    const driver = new TopologyTestDriver(
      dependencyMapTopology({
        dagSerde: jsonSerde<DependencyDag>(),
        checkIntervalMs: 10_000,
        emitIntervalMs: 600_000,
      }),
    );
    const regions = [
      generateRegion({ region: 'eu-a', services: 20, edges: 60, cycles: 2, seed: 1 }),
      generateRegion({ region: 'us-b', services: 12, edges: 30, cycles: 1, seed: 2 }),
    ];
    for (const region of regions) {
      const ev = generateEvidence(region, T0);
      // Flows first: they wait, unresolved, until discovery names their addresses.
      for (const m of ev.flows) await driver.pipeInput(FLOWS_TOPIC, m.key, m.value, T0);
      for (const m of ev.discovery) await driver.pipeInput(DISCOVERY_TOPIC, m.key, m.value, T0);
      for (const m of ev.configs) await driver.pipeInput(CONFIGS_TOPIC, m.key, m.value, T0);
      for (const m of ev.spans) await driver.pipeInput(SPANS_TOPIC, m.key, m.value, T0);
    }
    expect(driver.readOutput(DEPENDENCIES_TOPIC)).toHaveLength(0);
    // Stream time moves past the check interval: the punctuator publishes both regions.
    await driver.pipeInput(SPANS_TOPIC, 'tick', { region: 'eu-a', spans: [] }, T0 + 11_000);
    const out = driver.readOutput<string, DependencyDag>(DEPENDENCIES_TOPIC);
    expect(out.map((r) => r.key).sort()).toEqual(['eu-a', 'us-b']);
    for (const rec of out) {
      const region = regions.find((r) => r.region === rec.key)!;
      const dag = JSON.parse(rec.value.dag) as DagDocument;
      expect(rec.value.version).toBe(1);
      expect(rec.value.nodeCount).toBe(region.services.length);
      expect(rec.value.cycleCount).toBe(region.cycleEdges.length);
      expect(edgeAccuracy(dag, region)).toEqual({ precision: 1, recall: 1 });
      expect(launchOrderViolations(dag)).toEqual([]);
    }
    // Nothing changed: no new DAG at the next check.
    await driver.pipeInput(SPANS_TOPIC, 'tick', { region: 'eu-a', spans: [] }, T0 + 22_000);
    expect(driver.readOutput(DEPENDENCIES_TOPIC)).toHaveLength(0);
    const state = await driver.getKeyValueStore<string, { version: number }>('dependency-map-state').get('eu-a');
    expect(state?.version).toBe(1);
  });
});

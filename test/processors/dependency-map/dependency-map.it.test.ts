import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DependencyDag } from '../../../schemas/records/dependency-dag.js';
import { type DagDocument, launchOrderViolations } from '../../../streams/processors/dependency-map/dag.js';
import { renderDagSvg } from '../../../streams/processors/dependency-map/svg.js';
import { dependencyMapTopology } from '../../../streams/processors/dependency-map/topology.js';
import { loadConnection } from '../../../streams/runtime/config.js';
import { avroSerde } from '../../../streams/runtime/serdes.js';
import { StreamsApp } from '../../../streams/runtime/streams-app.js';
import { consumeDecoded } from '../../fixtures/regions/kafka.js';
import { edgeAccuracy, generateEvidence, generateRegion } from '../../fixtures/regions/synthetic-region.js';
import { brokers, createTopics, deleteTopics, registryUrl, testKafka, uniqueName } from '../../support/kafka.js';

describe('dependency mapper on the real broker', () => {
  const prefix = uniqueName('depmap');
  const topics = {
    configs: `${prefix}.configs`,
    discovery: `${prefix}.discovery`,
    flows: `${prefix}.flows`,
    spans: `${prefix}.spans`,
  };
  const output = `${prefix}.dependencies`;
  const applicationId = `${prefix}-app`.replace(/^test\./, 'test-');
  let app: StreamsApp | undefined;
  let producer: Producer | undefined;
  let stateDir = '';

  beforeAll(async () => {
    stateDir = await mkdtemp(join(tmpdir(), 'depmap-it-'));
    await createTopics([
      ...Object.values(topics).map((topic) => ({ topic, numPartitions: 3 })),
      { topic: output, numPartitions: 3, configEntries: [{ name: 'cleanup.policy', value: 'compact' }] },
    ]);
  });

  afterAll(async () => {
    await app?.close();
    await producer?.disconnect();
    await deleteTopics([...Object.values(topics), output]).catch(() => undefined);
    await rm(stateDir, { recursive: true, force: true });
  });

  it('maps a 50-service synthetic region to its ground-truth DAG', async () => {
    const region = generateRegion({ region: 'eu-it-1', services: 50, edges: 200, cycles: 3, seed: 4 });
    const now = Date.now();
    const ev = generateEvidence(region, now);
    producer = testKafka('depmap-it-producer').producer();
    await producer.connect();
    const send = async (topic: string, list: { key: string; value: unknown; timestamp: number }[]): Promise<void> => {
      await producer!.send({
        topic,
        messages: list.map((m) => ({ key: m.key, value: JSON.stringify(m.value), timestamp: String(m.timestamp) })),
      });
    };
    // Traffic before discovery, on purpose: it must wait and resolve later.
    await send(topics.flows, ev.flows);
    await send(topics.spans, ev.spans);
    await send(topics.configs, ev.configs);
    await send(topics.discovery, ev.discovery);

    const connection = { ...loadConnection(), brokers: brokers(), registryUrl: registryUrl() };
    app = new StreamsApp(
      dependencyMapTopology({
        applicationId,
        topics,
        outputTopic: output,
        checkIntervalMs: 1000,
        emitIntervalMs: 3_600_000,
      }),
      { guarantee: 'exactly-once', connection, stateDir, tickMs: 200 },
    );
    await app.start();

    const serde = avroSerde<DependencyDag>();
    let best: DagDocument | undefined;
    let published = 0;
    await consumeDecoded(output, async (value) => {
      published++;
      const dag = JSON.parse((await serde.deserialize(output, value)).dag) as DagDocument;
      if (!best || dag.version > best.version) best = dag;
      return edgeAccuracy(best, region).recall === 1;
    });
    expect(best).toBeDefined();
    const dag = best!;
    const { precision, recall } = edgeAccuracy(dag, region);
    console.log(
      `it dag: ${dag.nodes.length} nodes, ${dag.edges.length} edges, precision ${precision}, recall ${recall}, cycles ${dag.cycles.length}, levels ${dag.levels.length}, versions published ${published}`,
    );
    expect(dag.region).toBe('eu-it-1');
    expect(dag.nodes).toHaveLength(50);
    expect(precision).toBe(1);
    expect(recall).toBe(1);
    expect(dag.cycles).toHaveLength(3);
    expect(launchOrderViolations(dag)).toEqual([]);
    const svg = renderDagSvg(dag);
    expect(svg.match(/<g class="node"/g)).toHaveLength(50);
    expect(svg.match(/<path class="edge"/g)).toHaveLength(200);
  });
});

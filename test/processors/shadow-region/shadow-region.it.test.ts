import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CAPACITY_FINGERPRINT_RECORD } from '../../../schemas/records/capacity-fingerprint.js';
import { DEPENDENCY_DAG_RECORD } from '../../../schemas/records/dependency-dag.js';
import { DEPLOYMENT_RECORD, type Deployment } from '../../../schemas/records/deployment.js';
import type { ShadowBlueprint } from '../../../schemas/records/shadow-blueprint.js';
import { fingerprintRecord } from '../../../streams/processors/capacity-fingerprint/processor.js';
import { buildDag } from '../../../streams/processors/dependency-map/dag.js';
import { dagRecord } from '../../../streams/processors/dependency-map/processor.js';
import { shadowRegionTopology } from '../../../streams/processors/shadow-region/topology.js';
import { loadConnection } from '../../../streams/runtime/config.js';
import { avroSerde } from '../../../streams/runtime/serdes.js';
import { StreamsApp } from '../../../streams/runtime/streams-app.js';
import { recordSerde } from '../../../streams/topic-serdes.js';
import { consumeDecoded } from '../../fixtures/regions/kafka.js';
import { profileFromSamples } from '../../fixtures/regions/profiles.js';
import { generateDeployments, generateRegion, generateSamples } from '../../fixtures/regions/synthetic-region.js';
import { brokers, createTopics, deleteTopics, registryUrl, testKafka, uniqueName } from '../../support/kafka.js';

describe('shadow region manager on the real broker', () => {
  const prefix = uniqueName('shadow-region');
  const topics = {
    fingerprints: `${prefix}.capacity`,
    dags: `${prefix}.dependencies`,
    deployments: `${prefix}.deployments`,
    blueprints: `${prefix}.blueprints`,
  };
  const applicationId = `${prefix}-app`.replace(/^test\./, 'test-');
  let app: StreamsApp | undefined;
  let producer: Producer | undefined;
  let stateDir = '';

  beforeAll(async () => {
    stateDir = await mkdtemp(join(tmpdir(), 'shadow-region-it-'));
    await createTopics(
      Object.values(topics).map((topic) => ({
        topic,
        numPartitions: 3,
        configEntries: [{ name: 'cleanup.policy', value: 'compact' }],
      })),
    );
  });

  afterAll(async () => {
    await app?.close();
    await producer?.disconnect();
    await deleteTopics(Object.values(topics)).catch(() => undefined);
    await rm(stateDir, { recursive: true, force: true });
  });

  it('keeps a 50-service blueprint sized from p95 + headroom and resizes it when load changes', async () => {
    const region = generateRegion({ region: 'eu-shadow-it', services: 50, edges: 200, cycles: 3, seed: 4 });
    const now = Date.now();
    const fpSerde = recordSerde(CAPACITY_FINGERPRINT_RECORD);
    const dagSerde = recordSerde(DEPENDENCY_DAG_RECORD);
    const depSerde = recordSerde(DEPLOYMENT_RECORD);
    producer = testKafka('shadow-region-it-producer').producer();
    await producer.connect();
    const deployments = generateDeployments(region, now) as unknown as Deployment[];
    await producer.send({
      topic: topics.deployments,
      messages: await Promise.all(
        deployments.map(async (d) => ({ key: d.resourceId, value: await depSerde.serialize(topics.deployments, d) })),
      ),
    });
    const dag = buildDag(
      region.region,
      region.services.map((s) => s.name),
      region.edges.map((e) => ({ ...e, kinds: e.evidence, weight: 1, confidence: 0.9, lastSeen: now })),
      1,
      now,
    );
    await producer.send({
      topic: topics.dags,
      messages: [{ key: region.region, value: await dagSerde.serialize(topics.dags, dagRecord(dag)) }],
    });
    const fingerprint = (version: number, loadFactor: number) =>
      fingerprintRecord(
        profileFromSamples(
          generateSamples(region, {
            start: now - 10 * 60_000,
            durationMs: 10 * 60_000,
            intervalMs: 10_000,
            loadFactor,
          }),
        ),
        version,
        now,
        0.005,
      );
    await producer.send({
      topic: topics.fingerprints,
      messages: [{ key: region.region, value: await fpSerde.serialize(topics.fingerprints, fingerprint(1, 1)) }],
    });

    const connection = { ...loadConnection(), brokers: brokers(), registryUrl: registryUrl() };
    app = new StreamsApp(shadowRegionTopology({ applicationId, topics, checkIntervalMs: 1000, headroom: 0.3 }), {
      guarantee: 'exactly-once',
      connection,
      stateDir,
      tickMs: 200,
    });
    await app.start();

    const out = avroSerde<ShadowBlueprint>();
    const total = (b: ShadowBlueprint) => b.services.reduce((n, s) => n + s.instances, 0);
    let first: ShadowBlueprint | undefined;
    expect(
      await consumeDecoded(topics.blueprints, async (value) => {
        const b = await out.deserialize(topics.blueprints, value);
        first = b;
        // Complete once sized from the fingerprint, ordered by the DAG and configured from deployments.
        return b.fingerprintVersion === 1 && b.dagVersion === 1 && b.services.every((s) => s.configRef !== '');
      }),
    ).toBe(true);
    const v1 = first!;
    expect(v1.primaryRegion).toBe('eu-shadow-it');
    expect(v1.shadowRegion).toBe('eu-shadow-it-shadow');
    expect(v1.services).toHaveLength(50);
    expect(v1.levelCount).toBe(dag.levels.length);
    const profile = fingerprint(1, 1);
    expect(profile.serviceCount).toBe(50);

    await producer.send({
      topic: topics.fingerprints,
      messages: [{ key: region.region, value: await fpSerde.serialize(topics.fingerprints, fingerprint(2, 1.5)) }],
    });
    let second: ShadowBlueprint | undefined;
    expect(
      await consumeDecoded(topics.blueprints, async (value) => {
        const b = await out.deserialize(topics.blueprints, value);
        if (b.fingerprintVersion === 2) second = b;
        return second !== undefined;
      }),
    ).toBe(true);
    console.log(
      `it blueprint: v${v1.version} ${total(v1)} instances -> v${second!.version} ${total(second!)} instances at 1.5x load (${v1.levelCount} launch levels)`,
    );
    expect(Number(second!.version)).toBeGreaterThan(Number(v1.version));
    expect(total(second!)).toBeGreaterThan(total(v1));
    for (const s of second!.services) {
      expect(s.instances).toBeGreaterThanOrEqual(v1.services.find((x) => x.service === s.service)!.instances);
    }
  });
});

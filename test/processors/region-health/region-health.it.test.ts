import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RegionHealth } from '../../../schemas/records/region-health.js';
import { topicSpec } from '../../../streams/catalogue.js';
import { regionHealthTopology } from '../../../streams/processors/region-health/topology.js';
import { loadConnection } from '../../../streams/runtime/config.js';
import { avroSerde } from '../../../streams/runtime/serdes.js';
import { StreamsApp } from '../../../streams/runtime/streams-app.js';
import { consumeDecoded } from '../../fixtures/regions/kafka.js';
import { brokers, createTopics, deleteTopics, registryUrl, testKafka, uniqueName } from '../../support/kafka.js';

const schema = (name: string): string => fileURLToPath(new URL(`../../../schemas/${name}.avsc`, import.meta.url));

describe('region health monitor on the real broker', () => {
  const prefix = uniqueName('region-health');
  const topics = { risk: `${prefix}.risk`, failures: `${prefix}.failures`, health: `${prefix}.health` };
  const applicationId = `${prefix}-app`.replace(/^test\./, 'test-');
  let app: StreamsApp | undefined;
  let producer: Producer | undefined;
  let stateDir = '';

  beforeAll(async () => {
    stateDir = await mkdtemp(join(tmpdir(), 'region-health-it-'));
    // The catalogue's partition counts: the app must accept them as they are (co-partitioned inputs).
    const partitionsOf = (name: string): number => topicSpec(name).partitions;
    await createTopics([
      { topic: topics.risk, numPartitions: partitionsOf('health.risk') },
      { topic: topics.failures, numPartitions: partitionsOf('host.failures') },
      {
        topic: topics.health,
        numPartitions: partitionsOf('region.health'),
        configEntries: [{ name: 'cleanup.policy', value: 'compact' }],
      },
    ]);
  });

  afterAll(async () => {
    await app?.close();
    await producer?.disconnect();
    await deleteTopics(Object.values(topics)).catch(() => undefined);
    await rm(stateDir, { recursive: true, force: true });
  });

  it('turns host risk and failures into HEALTHY → DEGRADED → FAILED with reasons', async () => {
    const connection = { ...loadConnection(), brokers: brokers(), registryUrl: registryUrl() };
    app = new StreamsApp(regionHealthTopology({ applicationId, topics }), {
      guarantee: 'exactly-once',
      connection,
      stateDir,
      tickMs: 200,
    });
    await app.start();
    const riskSerde = avroSerde<Record<string, unknown>>({ schemaPath: schema('host-risk') });
    const failureSerde = avroSerde<Record<string, unknown>>({ schemaPath: schema('host-failure') });
    const out = avroSerde<RegionHealth>();
    producer = testKafka('region-health-it-producer').producer();
    await producer.connect();
    const t0 = Date.now();
    const hosts = Array.from({ length: 10 }, (_, i) => `it-host-${i}`);
    await producer.send({
      topic: topics.risk,
      messages: await Promise.all(
        hosts.map(async (host, i) => ({
          key: host,
          value: await riskSerde.serialize(topics.risk, {
            host,
            region: 'eu-health-it',
            zone: '',
            timestamp: t0 + i,
            horizonMs: 3_600_000,
            pFail: 0.02,
            level: 'OK',
            trend: 0,
            rising: false,
            deviating: false,
            deviationScore: 0,
            timeToFailureMs: null,
            drivers: [],
            modelVersion: 'it',
          }),
        })),
      ),
    });
    const seen: RegionHealth[] = [];
    const waitFor = (pred: (h: RegionHealth) => boolean): Promise<boolean> =>
      consumeDecoded(
        topics.health,
        async (value, key) => {
          const h = await out.deserialize(topics.health, value);
          if (key === 'eu-health-it') seen.push(h);
          return pred(h);
        },
        60_000,
      );
    expect(await waitFor((h) => h.status === 'HEALTHY' && h.hostCount === 10)).toBe(true);

    // Failures without a region: attributed through the hosts' risk readings.
    const fail = async (host: string, kind: string, t: number): Promise<void> => {
      await producer!.send({
        topic: topics.failures,
        messages: [
          {
            key: host,
            value: await failureSerde.serialize(topics.failures, {
              host,
              region: '',
              timestamp: t,
              kind,
              source: 'it',
              detail: '',
            }),
          },
        ],
      });
    };
    await fail('it-host-1', 'CRASH', t0 + 100);
    expect(await waitFor((h) => h.status === 'DEGRADED' && h.hostsFailed === 1)).toBe(true);
    for (let i = 2; i <= 5; i++) await fail(`it-host-${i}`, 'NETWORK', t0 + 100 + i);
    expect(await waitFor((h) => h.status === 'FAILED')).toBe(true);
    const failed = seen.find((h) => h.status === 'FAILED')!;
    expect(failed.hostsFailed).toBe(5);
    expect(failed.reasons[0]).toBe('5/10 hosts failed (50% >= 50%)');
  });
});

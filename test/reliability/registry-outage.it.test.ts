/**
 * Schema registry unavailable: the ingest (exactly-once, Avro output through the registry) reaches
 * the shared registry through a TCP proxy the test cuts for OUTAGE_MS (20 s in CI, 60 s in the
 * long form). While it is down (1) the running processor keeps producing on its cached schema id;
 * (2) a processor started during the outage (nothing cached) cannot register its schema and must
 * retry rather than crash or dead-letter good records. After the registry returns every sample is
 * on the output exactly once and nothing is in the dead-letter topics.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import { Partitioners } from 'kafkajs';
import { afterAll, describe, expect, it } from 'vitest';
import type { HostSample } from '../../schemas/records/host-sample.js';
import { buildMetricIngestTopology } from '../../streams/processors/metric-ingest/topology.js';
import { loadConnection } from '../../streams/runtime/config.js';
import { avroSerde } from '../../streams/runtime/serdes.js';
import { StreamsApp } from '../../streams/runtime/streams-app.js';
import { cleanupApp, sleep } from '../streams/fixtures/streams-helpers.js';
import { brokers, createTopics, registryUrl, testKafka, uniqueName } from '../support/kafka.js';
import { recordFigure } from './support/figures.js';
import { TcpProxy } from './support/tcp-proxy.js';

const OUTAGE_MS = Number(process.env.REGISTRY_OUTAGE_MS ?? '20000');
const PER_BATCH = 300;
const schemaPath = fileURLToPath(new URL('../../schemas/host-sample.avsc', import.meta.url));

// The long forms run far past the integration project's default timeout.
const TEST_TIMEOUT_MS = Number(process.env.RELIABILITY_TIMEOUT_MS ?? '420000');

describe('schema registry outage', () => {
  const prefix = uniqueName('regout');
  const raw = `${prefix}.raw`;
  // A fresh subject: the cold-started processor really has to register, not find it cached.
  const samples = `${prefix}.samples`;
  const appId = `${prefix}-app`.replace(/^test\./, 'test-');
  const real = new URL(registryUrl());
  const proxy = new TcpProxy(real.hostname, Number(real.port));
  const apps: StreamsApp[] = [];
  let dir = '';

  afterAll(async () => {
    for (const a of apps) await a.close().catch(() => undefined);
    await proxy.cut();
    await cleanupApp(appId, [raw, samples]);
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it(
    'keeps processing on cached schemas, retries registration, loses nothing',
    async () => {
      await createTopics([
        { topic: raw, numPartitions: 3 },
        { topic: samples, numPartitions: 3 },
      ]);
      dir = await mkdtemp(join(tmpdir(), 'regout-'));
      const port = await proxy.start();
      const viaProxy = `http://127.0.0.1:${port}${real.pathname}`;
      const connection = { ...loadConnection(), brokers: brokers(), registryUrl: viaProxy };
      const crashes: unknown[] = [];
      const startApp = async (name: string) => {
        // Each app gets its own registry client, so the second one starts with an empty cache.
        const serde = avroSerde<HostSample>({ schemaPath, registry: new SchemaRegistry({ host: viaProxy }) });
        const app = new StreamsApp(
          buildMetricIngestTopology({
            applicationId: appId,
            inputTopic: raw,
            outputTopic: samples,
            sampleSerde: serde,
          }),
          { guarantee: 'exactly-once', connection, stateDir: join(dir, name), tickMs: 200 },
        );
        apps.push(app);
        await app.start().catch((err: unknown) => crashes.push(err));
        return app;
      };

      const producer = testKafka('regout-producer').producer({ createPartitioner: Partitioners.DefaultPartitioner });
      await producer.connect();
      const now = Date.now();
      const batch = async (tag: string) => {
        const messages = Array.from({ length: PER_BATCH }, (_, i) => ({
          key: `${tag}-${i}`,
          value: JSON.stringify({ host: `${tag}-${i}`, timestamp: now - 1_000, metrics: { 'cpu.utilization': 0.4 } }),
        }));
        await producer.send({ topic: raw, acks: -1, messages });
      };

      // The app creates its dead-letter topics at start; the reader subscribes to them after.
      const first = await startApp('a');
      // Output and dead letters are read around the proxy, straight from the broker and registry.
      const decoder = avroSerde<HostSample>({ schemaPath, registry: new SchemaRegistry({ host: registryUrl() }) });
      const seen = new Map<string, number>();
      let deadLetters = 0;
      const reader = testKafka('regout-reader').consumer({ groupId: `regout-${randomUUID()}`, readUncommitted: false });
      await reader.connect();
      await reader.subscribe({
        topics: [samples, `${raw}.dlq`, `${appId}-parsed-repartition.dlq`],
        fromBeginning: true,
      });
      await reader.run({
        eachMessage: async ({ topic, message }) => {
          if (topic !== samples) {
            deadLetters++;
            return;
          }
          const s = await decoder.deserialize(samples, message.value!);
          seen.set(s.host, (seen.get(s.host) ?? 0) + 1);
        },
      });
      const count = (tag: string) => [...seen.keys()].filter((h) => h.startsWith(`${tag}-`)).length;
      const waitFor = async (pred: () => boolean, ms: number) => {
        const end = Date.now() + ms;
        while (!pred() && Date.now() < end) await sleep(250);
        return pred();
      };

      await batch('warm');
      expect(await waitFor(() => count('warm') === PER_BATCH, 90_000)).toBe(true);

      // (1) Registry down; the running processor has the schema id cached.
      const cutAt = Date.now();
      await proxy.cut();
      await batch('cached');
      const cachedDuringOutage = await waitFor(() => count('cached') === PER_BATCH, OUTAGE_MS / 2);

      // (2) A processor restarted during the outage: nothing cached, registration must be retried.
      await first.close();
      await startApp('b');
      await batch('cold');
      const remaining = OUTAGE_MS - (Date.now() - cutAt);
      if (remaining > 0) await sleep(remaining);
      const coldDuringOutage = count('cold');
      await proxy.restore();
      const outageMs = Date.now() - cutAt;
      const allOut = await waitFor(() => count('cold') === PER_BATCH, 120_000);
      await sleep(2_000);
      await reader.disconnect();
      await producer.disconnect();

      const duplicates = [...seen.values()].filter((n) => n > 1).length;
      const figures = {
        outageMs,
        samples: 3 * PER_BATCH,
        cachedDuringOutage,
        coldOutputDuringOutage: coldDuringOutage,
        delivered: seen.size,
        duplicates,
        deadLetters,
        crashes: crashes.length,
      };
      console.log(`registry outage: ${JSON.stringify(figures)}`);
      recordFigure('registry-outage', figures);

      expect(crashes).toEqual([]);
      expect(cachedDuringOutage).toBe(true);
      expect(allOut).toBe(true);
      expect(seen.size).toBe(3 * PER_BATCH);
      expect(duplicates).toBe(0);
      expect(deadLetters).toBe(0);
    },
    TEST_TIMEOUT_MS,
  );
});

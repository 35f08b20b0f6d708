import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CapacityFingerprint } from '../../../schemas/records/capacity-fingerprint.js';
import { decodeFingerprint } from '../../../streams/processors/capacity-fingerprint/fingerprint-codec.js';
import { CAPACITY_METRICS } from '../../../streams/processors/capacity-fingerprint/metrics.js';
import { type CapacitySample, capacityValues } from '../../../streams/processors/capacity-fingerprint/processor.js';
import { type CapacityProfile, exactQuantile } from '../../../streams/processors/capacity-fingerprint/profile.js';
import { capacityTopology } from '../../../streams/processors/capacity-fingerprint/topology.js';
import { loadConnection } from '../../../streams/runtime/config.js';
import { avroSerde } from '../../../streams/runtime/serdes.js';
import { StreamsApp } from '../../../streams/runtime/streams-app.js';
import { consumeDecoded } from '../../fixtures/regions/kafka.js';
import {
  generateRegion,
  generateSamples,
  type HostSampleLike,
  SAMPLE_METRIC_NAMES,
} from '../../fixtures/regions/synthetic-region.js';
import { brokers, createTopics, deleteTopics, registryUrl, testKafka, uniqueName } from '../../support/kafka.js';

const MIN = 60_000;

function worstPercentileError(profile: CapacityProfile, samples: readonly HostSampleLike[]): number {
  const exact = new Map<string, number[][]>();
  for (const s of samples) {
    const v = capacityValues(s.metrics, SAMPLE_METRIC_NAMES);
    for (const scope of ['', s.tags.service!]) {
      const lists = exact.get(scope) ?? CAPACITY_METRICS.map(() => []);
      CAPACITY_METRICS.forEach((m, i) => {
        lists[i]!.push(v[m]!);
      });
      exact.set(scope, lists);
    }
  }
  let worst = 0;
  const scopes: Array<[string, CapacityProfile['metrics']]> = [
    ['', profile.metrics],
    ...profile.services.map((s): [string, CapacityProfile['metrics']] => [s.service, s.metrics]),
  ];
  for (const [scope, metrics] of scopes) {
    CAPACITY_METRICS.forEach((m, i) => {
      const sorted = [...exact.get(scope)![i]!].sort((a, b) => a - b);
      const summary = metrics[m]!;
      for (const [q, v] of [
        [0.5, summary.p50],
        [0.9, summary.p90],
        [0.95, summary.p95],
        [0.99, summary.p99],
      ] as const) {
        const truth = exactQuantile(sorted, q);
        worst = Math.max(worst, Math.abs(v - truth) / truth);
      }
    });
  }
  return worst;
}

describe('capacity profiler on the real broker', () => {
  const prefix = uniqueName('capacity');
  const input = `${prefix}.samples`;
  const output = `${prefix}.capacity`;
  const applicationId = `${prefix}-app`.replace(/^test\./, 'test-');
  let app: StreamsApp | undefined;
  let producer: Producer | undefined;
  let stateDir = '';

  beforeAll(async () => {
    stateDir = await mkdtemp(join(tmpdir(), 'capacity-it-'));
    // One input partition keeps the samples in time order all the way to the region's task.
    await createTopics([
      { topic: input, numPartitions: 1 },
      { topic: output, numPartitions: 1, configEntries: [{ name: 'cleanup.policy', value: 'compact' }] },
    ]);
  });

  afterAll(async () => {
    await app?.close();
    await producer?.disconnect();
    await deleteTopics([input, output]).catch(() => undefined);
    await rm(stateDir, { recursive: true, force: true });
  });

  it('publishes ≤ 2 KB fingerprints of a 50-service region with percentiles within 1%', async () => {
    const region = generateRegion({ region: 'eu-cap-it', services: 50, seed: 4 });
    const start = Math.floor(Date.now() / MIN) * MIN - 20 * MIN;
    const samples = generateSamples(region, { start, durationMs: 15 * MIN, intervalMs: 30_000 });
    const schemaPath = fileURLToPath(new URL('../../../schemas/host-sample.avsc', import.meta.url));
    const sampleSerde = avroSerde<HostSampleLike>({ schemaPath });
    const connection = { ...loadConnection(), brokers: brokers(), registryUrl: registryUrl() };
    app = new StreamsApp(
      capacityTopology({
        applicationId,
        inputTopic: input,
        outputTopic: output,
        sampleSerde: avroSerde<CapacitySample>(),
        paneMs: MIN,
        windowMs: 60 * MIN,
        checkIntervalMs: MIN,
        emitIntervalMs: 1,
      }),
      { guarantee: 'exactly-once', connection, stateDir, tickMs: 200 },
    );
    await app.start();

    producer = testKafka('capacity-it-producer').producer();
    await producer.connect();
    // A live trickle, not one burst: the runtime commits per fetched batch, and a burst's
    // repartition output would exceed the broker's message.max.bytes in one transaction batch.
    for (let i = 0; i < samples.length; i += 250) {
      const batch = samples.slice(i, i + 250);
      await producer.send({
        topic: input,
        messages: await Promise.all(
          batch.map(async (s) => ({
            key: s.host,
            value: await sampleSerde.serialize(input, s),
            timestamp: String(s.timestamp),
          })),
        ),
      });
      await new Promise((r) => setTimeout(r, 400));
    }
    // A last sample two check intervals later moves stream time on, so the final profile is cut.
    const tick: HostSampleLike = { ...samples.at(-1)!, timestamp: start + 17 * MIN };
    await producer.send({
      topic: input,
      messages: [{ key: tick.host, value: await sampleSerde.serialize(input, tick) }],
    });

    const serde = avroSerde<CapacityFingerprint>();
    let latest: { record: CapacityFingerprint; profile: CapacityProfile } | undefined;
    const complete = await consumeDecoded(output, async (value) => {
      const record = await serde.deserialize(output, value);
      const profile = decodeFingerprint(Buffer.from(record.encoded));
      latest = { record, profile };
      return profile.sampleCount >= samples.length;
    });
    expect(complete).toBe(true);
    const { record, profile } = latest!;
    // The tick is in the profile when the punctuator ran after processing it.
    const covered = profile.sampleCount === samples.length ? samples : [...samples, tick];
    expect(profile.sampleCount).toBe(covered.length);
    const worst = worstPercentileError(profile, covered);
    console.log(
      `it fingerprint: v${record.version} ${record.encoded.length} bytes for ${record.serviceCount} services, ${record.hostCount} hosts, ${record.instanceCount} instances; max percentile error ${(worst * 100).toFixed(3)}%`,
    );
    expect(record.serviceCount).toBe(50);
    expect(record.instanceCount).toBe(region.services.reduce((n, s) => n + s.instances.length, 0));
    expect(record.hostCount).toBe(new Set(region.services.flatMap((s) => s.instances.map((i) => i.host))).size);
    expect(record.encoded.length).toBeLessThanOrEqual(2048);
    expect(worst).toBeLessThanOrEqual(0.01);
  });
});

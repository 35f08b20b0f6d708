import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HOST_BASELINE_RECORD, type HostBaseline } from '../../../schemas/records/host-baseline.js';
import { HOST_SAMPLE_RECORD, type HostSample } from '../../../schemas/records/host-sample.js';
import { buildHostBaselineTopology } from '../../../streams/processors/host-baseline/topology.js';
import { loadConnection } from '../../../streams/runtime/config.js';
import { StreamsApp } from '../../../streams/runtime/streams-app.js';
import { recordSerde } from '../../../streams/topic-serdes.js';
import {
  brokers,
  consumeUntil,
  createTopics,
  deleteTopics,
  registryUrl,
  testKafka,
  uniqueName,
} from '../../support/kafka.js';

const STEP = 60_000;

describe('host baseline on the real broker', () => {
  const prefix = uniqueName('baseline');
  const input = `${prefix}.samples`;
  const output = `${prefix}.baselines`;
  const applicationId = `${prefix}-app`.replace(/^test\./, 'test-');
  const sampleSerde = recordSerde(HOST_SAMPLE_RECORD);
  const baselineSerde = recordSerde(HOST_BASELINE_RECORD);
  let dir = '';
  const apps: StreamsApp[] = [];

  const start = async (stateDir: string): Promise<StreamsApp> => {
    const connection = { ...loadConnection(), brokers: brokers(), registryUrl: registryUrl() };
    const topology = buildHostBaselineTopology({
      applicationId,
      inputTopic: input,
      outputTopic: output,
      sampleSerde,
      baselineSerde,
      processor: { emitIntervalMs: 10 * STEP },
    });
    const app = new StreamsApp(topology, { guarantee: 'exactly-once', connection, stateDir, tickMs: 200 });
    apps.push(app);
    await app.start();
    return app;
  };
  const produce = async (samples: HostSample[]) => {
    const producer = testKafka('baseline-it').producer();
    await producer.connect();
    await producer.send({
      topic: input,
      messages: await Promise.all(
        samples.map(async (s) => ({ key: s.host, value: await sampleSerde.serialize(input, s) })),
      ),
    });
    await producer.disconnect();
  };
  const baselines = async (until: (b: HostBaseline[]) => boolean) => {
    let out: HostBaseline[] = [];
    const deadline = Date.now() + 90_000;
    while (Date.now() < deadline) {
      const msgs = await consumeUntil(output, () => false, 6_000);
      out = await Promise.all(msgs.map((m) => baselineSerde.deserialize(output, m.message.value!)));
      if (until(out)) break;
    }
    return out;
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'baseline-it-'));
    await createTopics([
      { topic: input, numPartitions: 2 },
      { topic: output, numPartitions: 2, configEntries: [{ name: 'cleanup.policy', value: 'compact' }] },
    ]);
  });

  afterAll(async () => {
    for (const a of apps) await a.close().catch(() => undefined);
    await deleteTopics([input, output, `${input}.dlq`]).catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  });

  it('publishes warm baselines and restores them from the changelog after a restart on an empty disk', async () => {
    const t0 = Math.floor(Date.now() / STEP) * STEP - 60 * STEP;
    const sample = (i: number, host = 'db-1'): HostSample => ({
      host,
      region: 'eu-west-1',
      zone: 'eu-west-1c',
      timestamp: t0 + i * STEP,
      metrics: { 'cpu.utilization': 0.2 + 0.01 * (i % 5), 'mem.utilization': 0.6 },
      tags: {},
      source: 'avro',
    });
    const first = await start(join(dir, 'a'));
    await produce(Array.from({ length: 40 }, (_, i) => sample(i)));
    const before = await baselines((b) => b.some((x) => x.host === 'db-1' && x.sampleCount === 40));
    const last = before
      .filter((x) => x.host === 'db-1')
      .sort((a, b) => a.sampleCount - b.sampleCount)
      .at(-1)!;
    expect(last.warm).toBe(true);
    expect(last.zone).toBe('eu-west-1c');
    expect(last.metrics['cpu.utilization']!.median).toBeCloseTo(0.22, 9);
    expect(last.metrics['mem.utilization']!.p99).toBeCloseTo(0.6, 9);
    await first.close();

    // A new instance with an empty state directory: the state must come back from the changelog.
    const second = await start(join(dir, 'b'));
    await produce([sample(55)]);
    const after = await baselines((b) => b.some((x) => x.host === 'db-1' && x.sampleCount === 41));
    const resumed = after.find((x) => x.host === 'db-1' && x.sampleCount === 41)!;
    expect(resumed.warm).toBe(true);
    // tasks open (and restore) after start() resolves, so the restore log is complete by now
    expect(second.restores.some((r) => r.store === 'host-baseline-state' && r.restored > 0)).toBe(true);
    expect(resumed.metrics['cpu.utilization']!.count).toBe(41);
    expect(resumed.metrics['cpu.utilization']!.median).toBeCloseTo(last.metrics['cpu.utilization']!.median, 9);
  });
});

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEPLOYMENT_RECORD, type Deployment } from '../../../schemas/records/deployment.js';
import { HOST_FAILURE_RECORD, type HostFailure } from '../../../schemas/records/host-failure.js';
import { HOST_RISK_RECORD, type HostRisk } from '../../../schemas/records/host-risk.js';
import { HOST_SAMPLE_RECORD, type HostSample } from '../../../schemas/records/host-sample.js';
import { buildFailureRiskTopology } from '../../../streams/processors/failure-risk/topology.js';
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

describe('failure risk on the real broker', () => {
  const prefix = uniqueName('risk');
  const topics = {
    samples: `${prefix}.samples`,
    failures: `${prefix}.failures`,
    deployments: `${prefix}.deployments`,
    risk: `${prefix}.risk`,
  };
  const applicationId = `${prefix}-app`.replace(/^test\./, 'test-');
  const sampleSerde = recordSerde(HOST_SAMPLE_RECORD);
  const failureSerde = recordSerde(HOST_FAILURE_RECORD);
  const deploymentSerde = recordSerde(DEPLOYMENT_RECORD);
  const riskSerde = recordSerde(HOST_RISK_RECORD);
  let dir = '';
  const apps: StreamsApp[] = [];

  const start = async (stateDir: string): Promise<StreamsApp> => {
    const connection = { ...loadConnection(), brokers: brokers(), registryUrl: registryUrl() };
    const topology = buildFailureRiskTopology({
      applicationId,
      samplesTopic: topics.samples,
      failuresTopic: topics.failures,
      deploymentsTopic: topics.deployments,
      riskTopic: topics.risk,
      sampleSerde,
      failureSerde,
      deploymentSerde,
      riskSerde,
    });
    const app = new StreamsApp(topology, { guarantee: 'exactly-once', connection, stateDir, tickMs: 200 });
    apps.push(app);
    await app.start();
    return app;
  };
  const send = async (topic: string, messages: Array<{ key: string; value: Buffer }>) => {
    const producer = testKafka('risk-it').producer();
    await producer.connect();
    await producer.send({ topic, messages });
    await producer.disconnect();
  };
  const risks = async (until: (r: HostRisk[]) => boolean) => {
    let out: HostRisk[] = [];
    const deadline = Date.now() + 90_000;
    while (Date.now() < deadline) {
      const msgs = await consumeUntil(topics.risk, () => false, 6_000);
      out = await Promise.all(msgs.map((m) => riskSerde.deserialize(topics.risk, m.message.value!)));
      if (until(out)) break;
    }
    return out.sort((a, b) => a.timestamp - b.timestamp);
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'risk-it-'));
    await createTopics([
      { topic: topics.samples, numPartitions: 2 },
      { topic: topics.failures, numPartitions: 2 },
      { topic: topics.deployments, numPartitions: 2, configEntries: [{ name: 'cleanup.policy', value: 'compact' }] },
      { topic: topics.risk, numPartitions: 2 },
    ]);
  });

  afterAll(async () => {
    for (const a of apps) await a.close().catch(() => undefined);
    await deleteTopics([...Object.values(topics), `${applicationId}-deployment-failures-repartition`]).catch(
      () => undefined,
    );
    await rm(dir, { recursive: true, force: true });
  });

  it('publishes Avro risk records, learns from failures and failed deployments, and keeps the model across a restart', async () => {
    const t0 = Math.floor(Date.now() / STEP) * STEP - 120 * STEP;
    const sample = (i: number): HostSample => ({
      host: 'app-1',
      region: 'us-east-1',
      zone: 'us-east-1a',
      timestamp: t0 + i * STEP,
      metrics: { 'cpu.utilization': 0.3 + 0.01 * (i % 3), 'mem.utilization': 0.55 },
      tags: {},
      source: 'avro',
    });
    const samples = async (from: number, to: number) =>
      send(
        topics.samples,
        await Promise.all(
          Array.from({ length: to - from }, async (_, k) => ({
            key: 'app-1',
            value: await sampleSerde.serialize(topics.samples, sample(from + k)),
          })),
        ),
      );

    const first = await start(join(dir, 'a'));
    await samples(0, 60);
    const failure: HostFailure = {
      host: 'app-1',
      region: 'us-east-1',
      timestamp: t0 + 60 * STEP,
      kind: 'CRASH',
      source: 'it',
      detail: 'kernel panic',
    };
    await send(topics.failures, [{ key: 'app-1', value: await failureSerde.serialize(topics.failures, failure) }]);
    const deployment: Deployment = {
      resourceId: 'cache-9',
      kind: 'redis',
      service: 'cart',
      host: 'app-1',
      region: 'us-east-1',
      zone: 'us-east-1a',
      rack: '',
      tier: 'HIGH',
      config: {},
      configRef: '',
      replication: true,
      address: '10.0.0.9:6379',
      cpu: 1,
      memoryMb: 1024,
      outcome: 'FAILED',
      deployedAt: t0 + 70 * STEP,
    };
    await samples(60, 72);
    await send(topics.deployments, [
      { key: 'cache-9', value: await deploymentSerde.serialize(topics.deployments, deployment) },
    ]);
    // The label takes a detour through the repartition topic: give it time to land before the
    // samples that should show it (topics are not ordered against each other).
    await new Promise((r) => setTimeout(r, 5_000));
    await samples(72, 80);
    const before = await risks((r) => r.some((x) => x.timestamp === sample(79).timestamp));
    expect(before).toHaveLength(80);
    const last = before.at(-1)!;
    expect(last).toMatchObject({
      host: 'app-1',
      region: 'us-east-1',
      zone: 'us-east-1a',
      horizonMs: 1_800_000,
      level: 'OK',
      deviating: false,
    });
    expect(typeof last.rising).toBe('boolean');
    expect(last.pFail).toBeGreaterThan(0);
    expect(last.pFail).toBeLessThan(0.05);
    // the failed deployment arrived through the repartition topic and now drives the risk
    expect(last.drivers.map((d) => d.feature)).toContain('deploy_failures');
    const updatesBefore = Number(last.modelVersion.split('.').at(-1));
    expect(updatesBefore).toBeGreaterThan(40);
    await first.close();

    // Empty disk: host state and model come back from their changelogs.
    await start(join(dir, 'b'));
    await samples(80, 81);
    const after = await risks((r) => r.some((x) => x.timestamp === sample(80).timestamp));
    const resumed = after.find((x) => x.timestamp === sample(80).timestamp)!;
    expect(Number(resumed.modelVersion.split('.').at(-1))).toBeGreaterThanOrEqual(updatesBefore);
    expect(resumed.drivers.map((d) => d.feature)).toContain('deploy_failures');
  });
});

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Partitioners } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEPLOYMENT_RECORD, type Deployment } from '../../../schemas/records/deployment.js';
import { HOST_FAILURE_RECORD, type HostFailure } from '../../../schemas/records/host-failure.js';
import { HOST_RISK_RECORD, type HostRisk } from '../../../schemas/records/host-risk.js';
import { HOST_SAMPLE_RECORD, type HostSample } from '../../../schemas/records/host-sample.js';
import { type RunningFailureRisk, startFailureRisk } from '../../../streams/processors/failure-risk/app.js';
import { FLEET_MODEL_KEY } from '../../../streams/processors/failure-risk/names.js';
import { loadConnection } from '../../../streams/runtime/config.js';
import { recordSerde } from '../../../streams/topic-serdes.js';
import {
  brokers,
  consumeUntil,
  createTopics,
  deleteTopics,
  registryUrl,
  testKafka,
  uniqueName,
  withAdmin,
} from '../../support/kafka.js';

const STEP = 60_000;
const partitioner = Partitioners.DefaultPartitioner();

/** The partition a producer (murmur2 on the key) puts `host` on, of two. */
function partitionOf(host: string): number {
  return partitioner({
    topic: 't',
    partitionMetadata: [0, 1].map((partitionId) => ({
      partitionId,
      leader: 0,
      replicas: [0],
      isr: [0],
      partitionErrorCode: 0,
    })),
    message: { key: host, value: null },
  });
}

/** Two hosts on different partitions, so two tasks own them. */
function hostsOnBothPartitions(): [string, string] {
  const a = 'app-1';
  for (let i = 2; ; i++) if (partitionOf(`app-${i}`) !== partitionOf(a)) return [a, `app-${i}`];
}

const updatesOf = (version: string) => Number(version.split('.').at(-1));

describe('failure risk on the real broker, with the fleet-wide model', () => {
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
  const [hostA, hostB] = hostsOnBothPartitions();
  let dir = '';
  const running: RunningFailureRisk[] = [];

  const start = async (stateDir: string): Promise<RunningFailureRisk> => {
    const connection = { ...loadConnection(), brokers: brokers(), registryUrl: registryUrl() };
    const r = await startFailureRisk({
      applicationId,
      samplesTopic: topics.samples,
      failuresTopic: topics.failures,
      deploymentsTopic: topics.deployments,
      riskTopic: topics.risk,
      sampleSerde,
      failureSerde,
      deploymentSerde,
      riskSerde,
      connection,
      guarantee: 'exactly-once',
      stateDir,
      // publish often: the test waits for models, not for the production cadence
      trainer: { publishEvery: 5, publishIntervalMs: 300 },
      streams: { tickMs: 200 },
    });
    running.push(r);
    return r;
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
  /**
   * Waits until this instance's model table holds a model with at least `updates` examples, and
   * more than `positives` positives: the trainer publishes as examples arrive, and one partition's
   * may arrive a publication later than the other's.
   */
  const modelWith = async (r: RunningFailureRisk, updates: number, positives = 0) => {
    const deadline = Date.now() + 60_000;
    for (;;) {
      const m = r.model.get(FLEET_MODEL_KEY);
      if (m && m.model.updates >= updates && m.model.positives > positives) return m;
      if (Date.now() > deadline)
        throw new Error(
          `no model with ${updates} updates and over ${positives} positives; last ${m?.version} (${m?.model.updates} updates, ${m?.model.positives} positives)`,
        );
      await new Promise((res) => setTimeout(res, 200));
    }
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
    for (const r of running) await r.close().catch(() => undefined);
    // Everything this test's apps created is named after its unique application id.
    const ours = await withAdmin(async (admin) =>
      (await admin.listTopics()).filter((t) => t.startsWith(`${applicationId}-`) || t.startsWith(`${applicationId}.`)),
    ).catch(() => [] as string[]);
    await deleteTopics([...Object.values(topics), ...ours]).catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  });

  it('trains one model from both partitions failures and failed deployments, scores both with it, and keeps it across a restart', async () => {
    expect(partitionOf(hostA)).not.toBe(partitionOf(hostB));
    const t0 = Math.floor(Date.now() / STEP) * STEP - 120 * STEP;
    const sample = (host: string, i: number): HostSample => ({
      host,
      region: 'us-east-1',
      zone: 'us-east-1a',
      timestamp: t0 + i * STEP,
      metrics: { 'cpu.utilization': 0.3 + 0.01 * (i % 3), 'mem.utilization': 0.55 },
      tags: {},
      source: 'avro',
    });
    const samples = async (from: number, to: number) => {
      const messages: Array<{ key: string; value: Buffer }> = [];
      for (let i = from; i < to; i++)
        for (const host of [hostA, hostB])
          messages.push({ key: host, value: await sampleSerde.serialize(topics.samples, sample(host, i)) });
      await send(topics.samples, messages);
    };
    const failure = (host: string, i: number): HostFailure => ({
      host,
      region: 'us-east-1',
      timestamp: t0 + i * STEP,
      kind: 'CRASH',
      source: 'it',
      detail: 'kernel panic',
      resourceId: '',
    });

    const first = await start(join(dir, 'a'));
    await samples(0, 60);
    // each host fails once, each on its own partition: 30 pending samples become positives per host
    await send(topics.failures, [
      { key: hostA, value: await failureSerde.serialize(topics.failures, failure(hostA, 60)) },
      { key: hostB, value: await failureSerde.serialize(topics.failures, failure(hostB, 60)) },
    ]);
    const deployment: Deployment = {
      resourceId: 'cache-9',
      kind: 'redis',
      service: 'cart',
      host: hostA,
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
    // The fleet model has both hosts' positives: up to 30 each, and 11 half-weight ones from the
    // deployment; more than one host's 41 means both partitions' tasks sent theirs.
    const trained = await modelWith(first, 100, 41);
    expect(trained.model.positives).toBeGreaterThan(41);
    await samples(72, 80);
    const before = await risks(
      (r) =>
        [hostA, hostB].every((h) => r.some((x) => x.host === h && x.timestamp === sample(h, 79).timestamp)) &&
        r.filter((x) => x.timestamp === sample(hostA, 79).timestamp).every((x) => updatesOf(x.modelVersion) > 0),
    );
    expect(before).toHaveLength(160);
    const last = (host: string) => before.filter((x) => x.host === host).at(-1)!;
    const a = last(hostA);
    const b = last(hostB);
    expect(a).toMatchObject({
      host: hostA,
      region: 'us-east-1',
      zone: 'us-east-1a',
      horizonMs: 1_800_000,
      deviating: false,
    });
    expect(typeof a.rising).toBe('boolean');
    // Both hosts of this little fleet died within 80 minutes of starting, and the fleet model has
    // learnt that a host like these fails more often than the prior said: a steady host's risk is
    // above the prior's (the first records, scored before any model was published), yet below
    // WARNING.
    const first0 = before.find((x) => x.host === hostA && updatesOf(x.modelVersion) === 0)!;
    expect(first0.pFail).toBeGreaterThan(0);
    expect(first0.pFail).toBeLessThan(0.05);
    expect(a.pFail).toBeGreaterThan(first0.pFail);
    expect(a.pFail).toBeLessThan(0.2);
    expect(['OK', 'WATCH']).toContain(a.level);
    // the failed deployment arrived through the repartition topic and now drives hostA's risk
    expect(a.drivers.map((d) => d.feature)).toContain('deploy_failures');
    // both tasks score with the one fleet model, which learnt from both partitions' failures
    expect(updatesOf(a.modelVersion)).toBeGreaterThanOrEqual(100);
    expect(updatesOf(b.modelVersion)).toBeGreaterThanOrEqual(100);
    expect(a.modelVersion.startsWith('logreg-v2.')).toBe(true);
    const updatesBefore = updatesOf(a.modelVersion);
    await first.close();

    // Empty disk: host states and the trainer's model come back from their changelogs, the model
    // table from the compacted model topic.
    const second = await start(join(dir, 'b'));
    expect(second.model.get(FLEET_MODEL_KEY)!.model.updates).toBeGreaterThanOrEqual(updatesBefore);
    await samples(80, 81);
    const after = await risks((r) => r.some((x) => x.host === hostA && x.timestamp === sample(hostA, 80).timestamp));
    const resumed = after.find((x) => x.host === hostA && x.timestamp === sample(hostA, 80).timestamp)!;
    expect(updatesOf(resumed.modelVersion)).toBeGreaterThanOrEqual(updatesBefore);
    expect(resumed.drivers.map((d) => d.feature)).toContain('deploy_failures');
  });
});

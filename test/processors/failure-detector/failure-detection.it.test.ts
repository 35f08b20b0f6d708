/**
 * Fast failure detection on the real stack: two probers (`foreshadow detect probe`, child
 * processes, vantages a and b) probe real redis-server primaries named in a deployments topic
 * (PING + ROLE every 200 ms, down-after 600 ms, set per resource in the deployment's config), and
 * the quorum judge (`foreshadow detect judge`, quorum 2) publishes host.failures. Asserted:
 *  - a prober frozen (SIGSTOP) while the resource is healthy causes no failure, and reports no
 *    timeout of its own making once woken (its stalled probe is STALLED, not TIMEOUT);
 *  - a resource killed while one prober is frozen is not declared on the other's word alone, and
 *    is declared as soon as the frozen prober wakes and agrees;
 *  - a resource killed with both probers up is declared once, with its resourceId, within
 *    interval × (k + 1) (k = down-after / interval) plus the pipeline's hops and headroom.
 */
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import type { Consumer, Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Deployment } from '../../../schemas/records/deployment.js';
import type { HostFailure } from '../../../schemas/records/host-failure.js';
import type { ResourceProbe } from '../../../schemas/records/resource-probe.js';
import { avroSerde, type Serde } from '../../../streams/runtime/serdes.js';
import { freePort, Program, removeDir, tempDir, waitFor } from '../../sinks/support.js';
import { cleanupApp, sleep } from '../../streams/fixtures/streams-helpers.js';
import { brokers, createTopics, registryUrl, testKafka, uniqueName } from '../../support/kafka.js';

const INTERVAL_MS = 200;
const DOWN_AFTER_MS = 600;
const K = DOWN_AFTER_MS / INTERVAL_MS;
/** Kafka hops (prober → judge → commit → reader) and a loaded two-core machine. */
const HEADROOM_MS = 1_500;

const schema = (name: string): string => fileURLToPath(new URL(`../../../schemas/${name}.avsc`, import.meta.url));

interface Seen<T> {
  at: number;
  value: T;
}

class Detection {
  readonly tag = randomUUID().slice(0, 8);
  readonly topics = {
    probes: uniqueName('probes'),
    deployments: uniqueName('deployments'),
    shadowState: uniqueName('shadow-state'),
    failures: uniqueName('failures'),
  };
  readonly observations: Seen<ResourceProbe>[] = [];
  readonly failures: Seen<HostFailure>[] = [];
  readonly children: Program[] = [];
  readonly redis = new Map<string, Program & { port?: number }>();
  dir = '';
  private producer: Producer | undefined;
  private consumer: Consumer | undefined;
  private readonly deploymentSerde: Serde<Deployment> = avroSerde<Deployment>({ schemaPath: schema('deployment') });

  async start(): Promise<void> {
    this.dir = await tempDir('detection');
    await createTopics([
      { topic: this.topics.probes, numPartitions: 3 },
      { topic: this.topics.failures, numPartitions: 1 },
      {
        topic: this.topics.deployments,
        numPartitions: 1,
        configEntries: [{ name: 'cleanup.policy', value: 'compact' }],
      },
      {
        topic: this.topics.shadowState,
        numPartitions: 1,
        configEntries: [{ name: 'cleanup.policy', value: 'compact' }],
      },
    ]);
    this.producer = testKafka('detection-test').producer({ allowAutoTopicCreation: false });
    await this.producer.connect();
    await this.follow();
    const env = {
      ...process.env,
      KAFKA_BROKERS: brokers().join(','),
      SCHEMA_REGISTRY_URL: registryUrl(),
      LOG_LEVEL: 'info',
    };
    const cli = (args: string[]): Program =>
      new Program(process.execPath, ['--import', 'tsx', 'cli/foreshadow.ts', 'detect', ...args], { env });
    const judge = cli([
      'judge',
      '--quorum',
      '2',
      '--application-id',
      `test-fd-${this.tag}`,
      '--commit-interval-ms',
      '20',
      '--state-dir',
      this.dir,
      '--probes-topic',
      this.topics.probes,
      '--failures-topic',
      this.topics.failures,
    ]);
    const prober = (vantage: string): Program =>
      cli([
        'probe',
        '--vantage',
        vantage,
        '--probes-topic',
        this.topics.probes,
        '--deployments-topic',
        this.topics.deployments,
        '--shadow-state-topic',
        this.topics.shadowState,
      ]);
    this.children.push(judge, prober('a'), prober('b'));
    for (const c of this.children)
      await waitFor(
        'a detection process to be ready',
        () => (c.output.includes('"msg":"ready"') ? true : undefined),
        90_000,
      ).catch((err: unknown) => {
        throw new Error(`${String(err)}\n${c.output.slice(-3000)}`);
      });
  }

  get proberA(): Program {
    return this.children[1]!;
  }

  /** Reads observations and failures as they arrive (the arrival time is what detection costs). */
  private async follow(): Promise<void> {
    const probeSerde = avroSerde<ResourceProbe>();
    const failureSerde = avroSerde<HostFailure>();
    this.consumer = testKafka('detection-test-reader').consumer({
      groupId: `test-detect-${this.tag}`,
      maxWaitTimeInMs: 50,
    });
    await this.consumer.connect();
    await this.consumer.subscribe({ topics: [this.topics.probes, this.topics.failures], fromBeginning: true });
    await this.consumer.run({
      eachMessage: async ({ topic, message }) => {
        if (!message.value) return;
        const at = Date.now();
        if (topic === this.topics.probes)
          this.observations.push({ at, value: await probeSerde.deserialize(topic, message.value) });
        else this.failures.push({ at, value: await failureSerde.deserialize(topic, message.value) });
      },
    });
  }

  async startRedis(resourceId: string): Promise<number> {
    const port = await freePort();
    const p = new Program('redis-server', [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
    ]);
    this.redis.set(resourceId, p);
    await waitFor(`redis ${resourceId}`, () => (p.output.includes('Ready to accept connections') ? true : undefined));
    const d: Deployment = {
      resourceId,
      kind: 'redis',
      service: resourceId,
      host: `host-${resourceId}`,
      region: 'r1',
      zone: 'r1-a',
      rack: 'a1',
      tier: 'CRITICAL',
      config: { 'probe.intervalMs': String(INTERVAL_MS), 'probe.downAfterMs': String(DOWN_AFTER_MS) },
      configRef: '',
      replication: false,
      address: `127.0.0.1:${port}`,
      cpu: 1,
      memoryMb: 128,
      outcome: 'SUCCEEDED',
      deployedAt: Date.now(),
    };
    await this.producer!.send({
      topic: this.topics.deployments,
      messages: [{ key: resourceId, value: await this.deploymentSerde.serialize(this.topics.deployments, d) }],
    });
    return port;
  }

  seenBy(resourceId: string, vantage: string, since: number): Seen<ResourceProbe>[] {
    return this.observations.filter(
      (o) => o.value.resourceId === resourceId && o.value.vantage === vantage && o.at >= since,
    );
  }

  failuresOf(resourceId: string): Seen<HostFailure>[] {
    return this.failures.filter((f) => f.value.resourceId === resourceId);
  }

  async close(): Promise<void> {
    for (const c of this.children) {
      c.child.kill('SIGCONT');
      await c.stop();
    }
    for (const r of this.redis.values()) await r.stop();
    await this.consumer?.disconnect();
    await this.producer?.disconnect();
    await cleanupApp(`test-fd-${this.tag}`, Object.values(this.topics));
    if (this.dir) await removeDir(this.dir);
  }
}

describe('failure detection by quorum of probers (real Redis, real stack)', () => {
  const d = new Detection();

  beforeAll(async () => {
    await d.start();
    await d.startRedis('redis-slow');
    await d.startRedis('redis-frozen');
    await d.startRedis('redis-killed');
    const t = Date.now();
    await waitFor(
      'both vantages to probe all three resources',
      () =>
        ['redis-slow', 'redis-frozen', 'redis-killed'].every((r) =>
          ['a', 'b'].every((v) => d.seenBy(r, v, t).some((o) => o.value.outcome === 'OK')),
        )
          ? true
          : undefined,
      60_000,
    );
  }, 180_000);

  afterAll(() => d.close(), 60_000);

  it('a prober frozen for a while causes no failure and no timeout of its own making', async () => {
    const t = Date.now();
    d.proberA.child.kill('SIGSTOP');
    await sleep(2_500);
    d.proberA.child.kill('SIGCONT');
    await sleep(2_000);
    expect(d.failures).toEqual([]);
    const woken = d.seenBy('redis-slow', 'a', t);
    expect(woken.length).toBeGreaterThan(0);
    expect(woken.filter((o) => o.value.outcome !== 'OK' && o.value.outcome !== 'STALLED')).toEqual([]);
  });

  it('a resource killed while one prober is frozen waits for that prober to agree', async () => {
    d.proberA.child.kill('SIGSTOP');
    const killedAt = Date.now();
    d.redis.get('redis-frozen')!.child.kill('SIGKILL');
    await sleep(DOWN_AFTER_MS + 5 * INTERVAL_MS);
    // b sees it down for well over down-after, but b alone is not a quorum.
    expect(d.seenBy('redis-frozen', 'b', killedAt).filter((o) => o.value.outcome === 'REFUSED').length).toBeGreaterThan(
      K,
    );
    expect(d.failuresOf('redis-frozen')).toEqual([]);
    const wokenAt = Date.now();
    d.proberA.child.kill('SIGCONT');
    const f = await waitFor('the failure once a agrees', () => d.failuresOf('redis-frozen')[0], 10_000);
    expect(f.value).toMatchObject({
      host: 'host-redis-frozen',
      region: 'r1',
      kind: 'CRASH',
      source: 'failure-detector',
    });
    expect(f.value.detail).toContain('quorum 2');
    console.log(`frozen prober woken → failure published: ${f.at - wokenAt} ms`);
    expect(f.at - wokenAt).toBeLessThan(2 * INTERVAL_MS + HEADROOM_MS);
  });

  it('a resource killed with both probers up is declared once, within interval × (k + 1) plus the hops', async () => {
    const killedAt = Date.now();
    d.redis.get('redis-killed')!.child.kill('SIGKILL');
    const f = await waitFor('the failure', () => d.failuresOf('redis-killed')[0], 15_000);
    const detectionMs = f.at - killedAt;
    console.log(`kill → host.failures: ${detectionMs} ms (interval ${INTERVAL_MS} ms, down-after ${DOWN_AFTER_MS} ms)`);
    // Silence counts from the last good probe (at most an interval before the kill), less the slack.
    expect(detectionMs).toBeGreaterThanOrEqual(DOWN_AFTER_MS - INTERVAL_MS - 50);
    expect(detectionMs).toBeLessThan(INTERVAL_MS * (K + 1) + HEADROOM_MS);
    expect(f.value).toMatchObject({ host: 'host-redis-killed', resourceId: 'redis-killed', kind: 'CRASH' });
    await sleep(1_000);
    expect(d.failuresOf('redis-killed')).toHaveLength(1);
    // The healthy resource was never declared.
    expect(d.failuresOf('redis-slow')).toEqual([]);
  });
});

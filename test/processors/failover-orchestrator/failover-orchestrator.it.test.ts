/**
 * A region drill on the real broker: the orchestrator (exactly-once) launches the blueprint level
 * by level against a simulated provider whose launch time grows with the level, and logs the
 * time-to-ready of each level. JSON values; unique topics and application id.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFailoverOrchestrator } from '../../../streams/processors/failover-orchestrator/app.js';
import {
  DEFAULT_REGION_TOPICS,
  type RegionTopics,
} from '../../../streams/processors/failover-orchestrator/topology.js';
import type { FailoverCommand, FailoverEvent } from '../../../streams/processors/failover-orchestrator/types.js';
import { jsonValueSerdes } from '../../../streams/processors/shadow-manager/topology.js';
import type { OperatorRequest } from '../../../streams/processors/shadow-manager/types.js';
import type { KafkaConnection } from '../../../streams/runtime/config.js';
import type { StreamsApp } from '../../../streams/runtime/streams-app.js';
import {
  brokers,
  type ConsumedMessage,
  consumeUntil,
  createTopics,
  deleteTopics,
  testKafka,
  uniqueName,
  withAdmin,
} from '../../support/kafka.js';
import { blueprint, SimulatedProvider } from '../shadow-manager/fixtures.js';
import { ProviderRunner } from '../shadow-manager/provider-runner.js';

const appId = `test-failover-${randomUUID().slice(0, 8)}`;
const topics = Object.fromEntries(
  Object.keys(DEFAULT_REGION_TOPICS).map((k) => [k, uniqueName(`fo-${k}`)]),
) as unknown as RegionTopics;
const stateDir = mkdtempSync(join(tmpdir(), 'foreshadow-fo-it-'));
const conn: KafkaConnection = {
  brokers: brokers(),
  clientId: appId,
  registryUrl: 'http://127.0.0.1:1',
  connectUrl: 'http://127.0.0.1:1',
  stateDir,
};
const runner = new ProviderRunner(new SimulatedProvider(), {
  commandTopics: [topics.commands],
  resultsTopic: topics.results,
  delayMs: (c) => ('level' in c && c.type === 'LAUNCH_LEVEL' ? 300 * (c.level + 1) : 50),
});
let app: StreamsApp | undefined;
let producer: Producer;
const values = <T>(msgs: ConsumedMessage[]): T[] => msgs.map((m) => JSON.parse(m.message.value!.toString()) as T);

beforeAll(async () => {
  await createTopics(Object.values(topics).map((topic) => ({ topic, numPartitions: 3, replicationFactor: 1 })));
  producer = testKafka().producer();
  await producer.connect();
  app = await startFailoverOrchestrator({
    applicationId: appId,
    topics,
    serdes: jsonValueSerdes,
    connection: conn,
    stateDir,
    orchestrator: { tickMs: 200 },
  });
  await runner.start();
});

afterAll(async () => {
  await runner.stop();
  await app?.close();
  await producer?.disconnect();
  // Ours plus what the runtime made for us: changelogs, fleet, dead-letter and late topics.
  const mine = Object.values(topics);
  const existing = await withAdmin((admin) => admin.listTopics());
  await deleteTopics(existing.filter((t) => t.startsWith(appId) || mine.some((m) => t.startsWith(m))));
  rmSync(stateDir, { recursive: true, force: true });
});

describe('failover orchestrator on the broker', () => {
  it('runs a region drill in DAG order and reports time-to-ready per level', async () => {
    const bp = blueprint('eu-1', [
      { name: 'db', level: 0 },
      { name: 'queue', level: 0 },
      { name: 'api', level: 1, dependsOn: ['db', 'queue'] },
      { name: 'web', level: 2, dependsOn: ['api'] },
    ]);
    await producer.send({ topic: topics.blueprints, messages: [{ key: 'eu-1', value: JSON.stringify(bp) }] });
    const drill: OperatorRequest = {
      requestId: 'it-drill-1',
      type: 'REGION_FAILOVER',
      subject: 'eu-1',
      targetHost: '',
      dryRun: true,
      principal: 'it',
      requestedAt: Date.now(),
    };
    // Same key as the blueprint, so both land on the same partition after it.
    await producer.send({ topic: topics.requests, messages: [{ key: 'eu-1', value: JSON.stringify(drill) }] });
    await producer.send({ topic: topics.requests, messages: [{ key: 'eu-1', value: JSON.stringify(drill) }] });

    const events = values<FailoverEvent>(
      await consumeUntil(
        topics.events,
        (m) => values<FailoverEvent>(m).some((e) => e.step === 'COMPLETED' || e.step === 'FAILED'),
        90_000,
      ),
    );
    expect(events.map((e) => e.step)).toEqual([
      'DRILL_STARTED',
      'LEVEL_LAUNCHED',
      'LEVEL_READY',
      'LEVEL_LAUNCHED',
      'LEVEL_READY',
      'LEVEL_LAUNCHED',
      'LEVEL_READY',
      'NETWORKING_CONFIGURED',
      'TRAFFIC_REDIRECTED',
      'REPLICATION_STARTED',
      'COMPLETED',
    ]);
    const report = JSON.parse(events.at(-1)!.detail) as {
      totalMs: number;
      levels: { level: number; timeToReadyMs: number }[];
    };
    expect(report.levels.map((l) => l.level)).toEqual([0, 1, 2]);
    // Each level waited for its own launch (300, 600, 900 ms in the provider) before the next began.
    report.levels.forEach((l) => {
      expect(l.timeToReadyMs).toBeGreaterThanOrEqual(300 * (l.level + 1) - 50);
    });
    expect(report.totalMs).toBeGreaterThanOrEqual(1_800);

    const commands = values<FailoverCommand>(await consumeUntil(topics.commands, (m) => m.length >= 6, 10_000));
    expect(commands.map((c) => (c.type === 'LAUNCH_LEVEL' ? `L${c.level}` : c.type))).toEqual([
      'L0',
      'L1',
      'L2',
      'CONFIGURE_NETWORKING',
      'REDIRECT_TRAFFIC',
      'START_REPLICATION',
    ]);
    expect(commands.every((c) => c.dryRun)).toBe(true);
  });
});

/**
 * A region drill on the real broker: the orchestrator (exactly-once) launches the blueprint's
 * capacity at once, then starts its services in DAG order against a simulated provider whose start
 * time grows with the level, and logs the time-to-ready of each unit. JSON values; unique topics
 * and application id.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FailoverCommand } from '../../../schemas/records/failover-command.js';
import type { FailoverEvent } from '../../../schemas/records/failover-event.js';
import type { OperatorRequest } from '../../../schemas/records/operator-request.js';
import { startFailoverOrchestrator } from '../../../streams/processors/failover-orchestrator/app.js';
import {
  DEFAULT_REGION_TOPICS,
  type RegionTopics,
} from '../../../streams/processors/failover-orchestrator/topology.js';
import type { KafkaConnection } from '../../../streams/runtime/config.js';
import type { StreamsApp } from '../../../streams/runtime/streams-app.js';
import { jsonValueSerdes } from '../../../streams/topic-serdes.js';
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
  delayMs: (c) => ('level' in c && c.type === 'LAUNCH_LEVEL' ? (c.provisionOnly ? 100 : 300 * (c.level + 1)) : 50),
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
  it('runs a region drill in DAG order and reports time-to-ready per unit', async () => {
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
      reason: '',
      scope: 'NONE',
      startsAt: 0,
      endsAt: 0,
      windowId: '',
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
    const steps = events.map((e) => e.step);
    expect(steps.filter((s) => s.startsWith('CAPACITY_'))).toEqual(['CAPACITY_LAUNCHED', 'CAPACITY_READY']);
    expect(steps.filter((s) => !s.startsWith('CAPACITY_'))).toEqual([
      'DRILL_STARTED',
      'SERVICE_STARTING',
      'SERVICE_STARTING',
      'SERVICE_READY',
      'SERVICE_READY',
      'SERVICE_STARTING',
      'SERVICE_READY',
      'SERVICE_STARTING',
      'SERVICE_READY',
      'NETWORKING_CONFIGURED',
      'TRAFFIC_REDIRECTED',
      'REPLICATION_STARTED',
      'COMPLETED',
    ]);
    const report = JSON.parse(events.at(-1)!.detail) as {
      totalMs: number;
      units: { unit: string; kind: string; level: number; timeToReadyMs: number }[];
    };
    const starts = report.units.filter((u) => u.kind === 'start');
    expect(starts.map((u) => u.unit)).toEqual(['l0:db', 'l0:queue', 'l1:api', 'l2:web']);
    // Each start waited for its own launch (300, 600, 900 ms in the provider), in DAG order.
    starts.forEach((u) => {
      expect(u.timeToReadyMs).toBeGreaterThanOrEqual(300 * (u.level + 1) - 50);
    });
    expect(report.totalMs).toBeGreaterThanOrEqual(1_800);

    const commands = values<FailoverCommand>(await consumeUntil(topics.commands, (m) => m.length >= 7, 10_000));
    expect(
      commands.map((c) => (c.type !== 'LAUNCH_LEVEL' ? c.type : c.provisionOnly ? 'CAPACITY' : `L${c.level}`)),
    ).toEqual(['CAPACITY', 'L0', 'L1', 'L2', 'CONFIGURE_NETWORKING', 'REDIRECT_TRAFFIC', 'START_REPLICATION']);
    expect(commands[0]!.services.map((s) => s.service)).toEqual(['db', 'queue', 'api', 'web']);
    expect(commands.every((c) => c.dryRun)).toBe(true);
  });
});

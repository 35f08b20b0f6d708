/**
 * The shadow manager on the real broker (routers + decision app, exactly-once) against a simulated
 * provider that consumes shadow.commands and answers on actuation.results. JSON values keep the test
 * independent of the schema registry; every topic and application id is unique to this run.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ActuationResult } from '../../../schemas/records/actuation-result.js';
import type { FailoverEvent } from '../../../schemas/records/failover-event.js';
import type { HostFailure } from '../../../schemas/records/host-failure.js';
import type { ShadowCommand } from '../../../schemas/records/shadow-command.js';
import type { ShadowState } from '../../../schemas/records/shadow-state.js';
import { type RunningApps, startShadowManager } from '../../../streams/processors/shadow-manager/app.js';
import {
  DEFAULT_SHADOW_TOPICS,
  fleetTopic,
  type ShadowTopics,
} from '../../../streams/processors/shadow-manager/topology.js';
import type { KafkaConnection } from '../../../streams/runtime/config.js';
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
import { deployment, host, risk, SimulatedProvider } from './fixtures.js';
import { ProviderRunner } from './provider-runner.js';

const appId = `test-shadow-manager-${randomUUID().slice(0, 8)}`;
const topics = Object.fromEntries(
  Object.keys(DEFAULT_SHADOW_TOPICS).map((k) => [k, uniqueName(`sm-${k}`)]),
) as unknown as ShadowTopics;
const stateDir = mkdtempSync(join(tmpdir(), 'foreshadow-sm-it-'));
const conn: KafkaConnection = {
  brokers: brokers(),
  clientId: appId,
  registryUrl: 'http://127.0.0.1:1',
  connectUrl: 'http://127.0.0.1:1',
  stateDir,
};
const provider = new SimulatedProvider();
const runner = new ProviderRunner(provider, {
  commandTopics: [topics.commands],
  resultsTopic: topics.results,
  delayMs: () => 150,
});
let running: RunningApps | undefined;
let producer: Producer;

const values = <T>(msgs: ConsumedMessage[]): T[] => msgs.map((m) => JSON.parse(m.message.value!.toString()) as T);
const latestStates = (msgs: ConsumedMessage[]): Map<string, ShadowState> =>
  new Map(values<ShadowState>(msgs).map((s) => [s.resourceId, s]));

async function send(topic: string, key: string, value: unknown): Promise<void> {
  await producer.send({ topic, messages: [{ key, value: JSON.stringify(value) }] });
}

beforeAll(async () => {
  // health.risk has its own partition count (as in the catalogue), so two routers run.
  await createTopics(
    Object.entries(topics).map(([k, topic]) => ({ topic, numPartitions: k === 'risk' ? 2 : 1, replicationFactor: 1 })),
  );
  producer = testKafka().producer();
  await producer.connect();
  running = await startShadowManager({
    applicationId: appId,
    topics,
    serdes: jsonValueSerdes,
    connection: conn,
    stateDir,
    partitionsOf: (input) => (input === 'risk' ? 2 : 1),
    manager: { createBurst: 2, createsPerMinute: 30, heartbeatIntervalMs: 3_600_000, tickMs: 200, idleTtlMs: 3_000 },
  });
  await runner.start();
});

afterAll(async () => {
  await runner.stop();
  await running?.close();
  await producer?.disconnect();
  // Ours plus what the runtime made for us: changelogs, fleet, dead-letter and late topics.
  const mine = Object.values(topics);
  const existing = await withAdmin((admin) => admin.listTopics());
  await deleteTopics(existing.filter((t) => t.startsWith(appId) || mine.some((m) => t.startsWith(m))));
  rmSync(stateDir, { recursive: true, force: true });
});

describe('shadow manager on the broker', () => {
  it('shadows critical resources first in another zone, fails over, acts once and refuses stale epochs', async () => {
    for (const h of [
      host('h1', 'a', 'r1'),
      host('h2', 'a', 'r2'),
      host('h3', 'b', 'r1'),
      host('h4', 'b', 'r2', { cpuCores: 4 }),
    ]) {
      await send(topics.hosts, h.host, h);
    }
    for (const d of [
      deployment('db-1', 'h1', 'CRITICAL'),
      deployment('api-1', 'h1', 'HIGH'),
      deployment('cache-1', 'h1', 'LOW'),
    ]) {
      await send(topics.deployments, d.resourceId, d);
    }
    for (const name of ['h2', 'h3', 'h4']) await send(topics.risk, name, risk(name, 0.02, Date.now()));
    // Tables first: the risk record must find the fleet in place (routers run independently).
    await consumeUntil(fleetTopic(appId), (m) => m.length >= 10, 60_000);
    await send(topics.risk, 'h1', risk('h1', 0.95, Date.now()));

    // Burst of 2: db-1 and api-1 at once, cache-1 deferred by the rate limit and served ~2 s later.
    const states = await consumeUntil(
      topics.state,
      (m) => {
        const s = latestStates(m);
        return ['db-1', 'api-1', 'cache-1'].every((id) => s.get(id)?.state === 'READY');
      },
      90_000,
    );
    const history = values<ShadowState>(states);
    expect(
      history.some((s) => s.resourceId === 'cache-1' && s.state === 'QUEUED' && s.reason.includes('RATE_LIMIT')),
    ).toBe(true);
    const creates = values<ShadowCommand>(await consumeUntil(topics.commands, (m) => m.length >= 3, 30_000)).filter(
      (c) => c.type === 'CREATE',
    );
    expect(creates.map((c) => c.resourceId)).toEqual(['db-1', 'api-1', 'cache-1']);
    expect(creates.every((c) => c.targetHost === 'h3')).toBe(true);

    // Deployed after the risk record: it has no shadow when h1 fails, so it gets a standard deployment.
    await send(topics.deployments, 'log-1', deployment('log-1', 'h1', 'LOW', { replication: false }));
    await consumeUntil(fleetTopic(appId), (m) => m.some((x) => x.message.value?.toString().includes('log-1')), 30_000);

    const failure: HostFailure = {
      host: 'h1',
      region: 'eu-1',
      timestamp: Date.now(),
      kind: 'CRASH',
      source: 'it',
      detail: '',
      resourceId: '',
    };
    await send(topics.failures, 'h1', failure);
    await send(topics.failures, 'h1', failure); // duplicated failure record
    const events = values<FailoverEvent>(
      await consumeUntil(topics.events, (m) => values<FailoverEvent>(m).some((e) => e.step === 'COMPLETED'), 90_000),
    );
    expect(events.filter((e) => e.step === 'DETECTED')).toHaveLength(1);
    expect(
      events
        .filter((e) => e.step === 'TRAFFIC_REDIRECTED')
        .map((e) => e.resourceId)
        .sort(),
    ).toEqual(['api-1', 'cache-1', 'db-1', 'log-1']);
    expect(events.filter((e) => e.step === 'STANDARD_DEPLOYMENT_REQUESTED').map((e) => e.resourceId)).toEqual([
      'log-1',
    ]);
    expect(events.find((e) => e.step === 'COMPLETED')!.elapsedMs).toBeGreaterThan(0);

    const commands = values<ShadowCommand>(
      await consumeUntil(
        topics.commands,
        (m) => values<ShadowCommand>(m).filter((c) => c.type === 'REDIRECT').length >= 4,
        30_000,
      ),
    );
    const promotes = commands.filter((c) => c.type === 'PROMOTE');
    expect(promotes.map((c) => [c.resourceId, c.epoch]).sort()).toEqual([
      ['api-1', 1],
      ['cache-1', 1],
      ['db-1', 1],
    ]);
    expect(commands.filter((c) => c.type === 'DEPLOY_STANDARD')).toEqual([
      // Zone b; h4 wins now that h3 carries three shadows' reservations.
      expect.objectContaining({ resourceId: 'log-1', targetHost: 'h4', epoch: 1 }),
    ]);

    // A duplicated command is answered DUPLICATE and acted on once; an older epoch is refused.
    const promote = promotes[0]!;
    await send(topics.commands, promote.resourceId, promote);
    await send(topics.commands, promote.resourceId, { ...promote, commandId: `${promote.commandId}:zombie`, epoch: 0 });
    const results = values<ActuationResult>(
      await consumeUntil(
        topics.results,
        (m) => values<ActuationResult>(m).some((r) => r.status === 'REJECTED_STALE_EPOCH'),
        30_000,
      ),
    );
    expect(results.filter((r) => r.commandId === promote.commandId).map((r) => r.status)).toEqual([
      'SUCCEEDED',
      'DUPLICATE',
    ]);
    expect(provider.actedOn(promote.commandId)).toBe(1);
    expect(new Set(runner.seen.map((c) => c.commandId)).size).toBeLessThan(runner.seen.length);
    for (const c of runner.seen) expect(provider.actedOn(c.commandId)).toBeLessThanOrEqual(1);
    const final = latestStates(await consumeUntil(topics.state, () => false, 3_000));
    expect(final.get(promote.resourceId)).toMatchObject({ state: 'PROMOTED', epoch: 1 });
  });

  it('retires idle shadows once risk has stayed low for the TTL, and does not flap', async () => {
    // Region eu-2: its own hosts, so the first scenario's state does not interfere with placement.
    const g = (name: string, zone: string) => host(name, zone, 'r1', { region: 'eu-2' });
    for (const h of [g('g1', 'a'), g('g2', 'b'), g('g3', 'b')]) await send(topics.hosts, h.host, h);
    await send(topics.deployments, 'x-1', deployment('x-1', 'g1', 'CRITICAL', { region: 'eu-2' }));
    for (const name of ['g2', 'g3']) await send(topics.risk, name, risk(name, 0.02, Date.now(), { region: 'eu-2' }));
    await consumeUntil(fleetTopic(appId), (m) => m.some((x) => x.message.value?.toString().includes('"g3"')), 30_000);
    await send(topics.risk, 'g1', risk('g1', 0.7, Date.now(), { region: 'eu-2' }));
    await consumeUntil(topics.state, (m) => latestStates(m).get('x-1')?.state === 'READY', 60_000);

    // In the hysteresis band (exit 0.3 < 0.45 < enter 0.6): kept however long it lasts.
    await send(topics.risk, 'g1', risk('g1', 0.45, Date.now(), { region: 'eu-2', rising: false, deviating: false }));
    await new Promise((r) => setTimeout(r, 4_500));
    const kept = latestStates(await consumeUntil(topics.state, () => false, 2_000));
    expect(kept.get('x-1')?.state).toBe('READY');

    const calmAt = Date.now();
    await send(topics.risk, 'g1', risk('g1', 0.1, calmAt, { region: 'eu-2' }));
    const retired = await consumeUntil(topics.state, (m) => latestStates(m).get('x-1')?.state === 'RETIRED', 30_000);
    const state = latestStates(retired).get('x-1')!;
    expect(state.updatedAt - calmAt).toBeGreaterThanOrEqual(3_000);
    expect(state.shadowMs).toBeGreaterThan(4_500);

    // Risk wobbles back into the band, even rising: below the enter threshold nothing is re-created.
    await send(topics.risk, 'g1', risk('g1', 0.45, Date.now(), { region: 'eu-2', rising: true, deviating: true }));
    await new Promise((r) => setTimeout(r, 2_000));
    const creates = values<ShadowCommand>(await consumeUntil(topics.commands, () => false, 2_000)).filter(
      (c) => c.resourceId === 'x-1' && c.type === 'CREATE',
    );
    expect(creates).toHaveLength(1);
  });
});

/**
 * The API on the real broker: its read model is fed from (uniquely named) output topics, and an
 * operating call lands on operator.requests with its audit record on audit.api. JSON values keep
 * the test independent of the schema registry.
 */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashToken, parseTokens } from '../../api/auth.js';
import { KafkaPublisher } from '../../api/publisher.js';
import { FleetReadModel, READ_MODEL_TOPICS, type ReadModelTable } from '../../api/read-model.js';
import { type ReadModelFeed, startReadModelFeed } from '../../api/read-model-feed.js';
import { buildApiServer } from '../../api/server.js';
import type { OperatorRequest } from '../../schemas/records/operator-request.js';
import { newShadowRecord, toShadowState } from '../../streams/processors/shadow-manager/lifecycle.js';
import type { KafkaConnection } from '../../streams/runtime/config.js';
import { deployment, T0 } from '../processors/shadow-manager/fixtures.js';
import { brokers, consumeUntil, createTopics, deleteTopics, testKafka, uniqueName } from '../support/kafka.js';

const TOKEN = 'integration-operator-token';
const tables = Object.keys(READ_MODEL_TOPICS) as ReadModelTable[];
const topics = Object.fromEntries(tables.map((t) => [t, uniqueName(`api-${t}`)])) as Record<ReadModelTable, string>;
const requestsTopic = uniqueName('api-requests');
const auditTopic = uniqueName('api-audit');
const all = [...Object.values(topics), requestsTopic, auditTopic];

let app: FastifyInstance;
let feed: ReadModelFeed;
let publisher: KafkaPublisher;
const model = new FleetReadModel();

beforeAll(async () => {
  await createTopics(all.map((topic) => ({ topic, numPartitions: 1, replicationFactor: 1 })));
  const conn: KafkaConnection = {
    brokers: brokers(),
    clientId: 'foreshadow-api-it',
    registryUrl: 'http://127.0.0.1:1',
    connectUrl: 'http://127.0.0.1:1',
    stateDir: '/tmp',
  };
  const producer = testKafka().producer();
  await producer.connect();
  const shadow = {
    ...toShadowState(newShadowRecord(deployment('db-1', 'h1', 'CRITICAL'), 3, 'PREDICTED', 0, T0)),
    state: 'READY',
    shadowHost: 'h3',
  };
  await producer.send({ topic: topics.shadows, messages: [{ key: 'db-1', value: JSON.stringify(shadow) }] });
  await producer.send({
    topic: topics.deployments,
    messages: [{ key: 'db-1', value: JSON.stringify(deployment('db-1', 'h1', 'CRITICAL')) }],
  });
  await producer.disconnect();
  feed = await startReadModelFeed(model, conn, { topics, format: 'json' });
  publisher = new KafkaPublisher(conn, { format: 'json', requestsTopic, auditTopic });
  app = await buildApiServer({ readModel: model, publisher, tokens: parseTokens(`ops:operate:${hashToken(TOKEN)}`) });
  const deadline = Date.now() + 60_000;
  while (!model.shadow('db-1') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
});

afterAll(async () => {
  await app?.close();
  await feed?.stop();
  await publisher?.close();
  await deleteTopics(all);
});

describe('API on the broker', () => {
  it('reads shadow state from the topics and records an operating call with its audit', async () => {
    const status = await app.inject({
      method: 'GET',
      url: '/shadow/status',
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    expect(status.json().shadows).toEqual([
      expect.objectContaining({ resourceId: 'db-1', state: 'READY', shadowHost: 'h3' }),
    ]);

    const res = await app.inject({
      method: 'POST',
      url: '/shadow/promote',
      headers: { authorization: `Bearer ${TOKEN}`, 'idempotency-key': 'it-promote-db-1' },
      payload: { resourceId: 'db-1' },
    });
    expect(res.statusCode).toBe(202);
    const unauth = await app.inject({ method: 'POST', url: '/shadow/promote', payload: { resourceId: 'db-1' } });
    expect(unauth.statusCode).toBe(401);

    const requests = await consumeUntil(requestsTopic, (m) => m.length >= 1, 30_000);
    const req = JSON.parse(requests[0]!.message.value!.toString()) as OperatorRequest;
    expect(req).toMatchObject({
      requestId: 'it-promote-db-1',
      type: 'PROMOTE_SHADOW',
      subject: 'db-1',
      principal: 'ops',
    });
    expect(requests[0]!.message.key?.toString()).toBe('db-1');
    const audits = await consumeUntil(auditTopic, (m) => m.length >= 2, 30_000);
    const statuses = audits.map(
      (a) => JSON.parse(a.message.value!.toString()) as { status: number; principal: string },
    );
    expect(statuses).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ status: 202, principal: 'ops' }),
        expect.objectContaining({ status: 401, principal: 'anonymous' }),
      ]),
    );
  });
});

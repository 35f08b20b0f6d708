import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { appendFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConnectClient } from '../../connectors/connect-client.js';
import { connectSchemaFor, jsonEnvelope } from '../../connectors/json-envelope.js';
import { freePort, waitFor } from '../sinks/support.js';
import {
  connectUrl,
  consumeUntil,
  createTopics,
  deleteTopics,
  registryUrl,
  testKafka,
  uniqueName,
} from '../support/kafka.js';
import { TestPostgres } from './postgres.js';

const run = promisify(execFile);

const now = Date.now();
const event = (i: number, step: string) => ({
  eventId: `ev-${i}`,
  failoverId: 'fo-1',
  scope: 'HOST',
  subject: 'host-a',
  step,
  resourceId: 'cache-1',
  fromHost: 'host-a',
  toHost: 'host-b',
  epoch: 4,
  dryRun: false,
  elapsedMs: 120 * i,
  detail: '',
  timestamp: now + i,
});
const shadowState = (state: string, epoch: number) => ({
  resourceId: 'cache-1',
  kind: 'redis',
  region: 'eu-1',
  primaryHost: 'host-a',
  shadowHost: 'host-b',
  shadowAddress: '10.0.0.2:6379',
  state,
  epoch,
  tier: 'HIGH',
  priority: 0.9,
  lagBytes: 0,
  lagMs: null,
  attempts: 1,
  reason: '',
  createdAt: now,
  updatedAt: now + epoch,
  shadowMs: 1000,
});

describe('connectors CLI against the real Connect worker, registry and PostgreSQL', () => {
  const prefix = `test-${randomUUID().slice(0, 8)}`;
  const id = prefix.slice(5);
  const metricsTopic = uniqueName('metrics-raw');
  const eventsTopic = uniqueName('failover-events');
  const stateTopic = uniqueName('shadow-state');
  const jsonEventsTopic = uniqueName('failover-events-json');
  const eventsTable = `failover_events_${id}`;
  const stateTable = `shadow_state_${id}`;
  let pg: TestPostgres;
  let dir: string;
  let env: NodeJS.ProcessEnv;

  /** The real CLI, as an operator runs it. */
  async function cli(args: string[], extraEnv: NodeJS.ProcessEnv = {}): Promise<{ code: number; out: string }> {
    try {
      const { stdout, stderr } = await run('npx', ['tsx', 'cli/foreshadow.ts', 'connectors', ...args], {
        env: { ...env, ...extraEnv },
        timeout: 170_000,
      });
      return { code: 0, out: stdout + stderr };
    } catch (err: unknown) {
      const e = err as { code?: number; stdout?: string; stderr?: string };
      return { code: typeof e.code === 'number' ? e.code : 1, out: `${e.stdout ?? ''}${e.stderr ?? ''}` };
    }
  }

  async function rows(query: string, count: number, what: string): Promise<string[]> {
    return waitFor(
      what,
      async () => {
        const r = await pg.sql('foreshadow', query).catch(() => []);
        return r.length === count ? r : undefined;
      },
      90_000,
    );
  }

  beforeAll(async () => {
    pg = await TestPostgres.start(await freePort());
    dir = await mkdtemp(join(tmpdir(), 'foreshadow-connectors-'));
    await writeFile(join(dir, 'metrics.jsonl'), '');
    await createTopics(
      [metricsTopic, eventsTopic, stateTopic, jsonEventsTopic].map((topic) => ({ topic, numPartitions: 1 })),
    );
    env = {
      ...process.env,
      CONNECT_URL: connectUrl(),
      FORESHADOW_CONNECTOR_PREFIX: prefix,
      FORESHADOW_METRICS_FILE: join(dir, 'metrics.jsonl'),
      FORESHADOW_METRICS_TOPIC: metricsTopic,
      FORESHADOW_FAILOVER_EVENTS_TOPIC: eventsTopic,
      FORESHADOW_SHADOW_STATE_TOPIC: stateTopic,
      FORESHADOW_FAILOVER_EVENTS_TABLE: eventsTable,
      FORESHADOW_SHADOW_STATE_TABLE: stateTable,
      FORESHADOW_JDBC_URL: pg.jdbcUrl(),
      FORESHADOW_JDBC_USER: 'foreshadow',
      FORESHADOW_REGISTRY_API_URL: registryUrl().replace(/\/apis\/ccompat\/v7\/?$/, '/apis/registry/v2'),
    };
  });

  afterAll(async () => {
    await cli(['delete', 'all']);
    await cli(['delete', 'jdbc-sink-failover-events'], { FORESHADOW_CONNECTOR_PREFIX: `${prefix}-json` });
    await deleteTopics([metricsTopic, eventsTopic, stateTopic, jsonEventsTopic]);
    await pg?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('deploys all connectors (validated first), brings metrics in and writes Avro records into PostgreSQL', async () => {
    const deployed = await cli(['deploy', 'all']);
    expect(deployed.code, deployed.out).toBe(0);
    for (const c of ['metrics-file-source', 'jdbc-sink-failover-events', 'jdbc-sink-shadow-state']) {
      expect(deployed.out).toMatch(new RegExp(`${prefix}-${c}: RUNNING`));
    }

    // Source: lines appended to the agent's file arrive on the metrics topic.
    const line = JSON.stringify({ host: 'h1', cpu: 0.42, ts: Date.now() });
    await appendFile(join(dir, 'metrics.jsonl'), `${line}\n`);
    const got = await consumeUntil(metricsTopic, (all) => all.length >= 1, 60_000);
    expect(got.map((m) => m.message.value?.toString())).toContain(line);

    // Sinks: Avro records in the registry's (Confluent) wire format, as the processors write them.
    const registry = new SchemaRegistry({ host: registryUrl() });
    const schema = async (name: string) => (await readFile(join('schemas', `${name}.avsc`), 'utf8')).toString();
    const { id: eventId } = await registry.register(
      { type: SchemaType.AVRO, schema: await schema('failover-event') },
      { subject: `${eventsTopic}-value` },
    );
    const { id: stateId } = await registry.register(
      { type: SchemaType.AVRO, schema: await schema('shadow-state') },
      { subject: `${stateTopic}-value` },
    );
    const producer = testKafka().producer();
    await producer.connect();
    await producer.send({
      topic: eventsTopic,
      messages: await Promise.all(
        ['DETECTED', 'SHADOW_PROMOTED'].map(async (step, i) => ({
          key: 'host-a',
          value: await registry.encode(eventId, event(i, step)),
        })),
      ),
    });
    await producer.send({
      topic: stateTopic,
      messages: [{ key: 'cache-1', value: await registry.encode(stateId, shadowState('SYNCING', 3)) }],
    });
    await producer.send({
      topic: stateTopic,
      messages: [{ key: 'cache-1', value: await registry.encode(stateId, shadowState('PROMOTED', 4)) }],
    });
    await producer.disconnect();

    // Debezium creates the tables; unquoted identifiers, so the columns are lower case.
    expect(await rows(`SELECT step, epoch FROM ${eventsTable} ORDER BY eventid`, 2, 'failover_events rows')).toEqual([
      'DETECTED|4',
      'SHADOW_PROMOTED|4',
    ]);
    // shadow.state is a table: the upsert keeps one row per resource, the latest state.
    const states = await waitFor(
      'shadow_state upserted row',
      async () => {
        const r = await pg.sql('foreshadow', `SELECT resource_key, state, epoch FROM ${stateTable}`).catch(() => []);
        return r.length === 1 && r[0]?.includes('PROMOTED') ? r : undefined;
      },
      90_000,
    );
    expect(states).toEqual(['cache-1|PROMOTED|4']);

    const status = await cli(['status', 'all']);
    expect(status.code, status.out).toBe(0);
    expect(status.out.match(/RUNNING \(0:RUNNING\)/g)).toHaveLength(3);

    const deleted = await cli(['delete', 'jdbc-sink-shadow-state']);
    expect(deleted.out).toMatch(/deleted/);
    expect(await new ConnectClient(connectUrl()).status(`${prefix}-jdbc-sink-shadow-state`)).toBeUndefined();
    const after = await cli(['status', 'jdbc-sink-shadow-state']);
    expect(after.code).toBe(1);
    expect(after.out).toMatch(/not deployed/);
  });

  it('also sinks JSON-with-schemas topics (stock JsonConverter) when told to', async () => {
    const json = {
      FORESHADOW_CONNECTOR_PREFIX: `${prefix}-json`,
      FORESHADOW_FAILOVER_EVENTS_TOPIC: jsonEventsTopic,
      FORESHADOW_FAILOVER_EVENTS_TABLE: `failover_events_json_${id}`,
      FORESHADOW_JDBC_VALUE_CONVERTER: 'org.apache.kafka.connect.json.JsonConverter',
    };
    const deployed = await cli(['deploy', 'jdbc-sink-failover-events'], json);
    expect(deployed.code, deployed.out).toBe(0);
    const producer = testKafka().producer();
    await producer.connect();
    await producer.send({
      topic: jsonEventsTopic,
      messages: [{ key: 'host-a', value: jsonEnvelope(connectSchemaFor('failover-event'), event(7, 'COMPLETED')) }],
    });
    await producer.disconnect();
    expect(await rows(`SELECT step, elapsedms FROM failover_events_json_${id}`, 1, 'json failover_events row')).toEqual(
      ['COMPLETED|840'],
    );
  });

  it('refuses to create a connector whose config fails validation, and names missing variables', async () => {
    // Deploying an already deployed connector updates it in place.
    const redeploy = await cli(['deploy', 'jdbc-sink-failover-events', '--timeout', '60000']);
    expect(redeploy.code, redeploy.out).toBe(0);

    const badDir = await mkdtemp(join(tmpdir(), 'foreshadow-bad-connector-'));
    await writeFile(
      join(badDir, 'broken.json'),
      JSON.stringify({
        name: `${prefix}-broken`,
        config: {
          'connector.class': 'io.debezium.connector.jdbc.JdbcSinkConnector',
          topics: eventsTopic,
          'tasks.max': 'many',
          // biome-ignore lint/suspicious/noTemplateCurlyInString: a connector-config placeholder, substituted by the CLI
          'connection.url': '${FORESHADOW_JDBC_URL}',
        },
      }),
    );
    try {
      const invalid = await cli(['deploy', 'broken', '--dir', badDir]);
      expect(invalid.code).toBe(1);
      expect(invalid.out).toMatch(/invalid: .*tasks\.max/);
      expect(await new ConnectClient(connectUrl()).status(`${prefix}-broken`)).toBeUndefined();

      const missing = await cli(['deploy', 'broken', '--dir', badDir], { FORESHADOW_JDBC_URL: '' });
      expect(missing.code).toBe(1);
      expect(missing.out).toMatch(/needs environment variables: FORESHADOW_JDBC_URL/);
    } finally {
      await new ConnectClient(connectUrl()).delete(`${prefix}-broken`);
      await rm(badDir, { recursive: true, force: true });
    }
  });
});

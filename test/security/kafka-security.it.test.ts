/**
 * Kafka security, end to end on a real broker: a throwaway KRaft broker (stack/secure-kafka.sh)
 * with SASL/SCRAM-SHA-512 over TLS only, the StandardAuthorizer and deny-by-default ACLs. The
 * pipeline principal gets only the topics, group and transactional ids its processor needs; the
 * processor (StreamsApp, exactly-once) then runs through the ordinary configuration variables
 * (KAFKA_SASL_*, KAFKA_SSL_CA_FILE). Every refused case is asserted by the broker's error code.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AclOperationTypes,
  AclPermissionTypes,
  AclResourceTypes,
  type Admin,
  type Kafka,
  ResourcePatternTypes,
} from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConnection } from '../../streams/runtime/config.js';
import { createKafka } from '../../streams/runtime/kafka-client.js';
import { sleep, startWorker } from '../streams/fixtures/streams-helpers.js';
import { aggSerde, expectedWindows, type Reading, windowKeySerde } from '../streams/fixtures/topologies.js';
import { recordAuthCase } from './auth-cases.js';

const ADMIN_PASSWORD = `adm-${randomBytes(12).toString('hex')}`;
const PIPELINE_PASSWORD = `pipe-${randomBytes(12).toString('hex')}`;
const APP_ID = 'sec-app';
const INPUT = 'sec.metrics';
const OUTPUT = 'sec.sums';
const FORBIDDEN = 'sec.forbidden';

let dir = '';
let brokersCsv = '';
let caFile = '';
let rogueCaFile = '';

function env(user: string, password: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    KAFKA_BROKERS: brokersCsv,
    KAFKA_SASL_MECHANISM: 'scram-sha-512',
    KAFKA_SASL_USERNAME: user,
    KAFKA_SASL_PASSWORD: password,
    KAFKA_SSL_CA_FILE: caFile,
    ...extra,
  };
}

function kafkaFor(e: NodeJS.ProcessEnv, clientId = 'sec-test'): Kafka {
  const conn = loadConnection(e);
  // A refused connection must fail fast, not retry for a minute.
  return createKafka({ ...conn, clientId }, clientId);
}

/** Runs `fn` and returns the Kafka error type (or message) it failed with; fails if it succeeded. */
async function refusal(fn: () => Promise<unknown>): Promise<string> {
  try {
    await fn();
  } catch (err: unknown) {
    const e = err as {
      type?: string;
      name?: string;
      message?: string;
      originalError?: { type?: string };
      errors?: { type?: string }[];
    };
    return e.type ?? e.originalError?.type ?? e.errors?.[0]?.type ?? `${e.name}: ${e.message}`;
  }
  throw new Error('expected the broker to refuse, but it accepted');
}

/** The broker's authorizer logs every denial: "Principal = User:pipeline is Denied operation = …". */
async function deniedInBrokerLog(resource: string): Promise<boolean> {
  const log = await readFile(join(dir, 'logs', 'kafka.log'), 'utf8');
  return log.split('\n').some((l) => l.includes('User:pipeline is Denied operation') && l.includes(resource));
}

async function adminDo<T>(fn: (a: Admin) => Promise<T>): Promise<T> {
  const a = kafkaFor(env('admin', ADMIN_PASSWORD), 'sec-admin').admin();
  await a.connect();
  try {
    return await fn(a);
  } finally {
    await a.disconnect();
  }
}

describe('Kafka SASL/SCRAM-SHA-512 over TLS with ACLs', () => {
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'foreshadow-secure-kafka-'));
    const out = execFileSync('bash', ['stack/secure-kafka.sh', 'up', dir], {
      encoding: 'utf8',
      env: { ...process.env, SECURE_ADMIN_PASSWORD: ADMIN_PASSWORD, SECURE_PIPELINE_PASSWORD: PIPELINE_PASSWORD },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const vars = Object.fromEntries(
      out
        .split('\n')
        .map((l) => /^([A-Z_]+)=(.*)$/.exec(l.trim()))
        .filter((m): m is RegExpExecArray => m !== null)
        .map((m) => [m[1]!, m[2]!]),
    );
    brokersCsv = vars.SECURE_KAFKA_BROKERS!;
    caFile = vars.SECURE_KAFKA_CA!;
    rogueCaFile = vars.SECURE_KAFKA_ROGUE_CA!;

    await adminDo(async (a) => {
      await a.createTopics({
        waitForLeaders: true,
        topics: [
          ...[INPUT, OUTPUT, FORBIDDEN].map((topic) => ({ topic, numPartitions: 2 })),
          // The operator creates the dead-letter topic; the pipeline may only write to it.
          { topic: `${INPUT}.dlq`, numPartitions: 1 },
        ],
      });
      const allow = (
        resourceType: AclResourceTypes,
        resourceName: string,
        operation: AclOperationTypes,
        pattern: ResourcePatternTypes = ResourcePatternTypes.LITERAL,
      ) => ({
        resourceType,
        resourceName,
        resourcePatternType: pattern,
        principal: 'User:pipeline',
        host: '*',
        operation,
        permissionType: AclPermissionTypes.ALLOW,
      });
      // Least privilege for one processor: read its input, write its output and dead letters, own
      // its internal topics (changelogs `<app>-…`, late records `<app>.late`, all prefixed by the
      // application id), its group and its transactional ids.
      await a.createAcls({
        acl: [
          allow(AclResourceTypes.TOPIC, INPUT, AclOperationTypes.READ),
          allow(AclResourceTypes.TOPIC, OUTPUT, AclOperationTypes.WRITE),
          allow(AclResourceTypes.TOPIC, `${INPUT}.dlq`, AclOperationTypes.WRITE),
          allow(AclResourceTypes.TOPIC, APP_ID, AclOperationTypes.ALL, ResourcePatternTypes.PREFIXED),
          allow(AclResourceTypes.GROUP, APP_ID, AclOperationTypes.READ),
          allow(
            AclResourceTypes.TRANSACTIONAL_ID,
            `${APP_ID}-`,
            AclOperationTypes.WRITE,
            ResourcePatternTypes.PREFIXED,
          ),
        ],
      });
    });
  }, 240_000);

  afterAll(async () => {
    if (dir) {
      execFileSync('bash', ['stack/secure-kafka.sh', 'down', dir], { stdio: 'inherit' });
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('runs an exactly-once processor as the least-privileged pipeline principal', async () => {
    const records: { key: string; value: Reading }[] = [];
    for (let seq = 0; seq < 400; seq++)
      records.push({ key: `h${seq % 4}`, value: { t: 1_000 + seq * 50, v: seq % 11, seq } });
    // One partition per key set keeps the brute-force expectation simple.
    const producer = kafkaFor(env('admin', ADMIN_PASSWORD), 'sec-producer').producer();
    await producer.connect();
    await producer.send({
      topic: INPUT,
      acks: -1,
      messages: records.map((r) => ({ key: r.key, value: JSON.stringify(r.value), partition: 0 })),
    });
    await producer.disconnect();
    const expected = expectedWindows(records).closed;

    const stateDir = await mkdtemp(join(tmpdir(), 'foreshadow-sec-state-'));
    const w = startWorker('windowed-worker.ts', {
      ...(env('pipeline', PIPELINE_PASSWORD) as Record<string, string>),
      APP_ID,
      INPUT_TOPIC: INPUT,
      OUTPUT_TOPIC: OUTPUT,
      STATE_DIR: stateDir,
      GUARANTEE: 'exactly-once',
      COMMIT_INTERVAL_MS: '200',
    });
    const got = new Map<string, { sum: number; count: number }>();
    const consumer = kafkaFor(env('admin', ADMIN_PASSWORD), 'sec-reader').consumer({
      groupId: `sec-reader-${randomBytes(4).toString('hex')}`,
      readUncommitted: false,
    });
    await consumer.connect();
    await consumer.subscribe({ topic: OUTPUT, fromBeginning: true });
    const deadline = Date.now() + 120_000;
    await consumer.run({
      eachMessage: async ({ message }) => {
        const k = await windowKeySerde.deserialize(OUTPUT, message.key!);
        got.set(`${k.key}@${k.start}`, await aggSerde.deserialize(OUTPUT, message.value!));
      },
    });
    while (got.size < expected.size && Date.now() < deadline) await sleep(250);
    await consumer.disconnect();
    w.child.kill('SIGTERM');
    const code = await w.exited;
    await rm(stateDir, { recursive: true, force: true });

    expect(got).toEqual(expected);
    expect(code).toBe(0);
    // Secrets never logged: neither password appears in anything the worker wrote.
    const logText = JSON.stringify(w.logs);
    expect(logText).not.toContain(PIPELINE_PASSWORD);
    expect(logText).not.toContain(ADMIN_PASSWORD);
    recordAuthCase('kafka', 'EOS processor as pipeline (SCRAM over TLS, least-privilege ACLs)', 'allowed');
  });

  it('refuses the pipeline principal everything its ACLs do not grant', async () => {
    const k = kafkaFor(env('pipeline', PIPELINE_PASSWORD), 'sec-pipeline');
    const producer = k.producer();
    await producer.connect();
    expect(await refusal(() => producer.send({ topic: FORBIDDEN, messages: [{ value: 'x' }] }))).toMatch(
      /TOPIC_AUTHORIZATION_FAILED|Topic authorization failed/,
    );
    recordAuthCase('kafka', 'produce to a topic without WRITE', 'refused');
    // Reading an output topic the processor only writes.
    expect(await refusal(() => producer.send({ topic: INPUT, messages: [{ value: 'x' }] }))).toMatch(
      /TOPIC_AUTHORIZATION_FAILED|Topic authorization failed/,
    );
    recordAuthCase('kafka', 'produce to its own input topic (READ only)', 'refused');
    await producer.disconnect();

    const tx = k.producer({ transactionalId: 'other-app-0', idempotent: true, maxInFlightRequests: 1 });
    await tx.connect();
    // kafkajs reports a refused FindCoordinator as "coordinator not found"; the broker's
    // authorizer log names the real reason.
    expect(await refusal(() => tx.transaction())).toMatch(
      /TRANSACTIONAL_ID_AUTHORIZATION_FAILED|Transactional Id authorization|GroupCoordinatorNotFound/i,
    );
    await tx.disconnect();
    expect(await deniedInBrokerLog('TransactionalId:LITERAL:other-app-0')).toBe(true);
    recordAuthCase('kafka', 'transactional id outside its prefix', 'refused');

    const admin = k.admin();
    await admin.connect();
    expect(await refusal(() => admin.fetchOffsets({ groupId: 'someone-else', topics: [INPUT] }))).toMatch(
      /GROUP_AUTHORIZATION_FAILED|Group authorization failed|GroupCoordinatorNotFound/i,
    );
    expect(await deniedInBrokerLog('Group:LITERAL:someone-else')).toBe(true);
    recordAuthCase('kafka', 'read offsets of another group', 'refused');
    expect(await refusal(() => admin.deleteTopics({ topics: [FORBIDDEN], timeout: 5_000 }))).toMatch(
      /TOPIC_AUTHORIZATION_FAILED|not authorized/i,
    );
    recordAuthCase('kafka', 'delete a topic', 'refused');
    expect(await refusal(() => admin.createTopics({ topics: [{ topic: 'sec.rogue-topic' }] }))).toMatch(
      /TOPIC_AUTHORIZATION_FAILED|not authorized/i,
    );
    recordAuthCase('kafka', 'create a topic outside its prefix', 'refused');
    expect(
      await refusal(() =>
        admin.createAcls({
          acl: [
            {
              resourceType: AclResourceTypes.TOPIC,
              resourceName: FORBIDDEN,
              resourcePatternType: ResourcePatternTypes.LITERAL,
              principal: 'User:pipeline',
              host: '*',
              operation: AclOperationTypes.ALL,
              permissionType: AclPermissionTypes.ALLOW,
            },
          ],
        }),
      ),
    ).toMatch(/CLUSTER_AUTHORIZATION_FAILED|not authorized/i);
    recordAuthCase('kafka', 'grant itself an ACL', 'refused');
    await admin.disconnect();

    const consumer = k.consumer({ groupId: APP_ID });
    await consumer.connect();
    // The metadata request behind subscribe is already refused.
    expect(await refusal(() => consumer.subscribe({ topic: FORBIDDEN, fromBeginning: true }))).toMatch(
      /TOPIC_AUTHORIZATION_FAILED|not authorized/i,
    );
    await consumer.disconnect().catch(() => undefined);
    recordAuthCase('kafka', 'consume a topic without READ', 'refused');
  });

  it('refuses bad credentials, a missing SASL layer, plaintext and an untrusted certificate', async () => {
    const connectWith = async (e: NodeJS.ProcessEnv) => {
      const conn = loadConnection(e);
      const a = createKafka(conn, 'sec-bad').admin({ retry: { retries: 0 } });
      try {
        await a.connect();
        await a.listTopics();
      } finally {
        await a.disconnect().catch(() => undefined);
      }
    };
    const cases: [string, NodeJS.ProcessEnv, RegExp][] = [
      ['wrong password', env('pipeline', 'not-the-password'), /SASL|authentic/i],
      ['unknown user', env('mallory', PIPELINE_PASSWORD), /SASL|authentic/i],
      [
        'mechanism not enabled (SCRAM-SHA-256)',
        env('pipeline', PIPELINE_PASSWORD, { KAFKA_SASL_MECHANISM: 'scram-sha-256' }),
        /SASL|mechanism|UNSUPPORTED/i,
      ],
      ['TLS without SASL', { KAFKA_BROKERS: brokersCsv, KAFKA_SSL_CA_FILE: caFile }, /.+/],
      ['plaintext', { KAFKA_BROKERS: brokersCsv }, /.+/],
      [
        'certificate from an untrusted CA',
        env('pipeline', PIPELINE_PASSWORD, { KAFKA_SSL_CA_FILE: rogueCaFile }),
        /certificate|self.signed|verify/i,
      ],
    ];
    for (const [name, e, pattern] of cases) {
      const why = await refusal(() => connectWith(e));
      expect(why, name).toMatch(pattern);
      // No error text carries the password that was tried.
      expect(why).not.toContain(PIPELINE_PASSWORD);
      recordAuthCase('kafka', name, 'refused');
    }
  });
});

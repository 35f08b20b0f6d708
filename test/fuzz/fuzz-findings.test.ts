/**
 * Unit tests for the defects the topic fuzz (topics-fuzz.it.test.ts) found, one block per fix, so
 * each stays fixed without the real stack.
 */
import type { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import avro from 'avsc';
import type { Admin, EachMessagePayload, Kafka } from 'kafkajs';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { KafkaLedger } from '../../sinks/framework/ledger.js';
import { dependencyMapTopology } from '../../streams/processors/dependency-map/topology.js';
import { buildFailoverOrchestratorTopology } from '../../streams/processors/failover-orchestrator/topology.js';
import { buildShadowRouterTopologies } from '../../streams/processors/shadow-manager/topology.js';
import { DLQ_HEADERS, DLQ_TRUNCATED_HEADERS, fitDeadLetter, recordBytes } from '../../streams/runtime/dead-letter.js';
import { avroSerde, jsonSerde, stringSerde } from '../../streams/runtime/serdes.js';
import { createTopicsAndWait, retryWhileInFlux } from '../../streams/runtime/topic-admin.js';
import { Topology } from '../../streams/runtime/topology.js';
import { TopologyTestDriver } from '../../streams/testing/topology-test-driver.js';
import { jsonValueSerdes } from '../../streams/topic-serdes.js';

interface Reading {
  host: string;
  at: number;
}

/** readings (JSON, event time = `at`) → out, failing on a negative `at`. */
function readings(): Topology {
  return new Topology('fuzz-findings')
    .addSource({
      name: 'in',
      topics: ['readings'],
      keySerde: stringSerde,
      valueSerde: jsonSerde<Reading>(),
      timestampExtractor: (r) => (r.value as Reading).at,
    })
    .addSink({ name: 'out', topic: 'out', keySerde: stringSerde, valueSerde: jsonSerde<Reading>() }, ['in']);
}

describe('dead letters of records near the broker limit', () => {
  it('keep small ones whole', () => {
    const body = { key: Buffer.from('k'), value: Buffer.from('v'), headers: { a: 'b'.repeat(900) } };
    expect(fitDeadLetter(body, recordBytes({ ...body, headers: {} }))).toBe(body);
  });

  it('are never larger than the record they copy: the value (then the key) gives way', () => {
    const source = { key: Buffer.from('k'), value: Buffer.alloc(1_048_000), headers: {} };
    const dlqHeaders = { 'x-dlq-error': 'e'.repeat(1_000) };
    const big = fitDeadLetter({ ...source, headers: dlqHeaders }, recordBytes(source));
    expect(recordBytes(big)).toBeLessThanOrEqual(recordBytes(source));
    expect(big.key?.toString()).toBe('k');
    expect(big.headers[DLQ_TRUNCATED_HEADERS.value]).toBe('1048000');
    const keyOnly = { key: Buffer.alloc(100_000), value: null, headers: {} };
    const cut = fitDeadLetter({ ...keyOnly, headers: dlqHeaders }, recordBytes(keyOnly));
    expect(recordBytes(cut)).toBeLessThanOrEqual(recordBytes(keyOnly));
    expect(cut.headers[DLQ_TRUNCATED_HEADERS.key]).toBe('100000');
  });

  it('are written that way by the runtime, with the application that gave up', async () => {
    const driver = new TopologyTestDriver(readings());
    const value = Buffer.alloc(1_048_000, 0x61);
    await driver.pipeRawInput('readings', Buffer.from('h1'), value, 5);
    const [dl] = driver.readOutput<Buffer, Buffer>('readings.dlq');
    const size = recordBytes({ key: dl!.key, value: dl!.value, headers: dl!.headers as Record<string, string> });
    expect(size).toBeLessThanOrEqual(1_048_002);
    expect(dl!.value.equals(value.subarray(0, dl!.value.length))).toBe(true);
    expect(dl!.headers[DLQ_TRUNCATED_HEADERS.value]).toBe('1048000');
    expect(dl!.headers[DLQ_HEADERS.application]).toBe('fuzz-findings');
    await driver.close();
  });
});

describe('event times the broker would refuse', () => {
  it('are dead-lettered instead of failing every commit of their outputs', async () => {
    const now = 1_800_000_000_000;
    const driver = new TopologyTestDriver(readings(), { initialWallClockMs: now, maxEventTimeAheadMs: 3_600_000 });
    await driver.pipeInput('readings', 'h1', { host: 'h1', at: now + 60_000 });
    await driver.pipeInput('readings', 'h2', { host: 'h2', at: Date.UTC(2999, 0, 1) });
    await driver.pipeInput('readings', 'h3', { host: 'h3', at: Date.UTC(1971, 0, 1) });
    expect(driver.readOutput<string, Reading>('out').map((r) => r.key)).toEqual(['h1', 'h3']);
    const [dl] = driver.readOutput<Buffer, Buffer>('readings.dlq');
    expect(dl!.key.toString()).toBe('h2');
    expect(dl!.headers[DLQ_HEADERS.reason]).toBe('timestamp');
    expect(dl!.headers[DLQ_HEADERS.error]).toMatch(/ahead of the clock/);
    await driver.close();
  });
});

describe('Avro records of another schema', () => {
  const schema = (name: string) => ({
    type: 'record',
    name,
    namespace: 'dev.fuzz',
    fields: [{ name: 'host', type: 'string' }],
  });
  const types = new Map([
    [1, avro.Type.forSchema(schema('Sample') as avro.Schema)],
    [2, avro.Type.forSchema(schema('Risk') as avro.Schema)],
  ]);
  let lookups = 0;
  // Just the two calls decoding makes; the schema id is in bytes 1-4 of the Confluent wire format.
  const registry = {
    decode: async (b: Buffer) => types.get(b.readInt32BE(1))!.fromBuffer(b.subarray(5)),
    getSchema: async (id: number) => {
      lookups++;
      return types.get(id);
    },
  } as unknown as SchemaRegistry;
  const wire = (id: number, host: string): Buffer => {
    const header = Buffer.alloc(5);
    header.writeInt32BE(id, 1);
    return Buffer.concat([header, types.get(id)!.toBuffer({ host })]);
  };

  it('are refused by a serde that has a schema of its own (dead-lettered, not processed as if they fitted)', async () => {
    const serde = avroSerde<{ host: string }>({ registry, schema: schema('Sample') });
    expect(await serde.deserialize('t', wire(1, 'h1'))).toEqual({ host: 'h1' });
    await expect(async () => serde.deserialize('t', wire(2, 'h2'))).rejects.toThrow(
      /dev\.fuzz\.Risk .* where dev\.fuzz\.Sample is expected/,
    );
    const before = lookups;
    await expect(async () => serde.deserialize('t', wire(2, 'h3'))).rejects.toThrow(/dev\.fuzz\.Risk/);
    expect(lookups).toBe(before);
  });

  it('still decode with a serde without a schema (it reads whatever the registry names)', async () => {
    expect(await avroSerde<{ host: string }>({ registry }).deserialize('t', wire(2, 'h4'))).toEqual({ host: 'h4' });
  });
});

describe('topic creation while other apps create and delete topics', () => {
  const inFlux = Object.assign(new Error('This server does not host this topic-partition'), {
    type: 'UNKNOWN_TOPIC_OR_PARTITION',
  });

  it('retries metadata errors of a cluster in flux, and nothing else', async () => {
    let calls = 0;
    await expect(
      retryWhileInFlux(async () => {
        if (++calls < 3) throw inFlux;
        return 'ok';
      }),
    ).resolves.toBe('ok');
    await expect(
      retryWhileInFlux(async () => {
        throw new Error('denied');
      }),
    ).rejects.toThrow('denied');
  });

  it('waits for the leaders of topics another app created a moment earlier', async () => {
    let metadataCalls = 0;
    const admin = {
      // kafkajs: "already exists" for one of them, no wait for the others' leaders.
      createTopics: async () => {
        throw Object.assign(new Error('Topic creation errors'), { type: 'TOPIC_ALREADY_EXISTS' });
      },
      listTopics: async () => ['a.dlq', 'app-x-repartition'],
      fetchTopicMetadata: async ({ topics }: { topics: string[] }) => {
        metadataCalls++;
        if (metadataCalls === 1) throw inFlux;
        const leader = metadataCalls < 3 ? -1 : 0;
        return { topics: topics.map((name) => ({ name, partitions: [{ partitionId: 0, leader }] })) };
      },
    } as unknown as Admin;
    await createTopicsAndWait(admin, [{ topic: 'a.dlq' }, { topic: 'app-x-repartition' }]);
    expect(metadataCalls).toBe(3);
  });

  it('creates again what a broker still does not know after the controller accepted it', async () => {
    // CI, 2026-12-06: KRaft accepted the creation, the broker's metadata still lacked the topic, and
    // kafkajs' wait for leaders gave up on UNKNOWN_TOPIC_OR_PARTITION.
    const created: string[][] = [];
    let listings = 0;
    const admin = {
      createTopics: async ({ topics }: { topics: { topic: string }[] }) => {
        created.push(topics.map((t) => t.topic));
        return true;
      },
      listTopics: async () => {
        listings++;
        if (listings === 2) throw inFlux;
        return listings === 1 ? ['other'] : listings === 3 ? ['b'] : ['a', 'b'];
      },
      fetchTopicMetadata: async ({ topics }: { topics: string[] }) => {
        if (created.length === 1) throw inFlux;
        return { topics: topics.map((name) => ({ name, partitions: [{ partitionId: 0, leader: 1 }] })) };
      },
    } as unknown as Admin;
    await createTopicsAndWait(admin, [{ topic: 'a' }, { topic: 'b' }]);
    expect(created).toEqual([['a', 'b'], ['a']]);
  });

  it('goes on when the controller answers late but created the topic', async () => {
    let listings = 0;
    const admin = {
      listTopics: async () => (++listings === 1 ? [] : ['a']),
      createTopics: async () => {
        throw Object.assign(new Error('The request timed out'), { type: 'REQUEST_TIMED_OUT', retriable: true });
      },
      fetchTopicMetadata: async () => ({ topics: [{ name: 'a', partitions: [{ partitionId: 0, leader: 1 }] }] }),
    } as unknown as Admin;
    await createTopicsAndWait(admin, [{ topic: 'a' }], 5_000);
    expect(listings).toBe(2);
  });

  it('fails at once on an error that is not metadata in flux', async () => {
    const admin = {
      listTopics: async () => [],
      createTopics: async () => {
        throw Object.assign(new Error('Replication factor: 3 larger than available brokers: 1'), {
          type: 'INVALID_REPLICATION_FACTOR',
        });
      },
    } as unknown as Admin;
    await expect(createTopicsAndWait(admin, [{ topic: 'a', replicationFactor: 3 }], 5_000)).rejects.toThrow(
      /Replication factor/,
    );
  });
});

describe('nulls and unknown shapes on event topics', () => {
  it('are dead-lettered by the dependency mapper with the reason', async () => {
    const driver = new TopologyTestDriver(dependencyMapTopology({ dagSerde: jsonSerde() }));
    await driver.pipeRawInput('topology.flows', null, null, 1);
    await driver.pipeRawInput('topology.configs', Buffer.from('svc'), Buffer.from('{"hello":"world"}'), 2);
    await driver.pipeRawInput(
      'topology.configs',
      Buffer.from('svc'),
      Buffer.from('{"content":"DB=postgres://db:5432/x","region":"r1"}'),
      3,
    );
    const errors = [
      ...driver.readOutput<Buffer, Buffer>('topology.flows.dlq'),
      ...driver.readOutput<Buffer, Buffer>('topology.configs.dlq'),
    ].map((d) => d.headers[DLQ_HEADERS.error]);
    expect(errors).toEqual([
      expect.stringMatching(/null flow record/),
      expect.stringMatching(/not a config record of an accepted shape/),
    ]);
    await driver.close();
  });

  it('are dead-lettered by the shadow-manager router; table tombstones still pass', async () => {
    const [router] = buildShadowRouterTopologies({ serdes: jsonValueSerdes, partitionsOf: () => 1 });
    const driver = new TopologyTestDriver(router!);
    await driver.pipeRawInput('health.risk', Buffer.from('h1'), null, 1);
    await driver.pipeRawInput('hosts', Buffer.from('h1'), null, 2);
    expect(driver.readOutput<Buffer, Buffer>('health.risk.dlq')[0]?.headers[DLQ_HEADERS.error]).toMatch(
      /null value on an event topic/,
    );
    expect(driver.readOutput('hosts.dlq')).toEqual([]);
    expect(
      driver.readOutput<string, { type: string }>('foreshadow-shadow-manager-fleet').map((r) => r.value.type),
    ).toEqual(['HOST']);
    await driver.close();
  });

  it('are dead-lettered by the failover orchestrator; table tombstones still pass', async () => {
    const driver = new TopologyTestDriver(buildFailoverOrchestratorTopology({ serdes: jsonValueSerdes }));
    await driver.pipeRawInput('operator.requests', Buffer.from('eu-1'), null, 1);
    await driver.pipeRawInput('region.blueprints', Buffer.from('eu-1'), null, 2);
    expect(driver.readOutput('operator.requests.dlq')).toHaveLength(1);
    expect(driver.readOutput('region.blueprints.dlq')).toEqual([]);
    await driver.close();
  });
});

describe("a corrupt entry on the actuators' ledger topic", () => {
  it('is skipped with the reason instead of stopping the ledger reader (and every catch-up) for good', async () => {
    let eachMessage: ((p: EachMessagePayload) => Promise<void>) | undefined;
    const ok = async (): Promise<void> => undefined;
    const kafka = {
      admin: () => ({
        connect: ok,
        disconnect: ok,
        listTopics: async () => ['ledger'],
        fetchTopicMetadata: async () => ({ topics: [{ name: 'ledger', partitions: [{ partitionId: 0, leader: 1 }] }] }),
        fetchTopicOffsets: async () => [{ partition: 0, high: '0' }],
      }),
      producer: () => ({ connect: ok, disconnect: ok }),
      consumer: () => ({
        events: { END_BATCH_PROCESS: 'end' },
        on: () => undefined,
        connect: ok,
        disconnect: ok,
        subscribe: ok,
        run: async (o: { eachMessage: (p: EachMessagePayload) => Promise<void> }) => {
          eachMessage = o.eachMessage;
        },
      }),
    } as unknown as Kafka;
    const skipped: string[] = [];
    const logger = pino<never>({ level: 'warn' }, { write: (l: string) => skipped.push(JSON.parse(l).error) });
    const ledger = new KafkaLedger(kafka, { topic: 'ledger', logger });
    await ledger.open();
    const deliver = (offset: number, key: string, value: string): Promise<void> =>
      eachMessage!({
        topic: 'ledger',
        partition: 0,
        message: { offset: String(offset), key: Buffer.from(key), value: Buffer.from(value) },
      } as unknown as EachMessagePayload);
    const entry = { lastEpoch: 3, commands: [{ id: 'c1', epoch: 3, status: 'SUCCEEDED', at: 1 }] };
    await deliver(0, 'p/r1', '{"lastEpoch": 3, "comm');
    await deliver(1, 'p/r2', '{"hello": "world"}');
    await deliver(2, '', JSON.stringify(entry));
    await deliver(3, 'p/r1', JSON.stringify(entry));
    expect((await ledger.get('p/r1'))?.lastEpoch).toBe(3);
    expect(await ledger.get('p/r2')).toBeUndefined();
    expect(skipped).toEqual([
      expect.stringMatching(/SyntaxError/),
      expect.stringMatching(/not a ledger entry/),
      expect.stringMatching(/no key/),
    ]);
    await ledger.close();
  });
});

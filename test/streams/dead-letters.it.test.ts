/**
 * Acceptance (5): dead letters on the real broker and registry. Malformed bytes, an Avro payload
 * with a schema id the registry does not know, and a record whose processing throws all land on
 * `<source>.dlq` with the x-dlq-* headers and their original bytes; the good records around them
 * are processed, in order, exactly once.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConnection } from '../../streams/runtime/config.js';
import { createLogger } from '../../streams/runtime/logger.js';
import { avroSerde, jsonSerde, stringSerde } from '../../streams/runtime/serdes.js';
import { StreamsApp } from '../../streams/runtime/streams-app.js';
import { StreamsBuilder } from '../../streams/runtime/streams-builder.js';
import { brokers, consumeUntil, createTopics, registryUrl, uniqueName } from '../support/kafka.js';
import { cleanupApp, produce } from './fixtures/streams-helpers.js';

interface Measurement {
  host: string;
  v: number;
}

const SCHEMA = {
  type: 'record',
  name: 'Measurement',
  namespace: 'test.foreshadow',
  fields: [
    { name: 'host', type: 'string' },
    { name: 'v', type: 'double' },
  ],
};

describe('dead letters', () => {
  const appId = uniqueName('dlq-app').replaceAll('.', '-');
  const input = uniqueName('dlq-in');
  const output = uniqueName('dlq-out');
  let stateDir = '';

  afterAll(async () => {
    await cleanupApp(appId, [input, output]);
    await fetch(`${registryUrl()}/subjects/${input}-value`, { method: 'DELETE' }).catch(() => undefined);
    if (stateDir) await rm(stateDir, { recursive: true, force: true });
  });

  it('sends malformed bytes, unknown schema ids and processor failures to <topic>.dlq and keeps going', async () => {
    await createTopics([
      { topic: input, numPartitions: 1 },
      { topic: output, numPartitions: 1 },
    ]);
    stateDir = await mkdtemp(join(tmpdir(), 'foreshadow-dlq-'));
    const registry = new SchemaRegistry({ host: registryUrl() });
    const serde = avroSerde<Measurement>({ registry, schema: SCHEMA });
    const good = async (host: string, v: number): Promise<Buffer> => serde.serialize(input, { host, v });
    // Magic byte 0, then a schema id nobody registered, then some payload.
    const unknownId = Buffer.from([0, 0x7f, 0xff, 0xff, 0x01, 0x02, 0x04, 0x61]);
    await produce(input, [
      { key: 'h1', value: await good('h1', 1), partition: 0 },
      { key: 'h2', value: Buffer.from('this is not avro'), partition: 0 },
      { key: 'h3', value: await good('h3', 2), partition: 0 },
      { key: 'h4', value: unknownId, partition: 0 },
      { key: 'h5', value: await good('h5', -1), partition: 0 },
      { key: 'h6', value: await good('h6', 3), partition: 0 },
    ]);

    const b = new StreamsBuilder(appId);
    b.stream(input, { keySerde: stringSerde, valueSerde: avroSerde<Measurement>({ registry }) })
      .mapValues((m) => {
        if (m.v < 0) throw new Error(`negative reading from ${m.host}`);
        return { host: m.host, doubled: m.v * 2 };
      }, 'double')
      .to(output, { keySerde: stringSerde, valueSerde: jsonSerde<{ host: string; doubled: number }>() });
    const app = new StreamsApp(b.build(), {
      guarantee: 'exactly-once',
      connection: { ...loadConnection(), brokers: brokers(), registryUrl: registryUrl() },
      stateDir,
      logger: createLogger('dlq-test', 'error'),
    });
    await app.start();
    try {
      const dlq = await consumeUntil(`${input}.dlq`, (all) => all.length >= 3, 60_000);
      const out = await consumeUntil(output, (all) => all.length >= 3, 30_000);
      expect(out.map((m) => JSON.parse(m.message.value!.toString()))).toEqual([
        { host: 'h1', doubled: 2 },
        { host: 'h3', doubled: 4 },
        { host: 'h6', doubled: 6 },
      ]);
      const h = (i: number, name: string): string | undefined => dlq[i]?.message.headers?.[name]?.toString();
      expect(dlq.map((m) => m.message.key?.toString())).toEqual(['h2', 'h4', 'h5']);
      expect(dlq[0]?.message.value?.toString()).toBe('this is not avro');
      expect(dlq[1]?.message.value).toEqual(unknownId);
      for (let i = 0; i < 3; i++) {
        expect(h(i, 'x-dlq-source-topic')).toBe(input);
        expect(h(i, 'x-dlq-source-partition')).toBe('0');
        expect(h(i, 'x-dlq-error')?.length).toBeGreaterThan(0);
      }
      expect([h(0, 'x-dlq-source-offset'), h(1, 'x-dlq-source-offset'), h(2, 'x-dlq-source-offset')]).toEqual([
        '1',
        '3',
        '4',
      ]);
      expect([h(0, 'x-dlq-reason'), h(1, 'x-dlq-reason'), h(2, 'x-dlq-reason')]).toEqual([
        'deserialization',
        'deserialization',
        'processing',
      ]);
      expect([h(0, 'x-dlq-processor'), h(1, 'x-dlq-processor'), h(2, 'x-dlq-processor')]).toEqual([
        `source-${input}`,
        `source-${input}`,
        'double',
      ]);
      expect(h(2, 'x-dlq-error')).toContain('negative reading from h5');
      const metric = await app.metrics.registry.getSingleMetricAsString('foreshadow_streams_dead_letters_total');
      expect(metric).toMatch(/reason="deserialization"[^\n]* 2/);
      expect(metric).toMatch(/reason="processing"[^\n]* 1/);
    } finally {
      await app.close();
    }
  });
});

import { SchemaType } from '@kafkajs/confluent-schema-registry';
import avro from 'avsc';
import { afterAll, describe, expect, it } from 'vitest';
import { HOST_SAMPLE_RECORD } from '../../schemas/records/host-sample.js';
import { SchemaCatalogue, valueSubject } from '../../schemas/registry.js';
import { TOPICS } from '../../streams/catalogue.js';
import { ForeshadowError } from '../../streams/runtime/errors.js';
import { consumeUntil, createTopics, deleteTopics, registryUrl, testKafka, uniqueName } from '../support/kafka.js';

const withSchemas = TOPICS.filter((t) => t.value !== undefined);

describe('Avro schemas in the real schema registry', () => {
  const catalogue = new SchemaCatalogue(registryUrl());
  const scratch: string[] = [];
  afterAll(async () => deleteTopics(scratch));

  it('registers every catalogue schema and round-trips a sample record through produce and consume', async () => {
    expect(withSchemas.length).toBeGreaterThanOrEqual(15);
    const producer = testKafka().producer();
    await producer.connect();
    const sent = new Map<string, { type: avro.Type; value: unknown }>();
    for (const spec of withSchemas) {
      const topic = uniqueName(spec.name);
      scratch.push(topic);
      await createTopics([{ topic, numPartitions: 1 }]);
      const { id } = await catalogue.registerTopic(topic, spec.value!);
      const type = avro.Type.forSchema(JSON.parse(spec.value!.text));
      const value = type.random();
      const encoded = await catalogue.registry.encode(id, value);
      // Confluent wire format: magic byte 0, then the 4-byte schema id.
      expect(encoded[0]).toBe(0);
      expect(encoded.readInt32BE(1)).toBe(id);
      await producer.send({ topic, messages: [{ key: 'k', value: encoded }] });
      sent.set(topic, { type, value });
    }
    await producer.disconnect();

    for (const [topic, { type, value }] of sent) {
      const [msg] = await consumeUntil(topic, (all) => all.length >= 1, 30_000);
      expect(msg, topic).toBeDefined();
      const decoded: unknown = await catalogue.registry.decode(msg!.message.value!);
      // Compare canonical encodings: maps, bytes and longs compare exactly that way.
      expect(type.toBuffer(decoded).equals(type.toBuffer(value)), topic).toBe(true);
    }
  });

  it('registers the catalogue from several processes at once: every one succeeds, with the same ids', async () => {
    // Processes started together (foreshadow run ×N) register the same new subjects at the same
    // moment; the registry refuses all but one creation (CI, 2026-12-06), so registration retries.
    const tag = uniqueName('race');
    const topics = withSchemas.map((t) => ({ ...t, name: `${tag}.${t.name}` }));
    const results = await Promise.all(
      [1, 2, 3].map(() => new SchemaCatalogue(registryUrl()).registerCatalogue(topics)),
    );
    const ids = results.map((r) => r.map((s) => `${s.subject}=${s.id}`));
    expect(ids[0]).toHaveLength(withSchemas.length);
    expect(ids[1]).toEqual(ids[0]);
    expect(ids[2]).toEqual(ids[0]);
  });

  it('sets BACKWARD compatibility, accepts a compatible change and rejects an incompatible one', async () => {
    const topic = uniqueName('compat');
    const subject = valueSubject(topic);
    const v1 = { type: 'record', name: 'Probe', namespace: 'test', fields: [{ name: 'a', type: 'string' }] };
    const v2ok = { ...v1, fields: [...v1.fields, { name: 'b', type: 'int', default: 0 }] };
    const v3bad = { ...v1, fields: [...v2ok.fields, { name: 'c', type: 'string' }] };
    const reg = catalogue.registry;
    const first = await reg.register({ type: SchemaType.AVRO, schema: JSON.stringify(v1) }, { subject });
    await catalogue.setCompatibility(subject, 'BACKWARD');

    const second = await reg.register({ type: SchemaType.AVRO, schema: JSON.stringify(v2ok) }, { subject });
    expect(second.id).not.toBe(first.id);

    const check = await catalogue.isCompatible(subject, JSON.stringify(v3bad));
    expect(check.compatible).toBe(false);
    // The registry itself refuses it, not only our pre-check.
    await expect(reg.register({ type: SchemaType.AVRO, schema: JSON.stringify(v3bad) }, { subject })).rejects.toThrow();
  });

  it('fails the schemas command clearly when a changed schema file is incompatible', async () => {
    const topic = uniqueName('cmd');
    const subject = valueSubject(topic);
    const incompatibleBase = {
      type: 'record',
      name: 'HostSample',
      namespace: 'dev.foreshadow',
      fields: [{ name: 'host', type: 'long' }],
    };
    await catalogue.registry.register({ type: SchemaType.AVRO, schema: JSON.stringify(incompatibleBase) }, { subject });
    await catalogue.setCompatibility(subject, 'BACKWARD');
    const err = await catalogue.registerTopic(topic, HOST_SAMPLE_RECORD).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ForeshadowError);
    expect((err as ForeshadowError).code).toBe('REGISTRY_FAILED');
    expect((err as ForeshadowError).message).toContain('not BACKWARD compatible');
    expect((err as ForeshadowError).context.subject).toBe(subject);
  });
});

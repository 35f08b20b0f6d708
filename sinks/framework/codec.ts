/**
 * How commands and results travel on Kafka. Production topics carry Avro through the schema
 * registry (Confluent wire format, via @kafkajs/confluent-schema-registry); the JSON codec carries
 * the same shapes as JSON text, for drills and for clusters without a registry. Either way the
 * decoded value is validated against the zod mirror of the .avsc, so providers see one shape.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import { ForeshadowError } from '../../streams/runtime/errors.js';
import { validateRecord } from '../../streams/validation/topic-validators.js';
import {
  type ActuationResult,
  type FailoverCommand,
  failoverCommandSchema,
  type ShadowCommand,
  shadowCommandSchema,
} from './types.js';

export interface CommandCodec {
  decodeShadow(data: Buffer): Promise<ShadowCommand>;
  decodeFailover(data: Buffer): Promise<FailoverCommand>;
  encodeResult(topic: string, result: ActuationResult): Promise<Buffer>;
  /** For readers of actuation.results (the Shadow Manager, tests, drills). */
  decodeResult(data: Buffer): Promise<ActuationResult>;
  /** Test and drill helpers produce commands with the same codec the actuator reads. */
  encodeShadow(topic: string, command: ShadowCommand): Promise<Buffer>;
  encodeFailover(topic: string, command: FailoverCommand): Promise<Buffer>;
}

function invalid(what: string, err: unknown): ForeshadowError {
  return new ForeshadowError('DESERIALIZATION_FAILED', `invalid ${what}`, { cause: err, retriable: false });
}

/**
 * The zod mirror gives the shape (and the Avro defaults to JSON); the topic's record validator
 * (streams/validation) then refuses absurd values — a NaN priority, a negative epoch or instance
 * count, a far-future issue time — with a VALIDATION_FAILED error naming the fields.
 */
function parse<T>(what: string, topic: string, schema: { parse(v: unknown): T }, value: unknown): T {
  let parsed: T;
  try {
    parsed = schema.parse(value);
  } catch (err: unknown) {
    throw invalid(what, err);
  }
  return validateRecord(topic, parsed);
}

export function jsonCodec(): CommandCodec {
  const json = (data: Buffer, what: string): unknown => {
    try {
      return JSON.parse(data.toString('utf8'));
    } catch (err: unknown) {
      throw invalid(what, err);
    }
  };
  return {
    decodeShadow: async (data) =>
      parse('shadow command', 'shadow.commands', shadowCommandSchema, json(data, 'shadow command')),
    decodeFailover: async (data) =>
      parse('failover command', 'failover.commands', failoverCommandSchema, json(data, 'failover command')),
    encodeResult: async (_topic, result) => Buffer.from(JSON.stringify(result)),
    decodeResult: async (data) => json(data, 'actuation result') as ActuationResult,
    encodeShadow: async (_topic, command) => Buffer.from(JSON.stringify(command)),
    encodeFailover: async (_topic, command) => Buffer.from(JSON.stringify(command)),
  };
}

const schemasDir = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'schemas');

function avsc(name: string): string {
  return readFileSync(join(schemasDir, `${name}.avsc`), 'utf8');
}

/**
 * Avro through the registry. Decoding uses the writer schema named in each record; encoding
 * registers (idempotently) the value schema under `<topic>-value` once per topic and caches its id.
 */
export function registryCodec(registryUrl: string): CommandCodec {
  const registry = new SchemaRegistry({ host: registryUrl });
  const ids = new Map<string, Promise<number>>();
  const idFor = (topic: string, schemaName: string): Promise<number> => {
    const subject = `${topic}-value`;
    let id = ids.get(subject);
    if (!id) {
      id = registry.register({ type: SchemaType.AVRO, schema: avsc(schemaName) }, { subject }).then((r) => r.id);
      // A failed registration must not be cached forever: the registry may come up later.
      id.catch(() => ids.delete(subject));
      ids.set(subject, id);
    }
    return id;
  };
  const decode = async (data: Buffer, what: string): Promise<unknown> => {
    try {
      return (await registry.decode(data)) as unknown;
    } catch (err: unknown) {
      throw invalid(what, err);
    }
  };
  return {
    decodeShadow: async (data) =>
      parse('shadow command', 'shadow.commands', shadowCommandSchema, await decode(data, 'shadow command')),
    decodeFailover: async (data) =>
      parse('failover command', 'failover.commands', failoverCommandSchema, await decode(data, 'failover command')),
    encodeResult: async (topic, result) => registry.encode(await idFor(topic, 'actuation-result'), result),
    decodeResult: async (data) => (await decode(data, 'actuation result')) as ActuationResult,
    encodeShadow: async (topic, command) => registry.encode(await idFor(topic, 'shadow-command'), command),
    encodeFailover: async (topic, command) => registry.encode(await idFor(topic, 'failover-command'), command),
  };
}

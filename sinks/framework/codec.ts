/**
 * How commands and results travel on Kafka. Production topics carry Avro through the schema
 * registry (Confluent wire format, via @kafkajs/confluent-schema-registry); the JSON codec carries
 * the same shapes as JSON text, for drills and for clusters without a registry. Either way the
 * decoded value is shaped by its record's schema (schemas/records/: Avro defaults for absent
 * fields, undeclared fields dropped, wrong types refused with their path), so providers see one
 * shape.
 */
import { SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import { type RecordDefinition, type RecordValue, recordFromJson } from '../../schemas/record.js';
import { ACTUATION_RESULT_RECORD } from '../../schemas/records/actuation-result.js';
import { FAILOVER_COMMAND_RECORD } from '../../schemas/records/failover-command.js';
import { SHADOW_COMMAND_RECORD } from '../../schemas/records/shadow-command.js';
import { FAILOVER_COMMANDS_TOPIC, SHADOW_COMMANDS_TOPIC } from '../../streams/catalogue.js';
import { ForeshadowError } from '../../streams/runtime/errors.js';
import { validateRecord } from '../../streams/validation/topic-validators.js';
import type { ActuationResult, FailoverCommand, ShadowCommand } from './types.js';

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
 * The record's schema gives the shape (and the Avro defaults to JSON); the topic's record checks
 * (streams/validation) then refuse absurd values — a NaN priority, a negative epoch or instance
 * count, a far-future issue time — with a VALIDATION_FAILED error naming the fields.
 */
function parse<R extends RecordDefinition>(what: string, topic: string, record: R, value: unknown): RecordValue<R> {
  let parsed: RecordValue<R>;
  try {
    parsed = recordFromJson(record, value);
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
      parse('shadow command', SHADOW_COMMANDS_TOPIC, SHADOW_COMMAND_RECORD, json(data, 'shadow command')),
    decodeFailover: async (data) =>
      parse('failover command', FAILOVER_COMMANDS_TOPIC, FAILOVER_COMMAND_RECORD, json(data, 'failover command')),
    encodeResult: async (_topic, result) => Buffer.from(JSON.stringify(result)),
    decodeResult: async (data) => json(data, 'actuation result') as ActuationResult,
    encodeShadow: async (_topic, command) => Buffer.from(JSON.stringify(command)),
    encodeFailover: async (_topic, command) => Buffer.from(JSON.stringify(command)),
  };
}

/**
 * Avro through the registry. Decoding uses the writer schema named in each record; encoding
 * registers (idempotently) the value schema under `<topic>-value` once per topic and caches its id.
 */
export function registryCodec(registryUrl: string): CommandCodec {
  const registry = new SchemaRegistry({ host: registryUrl });
  const ids = new Map<string, Promise<number>>();
  const idFor = (topic: string, record: RecordDefinition): Promise<number> => {
    const subject = `${topic}-value`;
    let id = ids.get(subject);
    if (!id) {
      id = registry.register({ type: SchemaType.AVRO, schema: record.text }, { subject }).then((r) => r.id);
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
      parse('shadow command', SHADOW_COMMANDS_TOPIC, SHADOW_COMMAND_RECORD, await decode(data, 'shadow command')),
    decodeFailover: async (data) =>
      parse(
        'failover command',
        FAILOVER_COMMANDS_TOPIC,
        FAILOVER_COMMAND_RECORD,
        await decode(data, 'failover command'),
      ),
    encodeResult: async (topic, result) => registry.encode(await idFor(topic, ACTUATION_RESULT_RECORD), result),
    decodeResult: async (data) => (await decode(data, 'actuation result')) as ActuationResult,
    encodeShadow: async (topic, command) => registry.encode(await idFor(topic, SHADOW_COMMAND_RECORD), command),
    encodeFailover: async (topic, command) => registry.encode(await idFor(topic, FAILOVER_COMMAND_RECORD), command),
  };
}

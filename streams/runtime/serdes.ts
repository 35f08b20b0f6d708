/**
 * Serdes: how keys and values cross the wire. String, JSON and raw bytes are local; Avro goes
 * through the schema registry (`@kafkajs/confluent-schema-registry`, Confluent wire format) with the
 * value schema registered or looked up once under `<topic>-value` and its id cached per topic.
 *
 * A serde that throws on `deserialize` sends the record to the dead-letter topic; the runtime wraps
 * the failure in a ForeshadowError('DESERIALIZATION_FAILED').
 */
import { readFileSync } from 'node:fs';
import { SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import { loadConnection } from './config.js';
import { ForeshadowError } from './errors.js';

export interface Serde<T> {
  serialize(topic: string, value: T): Buffer | Promise<Buffer>;
  deserialize(topic: string, data: Buffer): T | Promise<T>;
}

export const stringSerde: Serde<string> = {
  serialize: (_topic, value) => Buffer.from(value, 'utf8'),
  deserialize: (_topic, data) => {
    // TextDecoder with fatal=true rejects invalid UTF-8 instead of inventing U+FFFD characters.
    return utf8.decode(data);
  },
};
const utf8 = new TextDecoder('utf-8', { fatal: true });

export const bytesSerde: Serde<Buffer> = {
  serialize: (_topic, value) => value,
  deserialize: (_topic, data) => data,
};

/** JSON; `validate` (e.g. a zod schema's `parse`) turns wrong shapes into dead letters. */
export function jsonSerde<T>(validate?: (value: unknown) => T): Serde<T> {
  return {
    serialize: (_topic, value) => Buffer.from(JSON.stringify(value), 'utf8'),
    deserialize: (_topic, data) => {
      const parsed: unknown = JSON.parse(utf8.decode(data));
      return validate ? validate(parsed) : (parsed as T);
    },
  };
}

/** Signed 64-bit big-endian numbers, the way Kafka's LongSerde writes them. */
export const numberSerde: Serde<number> = {
  serialize: (_topic, value) => {
    const b = Buffer.alloc(8);
    b.writeBigInt64BE(BigInt(Math.trunc(value)));
    return b;
  },
  deserialize: (_topic, data) => {
    if (data.length !== 8) throw new Error(`expected 8 bytes, got ${data.length}`);
    return Number(data.readBigInt64BE());
  },
};

let defaultRegistry: SchemaRegistry | undefined;

/** One registry client per process for serdes that are not given one (its schema cache is shared). */
export function sharedRegistry(): SchemaRegistry {
  defaultRegistry ??= new SchemaRegistry({ host: loadConnection().registryUrl });
  return defaultRegistry;
}

export interface AvroSerdeOptions {
  /** Registry client; defaults to one client per process on SCHEMA_REGISTRY_URL. */
  registry?: SchemaRegistry;
  /** Writer schema as JSON text or object. Without it, the subject's latest schema is used. */
  schema?: string | object;
  /** Path of an .avsc file, as an alternative to `schema`. */
  schemaPath?: string;
  /** Subject naming; default `<topic>-value`. */
  subject?: (topic: string) => string;
  /** Register the schema on first use (default true when a schema is given). */
  register?: boolean;
}

/**
 * Avro through the schema registry. Decoding reads the schema id from the payload (the registry
 * client caches schemas by id), so an unknown id or a payload without the magic byte fails here and
 * the record becomes a dead letter.
 */
export function avroSerde<T>(options: AvroSerdeOptions = {}): Serde<T> {
  const subjectOf = options.subject ?? ((topic: string) => `${topic}-value`);
  const schemaText =
    options.schemaPath !== undefined
      ? readFileSync(options.schemaPath, 'utf8')
      : typeof options.schema === 'string'
        ? options.schema
        : options.schema !== undefined
          ? JSON.stringify(options.schema)
          : undefined;
  const register = options.register ?? schemaText !== undefined;
  const registry = (): SchemaRegistry => options.registry ?? sharedRegistry();
  // Promise per topic so concurrent first calls share one registry round trip.
  const ids = new Map<string, Promise<number>>();

  const idFor = (topic: string): Promise<number> => {
    let id = ids.get(topic);
    if (!id) {
      const subject = subjectOf(topic);
      id = (async () => {
        try {
          if (schemaText !== undefined && register) {
            const res = await registry().register({ type: SchemaType.AVRO, schema: schemaText }, { subject });
            return res.id;
          }
          if (schemaText !== undefined) {
            return await registry().getRegistryIdBySchema(subject, { type: SchemaType.AVRO, schema: schemaText });
          }
          return await registry().getLatestSchemaId(subject);
        } catch (cause: unknown) {
          ids.delete(topic);
          throw new ForeshadowError('REGISTRY_FAILED', `cannot resolve schema id for subject ${subject}`, {
            cause,
            retriable: true,
            context: { subject },
          });
        }
      })();
      ids.set(topic, id);
    }
    return id;
  };

  return {
    async serialize(topic, value) {
      return registry().encode(await idFor(topic), value);
    },
    async deserialize(_topic, data) {
      try {
        return (await registry().decode(data)) as T;
      } catch (cause: unknown) {
        if (!registryUnreachable(cause)) throw cause;
        throw new ForeshadowError('REGISTRY_FAILED', 'schema registry unreachable while decoding', {
          cause,
          retriable: true,
        });
      }
    },
  };
}

/**
 * True when the registry could not be reached at all (the client reports a refused connection as
 * "status 400: connect ECONNREFUSED"), as opposed to answering that a schema does not exist: the
 * first is an outage to wait out, the second bad data for the dead-letter topic.
 */
export function registryUnreachable(err: unknown): boolean {
  const e = err as { status?: number; message?: string } | undefined;
  if (typeof e?.status === 'number' && e.status >= 500) return true;
  return /ECONNREFUSED|ECONNRESET|ETIMEDOUT|EHOSTUNREACH|ENOTFOUND|socket hang up|EPIPE/.test(e?.message ?? '');
}

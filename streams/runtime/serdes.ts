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
import type { Schema } from '@kafkajs/confluent-schema-registry/dist/@types.js';
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

  // The registry client's encode/decode are async and look the schema up on every call (≈ a
  // microtask chain and a cache probe per record). After the first call the avsc codec is held
  // here and records are encoded/decoded synchronously, in the same Confluent wire format.
  const writers = new Map<string, { header: Buffer; codec: Schema }>();
  const readers = new Map<number, Schema>();
  // With a schema of its own, the serde reads only records written with that record type: a valid
  // record of another type (another topic's schema) decodes fine and would reach the processor as
  // if it were this one, with every field it expects missing.
  const expected = schemaText === undefined ? undefined : recordName(schemaText);
  /** Schema ids of other record types, with the error to throw again without asking the registry. */
  const foreign = new Map<number, string>();

  const slowDecode = async (data: Buffer): Promise<T> => {
    const known = data.length >= 5 && data[0] === 0 ? foreign.get(data.readInt32BE(1)) : undefined;
    if (known !== undefined) throw new Error(known);
    try {
      const value = (await registry().decode(data)) as T;
      // decode succeeded, so the id is known and its codec cached by the client: keep it here.
      const id = data.readInt32BE(1);
      if (!readers.has(id)) {
        const codec = await registry().getSchema(id);
        const written = (codec as { name?: unknown }).name;
        if (expected !== undefined && written !== expected) {
          const msg = `record of schema ${String(written)} (id ${id}) where ${expected} is expected`;
          foreign.set(id, msg);
          throw new Error(msg);
        }
        readers.set(id, codec);
      }
      return value;
    } catch (cause: unknown) {
      if (!registryUnreachable(cause)) throw cause;
      throw new ForeshadowError('REGISTRY_FAILED', 'schema registry unreachable while decoding', {
        cause,
        retriable: true,
      });
    }
  };

  return {
    serialize(topic, value) {
      const w = writers.get(topic);
      if (w) {
        try {
          return Buffer.concat([w.header, w.codec.toBuffer(value as object)]);
        } catch {
          // Fall through to the client for its error listing the invalid paths.
        }
      }
      return (async () => {
        const id = await idFor(topic);
        const encoded = await registry().encode(id, value);
        if (!writers.has(topic)) {
          const header = Buffer.alloc(5);
          header.writeInt32BE(id, 1);
          writers.set(topic, { header, codec: await registry().getSchema(id) });
        }
        return encoded;
      })();
    },
    deserialize(_topic, data) {
      // Magic byte 0 + 4-byte schema id; anything else goes the slow way and fails there as before.
      if (data.length >= 5 && data[0] === 0) {
        const codec = readers.get(data.readInt32BE(1));
        if (codec) return codec.fromBuffer(data.subarray(5)) as T;
      }
      return slowDecode(data);
    },
  };
}

/** Full name (namespace.name) of the Avro record type a schema text defines, if it defines one. */
export function recordName(schemaText: string): string | undefined {
  const s = JSON.parse(schemaText) as { type?: unknown; name?: unknown; namespace?: unknown };
  if (s.type !== 'record' || typeof s.name !== 'string') return undefined;
  if (s.name.includes('.') || typeof s.namespace !== 'string' || s.namespace === '') return s.name;
  return `${s.namespace}.${s.name}`;
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

/** First byte of a packed value; JSON text never starts with it (0xf6 is not valid UTF-8 lead). */
const PACKED_MAGIC = 0xf6;
/** Shorter number arrays stay in the JSON text, where they cost less than a reference. */
const PACK_MIN_LENGTH = 8;
const PACK_REF = '~f';
const littleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * Numbers only, and worth packing: small integers (visit counts, zeros) are 2-4 characters of
 * JSON, less than 8 bytes of float64, so an array of only those stays text.
 */
function packable(v: unknown[]): v is number[] {
  let worth = false;
  for (const x of v) {
    if (typeof x !== 'number') return false;
    if (!worth && (!Number.isInteger(x) || Math.abs(x) >= 1e7)) worth = true;
  }
  return worth;
}

/**
 * JSON for state objects dominated by long number arrays (baselines: rings, seasonal profiles;
 * trend series). The arrays travel as raw float64 after a small JSON skeleton that references them:
 *   [0xf6][u32 LE skeleton length][skeleton JSON][float64 LE values]
 * A 288-value ring costs 2.3 KB instead of ~5 KB of text, and decoding is a memcpy instead of
 * parsing ~18 characters per number (the failure-risk host state went from ~1 ms to ~0.05 ms per
 * read). Lossless for finite numbers; NaN and ±Infinity inside packed arrays survive too (JSON would
 * turn them into null). Values written by `jsonSerde` (first byte `{`, `[`, ...) still decode, so a
 * store can switch to this serde without migrating its changelog. Objects must not use the key
 * `~f`, which marks a reference.
 */
export function packedJsonSerde<T>(validate?: (value: unknown) => T): Serde<T> {
  return {
    serialize: (_topic, value) => {
      const floats: number[] = [];
      const skeleton = JSON.stringify(value, (_key, v: unknown) => {
        if (Array.isArray(v) && v.length >= PACK_MIN_LENGTH && packable(v)) {
          const at = floats.length;
          for (const x of v) floats.push(x);
          return { [PACK_REF]: [at, v.length] };
        }
        return v;
      });
      const text = Buffer.from(skeleton, 'utf8');
      const out = Buffer.allocUnsafe(5 + text.length + floats.length * 8);
      out[0] = PACKED_MAGIC;
      out.writeUInt32LE(text.length, 1);
      text.copy(out, 5);
      const base = 5 + text.length;
      if (littleEndian) {
        const f = Float64Array.from(floats);
        out.set(new Uint8Array(f.buffer), base);
      } else {
        for (let i = 0; i < floats.length; i++) out.writeDoubleLE(floats[i]!, base + i * 8);
      }
      return out;
    },
    deserialize: (_topic, data) => {
      if (data.length === 0 || data[0] !== PACKED_MAGIC) {
        const parsed: unknown = JSON.parse(utf8.decode(data));
        return validate ? validate(parsed) : (parsed as T);
      }
      if (data.length < 5) throw new Error('packed value: truncated header');
      const textLength = data.readUInt32LE(1);
      const base = 5 + textLength;
      const count = (data.length - base) / 8;
      if (!Number.isInteger(count) || count < 0) throw new Error('packed value: truncated data');
      let floats: Float64Array;
      if (littleEndian) {
        // Copy into a fresh (aligned) buffer: the record's bytes may sit at any offset of a pool.
        floats = new Float64Array(count);
        new Uint8Array(floats.buffer).set(data.subarray(base, base + count * 8));
      } else {
        floats = new Float64Array(count);
        for (let i = 0; i < count; i++) floats[i] = data.readDoubleLE(base + i * 8);
      }
      // A walk after parsing, not a JSON.parse reviver: a reviver runs for every node and made
      // decoding slower than plain JSON.
      const resolve = (v: unknown): unknown => {
        if (v === null || typeof v !== 'object') return v;
        if (Array.isArray(v)) {
          for (let i = 0; i < v.length; i++) {
            const x: unknown = v[i];
            if (x !== null && typeof x === 'object') v[i] = resolve(x);
          }
          return v;
        }
        const o = v as Record<string, unknown>;
        const ref = o[PACK_REF];
        if (Array.isArray(ref) && ref.length === 2) {
          const [at, n] = ref as [number, number];
          if (!(at >= 0 && at + n <= count)) throw new Error('packed value: reference out of range');
          // A plain push loop builds a packed-double array; Array.from(typed array) iterates generically.
          const out: number[] = [];
          for (let i = at; i < at + n; i++) out.push(floats[i]!);
          return out;
        }
        for (const k in o) {
          const x = o[k];
          if (x !== null && typeof x === 'object') o[k] = resolve(x);
        }
        return o;
      };
      const parsed = resolve(JSON.parse(utf8.decode(data.subarray(5, base))));
      return validate ? validate(parsed) : (parsed as T);
    },
  };
}

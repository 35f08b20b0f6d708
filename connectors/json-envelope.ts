/**
 * Kafka Connect's "JSON with schemas" envelope (`{"schema": ..., "payload": ...}`) derived from our
 * Avro schemas, so a record of failover.events / shadow.state can be written in a form the JDBC
 * sink understands with the stock JsonConverter. Handles the flat records our sink topics use:
 * primitives, enums (as strings), nullable unions, timestamp-millis, string maps and arrays.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface ConnectSchema {
  type: string;
  optional: boolean;
  field?: string;
  name?: string;
  version?: number;
  fields?: ConnectSchema[];
  keys?: ConnectSchema;
  values?: ConnectSchema;
  items?: ConnectSchema;
  /** The Avro field's default: Connect's JsonConverter substitutes it for a missing value. */
  default?: unknown;
}

type AvroType =
  | string
  | {
      type: string | AvroType[];
      logicalType?: string;
      fields?: AvroField[];
      values?: AvroType;
      items?: AvroType;
      name?: string;
    }
  | AvroType[];
interface AvroField {
  name: string;
  type: AvroType;
  default?: unknown;
}

const PRIMITIVES: Record<string, string> = {
  string: 'string',
  boolean: 'boolean',
  int: 'int32',
  long: 'int64',
  float: 'float',
  double: 'double',
  bytes: 'bytes',
  enum: 'string',
};

function convert(t: AvroType, optional: boolean): ConnectSchema {
  if (Array.isArray(t)) {
    const nonNull = t.filter((x) => x !== 'null');
    const only = nonNull[0];
    if (nonNull.length !== 1 || only === undefined) throw new Error('only ["null", T] unions are supported');
    return convert(only, true);
  }
  if (typeof t === 'string') {
    const p = PRIMITIVES[t];
    if (!p) throw new Error(`unsupported Avro type ${t}`);
    return { type: p, optional };
  }
  if (t.logicalType === 'timestamp-millis') {
    return { type: 'int64', optional, name: 'org.apache.kafka.connect.data.Timestamp', version: 1 };
  }
  if (Array.isArray(t.type)) return convert(t.type, optional);
  switch (t.type) {
    case 'record':
      return {
        type: 'struct',
        optional,
        name: t.name,
        // A field added later with a default (e.g. failover-event's advisory) may be missing from
        // a producer's payload; with the default in the schema the converter fills it in.
        fields: (t.fields ?? []).map((f) => ({
          ...convert(f.type, false),
          field: f.name,
          ...(f.default === undefined || f.default === null ? {} : { default: f.default }),
        })),
      };
    case 'map':
      return {
        type: 'map',
        optional,
        keys: { type: 'string', optional: false },
        values: convert(t.values ?? 'string', false),
      };
    case 'array':
      return { type: 'array', optional, items: convert(t.items ?? 'string', false) };
    default:
      return convert(t.type, optional);
  }
}

export function connectSchemaOf(avroSchema: AvroType): ConnectSchema {
  return convert(avroSchema, false);
}

const schemasDir = join(dirname(fileURLToPath(import.meta.url)), '..', 'schemas');

/** The Connect schema for one of schemas/<name>.avsc. */
export function connectSchemaFor(name: string): ConnectSchema {
  return connectSchemaOf(JSON.parse(readFileSync(join(schemasDir, `${name}.avsc`), 'utf8')) as AvroType);
}

export function jsonEnvelope(schema: ConnectSchema, payload: unknown): string {
  return JSON.stringify({ schema, payload });
}

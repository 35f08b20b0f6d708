/**
 * A record type of the topic catalogue, defined once: its Avro schema (declared in TypeScript, the
 * source of `schemas/<file>.avsc`), the TypeScript type derived from it (`RecordValue`), the
 * structural check avsc derives from it, and the semantic checks an Avro schema cannot express
 * (NaN, negative counts, probabilities outside [0, 1], far-future times: streams/validation/checks.ts
 * has the building blocks). Each record lives in its own module, schemas/records/<file>.ts.
 */
import avro from 'avsc';
import type { ZodType } from 'zod';
import type { ValidationClock } from '../streams/validation/checks.js';
import type { AvroRecord, AvroSchema, AvroValue } from './avro-schema.js';

export interface RecordDefinition<S extends AvroRecord = AvroRecord> {
  /** Base name of the generated schema file, `schemas/<file>.avsc`. */
  readonly file: string;
  readonly schema: S;
  /** Namespace-qualified record name, what the registry serde checks a decoded record against. */
  readonly fullName: string;
  /** The schema as JSON text: the content of `schemas/<file>.avsc`, and what is registered. */
  readonly text: string;
  /** The checks beyond the schema; absent for records with nothing worth judging. */
  readonly checks?: (clock: ValidationClock) => ZodType;
}

/** The decoded value of a record definition. */
export type RecordValue<R> = R extends RecordDefinition<infer S> ? AvroValue<S> : never;

/** One line of JSON with a space after every `:` and `,`, the house style of the .avsc files. */
function inline(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(inline).join(', ')}]`;
  if (value !== null && typeof value === 'object') {
    return `{${Object.entries(value)
      .map(([k, v]) => `${JSON.stringify(k)}: ${inline(v)}`)
      .join(', ')}}`;
  }
  return JSON.stringify(value);
}

const isRecord = (v: unknown): v is AvroRecord =>
  v !== null && typeof v === 'object' && (v as { type?: unknown }).type === 'record';

/**
 * A field on one line; a record nested in its type opens on that line and lists its own fields one
 * per line below it, indented one step further.
 */
function fieldLine(field: unknown, indent: string): string {
  const nested: AvroRecord[] = [];
  const marked = JSON.parse(
    JSON.stringify(field, (_k, v: unknown) => {
      if (v !== field && isRecord(v)) {
        nested.push(v);
        return `\u0000${nested.length - 1}`;
      }
      return v;
    }),
  ) as unknown;
  return inline(marked).replace(/"\\u0000(\d+)"/g, (_m, i: string) => {
    const { fields, ...head } = nested[Number(i)]!;
    const inner = `${indent}  `;
    const header = inline(head).slice(1, -1);
    const lines = fields.map((f) => `${inner}  ${fieldLine(f, `${inner}  `)}`).join(',\n');
    return `{\n${inner}${header}, "fields": [\n${lines}\n${inner}]}`;
  });
}

/**
 * The generated `.avsc` text of a schema, keys in declaration order: the record's type, name and
 * namespace on one line, each other attribute on its own, then one line per field. Stable and
 * readable, so a change to a declaration shows in the .avsc diff as the lines it changes.
 */
export function avscText(schema: AvroRecord): string {
  const { type, name, namespace, fields, ...rest } = schema;
  const lines = [`  ${inline({ type, name, ...(namespace === undefined ? {} : { namespace }) }).slice(1, -1)},`];
  for (const [k, v] of Object.entries(rest)) lines.push(`  ${JSON.stringify(k)}: ${inline(v)},`);
  lines.push('  "fields": [', fields.map((f) => `    ${fieldLine(f, '    ')}`).join(',\n'), '  ]');
  return `{\n${lines.join('\n')}\n}\n`;
}

export function defineRecord<const S extends AvroRecord>(definition: {
  file: string;
  schema: S;
  checks?: (clock: ValidationClock) => ZodType;
}): RecordDefinition<S> {
  const { schema } = definition;
  const fullName = schema.name.includes('.') || !schema.namespace ? schema.name : `${schema.namespace}.${schema.name}`;
  return { ...definition, fullName, text: avscText(schema) };
}

const types = new WeakMap<RecordDefinition, avro.Type>();

/** The avsc type of a record (built once per definition). */
export function avroType(record: RecordDefinition): avro.Type {
  let type = types.get(record);
  if (!type) {
    type = avro.Type.forSchema(record.schema as unknown as avro.Schema);
    types.set(record, type);
  }
  return type;
}

/**
 * Where a value breaks its schema: one entry per offending path (`services.0.instances`), naming
 * what the path holds. Empty for a value the Avro encoder accepts as it is.
 */
export function structuralProblems(record: RecordDefinition, value: unknown): string[] {
  const problems: string[] = [];
  avroType(record).isValid(value, {
    errorHook: (path, v, type) => {
      const shown = v === undefined ? 'missing' : typeof v === 'string' ? JSON.stringify(v) : String(v);
      problems.push(`${path.join('.') || 'value'} is not a valid ${type.typeName} (${shown})`);
    },
  });
  return problems;
}

/**
 * A record from loosely written JSON (drills, tests, clusters without a registry) in the shape the
 * Avro decoder gives: absent fields take their schema defaults, a long written as a decimal string
 * becomes a number, undeclared fields are dropped. Throws naming every path that is still invalid.
 */
export function recordFromJson<R extends RecordDefinition>(record: R, value: unknown): RecordValue<R> {
  const shaped = shape(record.schema, value);
  const problems = structuralProblems(record, shaped);
  if (problems.length > 0) throw new Error(`invalid ${record.schema.name}: ${problems.join('; ')}`);
  return shaped as RecordValue<R>;
}

const DECIMAL = /^-?\d+$/;

function shape(schema: AvroSchema, value: unknown): unknown {
  if (typeof schema === 'string') {
    return schema === 'long' && typeof value === 'string' && DECIMAL.test(value) ? Number(value) : value;
  }
  if (Array.isArray(schema)) return value; // unions of primitives only (nullable fields)
  const s = schema as Exclude<AvroSchema, string | readonly AvroSchema[]>;
  switch (s.type) {
    case 'record': {
      if (value === null || typeof value !== 'object' || Array.isArray(value)) return value;
      const v = value as Record<string, unknown>;
      const out: Record<string, unknown> = {};
      for (const f of s.fields) {
        const given = v[f.name];
        out[f.name] = given === undefined && 'default' in f ? structuredClone(f.default) : shape(f.type, given);
      }
      return out;
    }
    case 'array':
      return Array.isArray(value) ? value.map((x: unknown) => shape(s.items, x)) : value;
    case 'map': {
      if (value === null || typeof value !== 'object' || Array.isArray(value)) return value;
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(value)) out[k] = shape(s.values, x);
      return out;
    }
    case 'enum':
    case 'fixed':
      return value;
    default:
      return shape(s.type, value);
  }
}

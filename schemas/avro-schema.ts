/**
 * Avro schemas declared as TypeScript values, and the type of the values they describe. A record
 * module (schemas/records/<name>.ts) declares its schema once, `as const`; `AvroValue` turns that
 * declaration into the TypeScript type of a decoded record, so the type cannot drift from the
 * schema the registry holds.
 *
 * The mapping follows what avsc (the registry client's codec) hands back: int, long, float and
 * double are numbers (a timestamp-millis long too: avsc ignores logical types unless told
 * otherwise), bytes and fixed are Buffers, a map is a string-keyed object, a union is the union of
 * its branches (so ["null", T] is T | null), an enum is the union of its symbols. Named type
 * references (a field typed by the name of a type declared earlier) are not supported: every
 * Foreshadow schema declares its nested types inline.
 */

export type AvroPrimitive = 'null' | 'boolean' | 'int' | 'long' | 'float' | 'double' | 'bytes' | 'string';

export interface AvroLogical {
  readonly type: AvroPrimitive;
  readonly logicalType: string;
}

export interface AvroEnum {
  readonly type: 'enum';
  readonly name: string;
  readonly namespace?: string;
  readonly doc?: string;
  readonly symbols: readonly string[];
  readonly default?: string;
}

export interface AvroArray {
  readonly type: 'array';
  readonly items: AvroSchema;
}

export interface AvroMap {
  readonly type: 'map';
  readonly values: AvroSchema;
}

export interface AvroFixed {
  readonly type: 'fixed';
  readonly name: string;
  readonly size: number;
}

export interface AvroField {
  readonly name: string;
  readonly type: AvroSchema;
  readonly doc?: string;
  readonly default?: unknown;
}

export interface AvroRecord {
  readonly type: 'record';
  readonly name: string;
  readonly namespace?: string;
  readonly doc?: string;
  readonly fields: readonly AvroField[];
}

export type AvroSchema =
  | AvroPrimitive
  | AvroLogical
  | AvroEnum
  | AvroArray
  | AvroMap
  | AvroFixed
  | AvroRecord
  | readonly AvroSchema[];

interface PrimitiveValue {
  null: null;
  boolean: boolean;
  int: number;
  long: number;
  float: number;
  double: number;
  bytes: Buffer;
  string: string;
}

/** The TypeScript type of the values an Avro schema declaration describes. */
export type AvroValue<S> = S extends AvroPrimitive
  ? PrimitiveValue[S]
  : S extends readonly (infer Branch)[]
    ? AvroValue<Branch>
    : S extends AvroRecord
      ? { [F in S['fields'][number] as F['name']]: AvroValue<F['type']> }
      : S extends AvroEnum
        ? S['symbols'][number]
        : S extends AvroArray
          ? AvroValue<S['items']>[]
          : S extends AvroMap
            ? Record<string, AvroValue<S['values']>>
            : S extends AvroFixed
              ? Buffer
              : S extends AvroLogical
                ? PrimitiveValue[S['type']]
                : never;

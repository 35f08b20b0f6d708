/**
 * Serdes of the catalogue's record values. Avro takes the writer schema from the record module
 * (schemas/records/<file>.ts) and registers it as `<topic>-value`; no schema file is read at run
 * time, so the working directory does not matter.
 */
import type { RecordDefinition, RecordValue } from '../schemas/record.js';
import { topicSpec } from './catalogue.js';
import { type AvroSerdeOptions, avroSerde, jsonSerde, type Serde } from './runtime/serdes.js';

/** Avro through the registry with the record's own schema. */
export function recordSerde<R extends RecordDefinition>(
  record: R,
  options: Omit<AvroSerdeOptions, 'schema' | 'schemaPath'> = {},
): Serde<RecordValue<R>> {
  return avroSerde<RecordValue<R>>({ ...options, schema: record.text });
}

/** Serde of a catalogue topic's values; the catalogue topic name selects the record. */
export type ValueSerdeFactory = <T>(catalogueTopic: string) => Serde<T>;

/** Avro with the catalogue topic's record schema (JSON for topics without one). */
export const avroValueSerdes: ValueSerdeFactory = <T>(catalogueTopic: string): Serde<T> => {
  const record = topicSpec(catalogueTopic).value;
  return record === undefined ? jsonSerde<T>() : avroSerde<T>({ schema: record.text });
};

/** JSON for every topic: for tests and clusters without a registry. */
export const jsonValueSerdes: ValueSerdeFactory = <T>(_topic: string): Serde<T> => jsonSerde<T>();

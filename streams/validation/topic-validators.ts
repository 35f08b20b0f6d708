/**
 * One validator per internal catalogue topic, used by every consumer of the topic: the processor
 * apps wrap their source serdes in `validatedSerde` (an absurd record is dead-lettered by the
 * runtime with reason `validation` and the field named in `x-dlq-error`), the actuators validate
 * decoded commands (dead letter), and the read-only views (API read model, dashboard) skip and log
 * the record instead of storing it. A record that decodes against its Avro schema but carries
 * NaN, a negative count, a probability outside [0, 1], an empty id, an unknown enum-like name or
 * an event time before 1970 or beyond the broker's future bound is refused here. The checks of a
 * record live in its record module beside its schema; the catalogue says which record a topic carries.
 */
import type { ZodType } from 'zod';
import { TOPICS } from '../catalogue.js';
import type { Serde } from '../runtime/serdes.js';
import { invalidRecord, type RecordCheck, recordCheck, type ValidationClock, WALL_CLOCK } from './checks.js';

/** Each catalogue topic's checks, from its record module (schemas/records/<file>.ts). */
const SCHEMAS: Record<string, (clock: ValidationClock) => ZodType> = Object.fromEntries(
  TOPICS.flatMap((t) => (t.value?.checks ? [[t.name, t.value.checks]] : [])),
);

/** Catalogue topics with a record validator. */
export const VALIDATED_TOPICS: readonly string[] = Object.keys(SCHEMAS);

const checks = new Map<string, RecordCheck>();

/** The check of one topic's records (built once per topic for the wall clock). */
export function recordCheckFor(topic: string, clock?: ValidationClock): RecordCheck {
  const make = SCHEMAS[topic];
  if (!make) throw new Error(`no record validator for topic ${topic}`);
  if (clock) return recordCheck(make(clock));
  let check = checks.get(topic);
  if (!check) {
    check = recordCheck(make(WALL_CLOCK));
    checks.set(topic, check);
  }
  return check;
}

/** The reasons a record of `topic` (catalogue name) is absurd; none when it is sane. */
export function recordProblems(topic: string, value: unknown, clock?: ValidationClock): string[] {
  return recordCheckFor(topic, clock)(value);
}

/** Throws ForeshadowError('VALIDATION_FAILED') naming the absurd fields; returns the value otherwise. */
export function validateRecord<T>(topic: string, value: T, clock?: ValidationClock): T {
  const problems = recordProblems(topic, value, clock);
  if (problems.length > 0) throw invalidRecord(topic, problems);
  return value;
}

/**
 * The serde of a catalogue topic's values with its validator behind: a decoded record that is
 * absurd throws VALIDATION_FAILED, which the runtime dead-letters (reason `validation`). Tombstones
 * never reach a serde. Serialising is unchanged.
 */
export function validatedSerde<T>(catalogueTopic: string, serde: Serde<T>, clock?: ValidationClock): Serde<T> {
  const problems = recordCheckFor(catalogueTopic, clock);
  const check = (v: T): T => {
    const found = problems(v);
    if (found.length > 0) throw invalidRecord(catalogueTopic, found);
    return v;
  };
  return {
    serialize: (topic, value) => serde.serialize(topic, value),
    deserialize: (topic, data) => {
      const v = serde.deserialize(topic, data);
      return v instanceof Promise ? v.then(check) : check(v);
    },
  };
}

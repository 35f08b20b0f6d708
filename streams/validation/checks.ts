/**
 * Building blocks of the record checks (schemas/records/<file>.ts): zod types for the
 * values an Avro schema cannot rule out (NaN, ±Infinity, negative counts, probabilities outside
 * [0, 1], empty ids, event times before 1970 or beyond the broker's future bound, unknown names in
 * plain-string enums), and the one-line reason naming the field that a dead letter or a view's
 * skip log carries.
 */
import { type ZodType, z } from 'zod';
import { ForeshadowError } from '../runtime/errors.js';
import { DEFAULT_MAX_EVENT_TIME_AHEAD_MS } from '../runtime/task.js';

/** The clock and future bound timestamps are judged against (tests pin the clock). */
export interface ValidationClock {
  now: () => number;
  /** Timestamps further ahead of `now()` than this are absurd (the runtime's event-time bound). */
  maxAheadMs: number;
}

export const WALL_CLOCK: ValidationClock = { now: Date.now, maxAheadMs: DEFAULT_MAX_EVENT_TIME_AHEAD_MS };

/** A finite number (zod 4's number already refuses NaN and ±Infinity). */
export const finite = (): z.ZodNumber => z.number();
export const nonNegative = (): z.ZodNumber => z.number().min(0);
/** A count, size, epoch or duration: an integer ≥ 0 (Avro int/long). */
export const count = (): z.ZodNumber => z.number().int().min(0);
export const probability = (): z.ZodNumber => z.number().min(0).max(1);
/** An id the record cannot do without. */
export const id = (): z.ZodString => z.string().min(1);
export const nullable = <T extends ZodType>(t: T) => t.nullable();

/**
 * The fields of a record worth judging. Each may be absent: presence and type are the Avro
 * schema's business (every field is there in a decoded record), and JSON-encoded records (tests,
 * drills, clusters without a registry) may leave fields out; a field that is there must be sane.
 */
export const fields = <S extends z.ZodRawShape>(shape: S) => z.object(shape).partial();

/** Epoch milliseconds: an integer ≥ 0 and not further ahead of the clock than it allows. */
export function epochMs(clock: ValidationClock) {
  return count().refine((t) => t <= clock.now() + clock.maxAheadMs, {
    error: (iss) =>
      `is ${new Date(Number(iss.input)).toISOString()}, more than ${clock.maxAheadMs} ms ahead of the clock`,
  });
}

/** A plain string that is really an enum (the schema could not say so). */
export const oneOf = (names: readonly string[]) => z.enum(names as unknown as [string, ...string[]]);

/** Field path as written in code: `services[0].instances`, `metrics["cpu.utilization"]`. */
export function fieldPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else if (/^[A-Za-z_$][\w$]*$/.test(String(p))) out += out === '' ? String(p) : `.${String(p)}`;
    else out += `[${JSON.stringify(String(p))}]`;
  }
  return out === '' ? 'value' : out;
}

const shown = (v: unknown): string => (typeof v === 'string' ? JSON.stringify(v) : String(v));

/** What is wrong with one field, in words (zod's defaults say little about NaN or ranges). */
function describeIssue(iss: z.core.$ZodIssue): string {
  const input = (iss as { input?: unknown }).input;
  switch (iss.code) {
    case 'invalid_type':
      if (typeof input === 'number' && iss.expected === 'number') return `is not a finite number (${input})`;
      if (iss.expected === 'int') return `is not an integer (${shown(input)})`;
      return `is not a ${iss.expected} (${input === undefined ? 'missing' : typeof input})`;
    case 'too_small':
      if (iss.origin === 'string') return 'is empty';
      if (iss.minimum === 0) return `is negative (${shown(input)})`;
      return `is below ${String(iss.minimum)} (${shown(input)})`;
    case 'too_big':
      return `is above ${String(iss.maximum)} (${shown(input)})`;
    case 'invalid_value':
      return `is not one of ${iss.values.map(String).join(', ')} (${shown(input)})`;
    default:
      return iss.message.startsWith('is ') ? iss.message : `is invalid: ${iss.message}`;
  }
}

/** Checks one decoded record of a topic; returns the reasons, none for a sane record. */
export type RecordCheck = (value: unknown) => string[];

export function recordCheck(schema: ZodType): RecordCheck {
  return (value) => {
    const r = schema.safeParse(value, { reportInput: true });
    if (r.success) return [];
    return r.error.issues.map((iss) => `${fieldPath(iss.path)} ${describeIssue(iss)}`);
  };
}

/** The error a consumer throws (or logs) for an absurd record: VALIDATION_FAILED, never retried. */
export function invalidRecord(topic: string, reasons: readonly string[]): ForeshadowError {
  const shownReasons = reasons.slice(0, 3).join('; ') + (reasons.length > 3 ? `; +${reasons.length - 3} more` : '');
  return new ForeshadowError('VALIDATION_FAILED', `absurd ${topic} record: ${shownReasons}`, {
    context: { topic, reasons },
  });
}

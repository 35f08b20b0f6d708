/**
 * One error family for the whole project. Every error carries a stable `code`, the `context`
 * needed to act on it, its `cause`, and a classification the policies read:
 *   - `retriable`: a retry of the same operation may succeed (broker hiccup, timeout, outage);
 *   - `fenced`: another owner took over (a newer producer epoch, an expired lease): stop acting as
 *     the owner, never retry as one;
 *   - `needsRejoin`: this member acted on a stale view (an old group generation): rejoin, then retry.
 * Each area names its own errors beside its work (`streams/state/errors.ts`,
 * `sinks/framework/errors.ts`); the codes they use are listed here, so `ErrorCode` is one union.
 */
import type { DeadLetterReason } from './dead-letter.js';
import type { PunctuationType } from './processor.js';

export const ERROR_CODES = [
  'CONFIG_INVALID',
  'DESERIALIZATION_FAILED',
  'SERIALIZATION_FAILED',
  'VALIDATION_FAILED',
  'PROCESSING_FAILED',
  'STORE_FAILED',
  'STORE_CLOSED',
  'STORE_STATE_INVALID',
  'TRANSACTION_FAILED',
  'FENCED',
  'STALE_EPOCH',
  'NOT_CONNECTED',
  'TIMEOUT',
  'ACTUATION_FAILED',
  'REGISTRY_FAILED',
  'STACK_FAILED',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export interface ErrorOptions {
  cause?: unknown;
  /** A retry may succeed (broker hiccup, timeout); a permanent error never will. Default false. */
  retriable?: boolean;
  /** Another owner took over: stop acting as the owner. Default: the code is FENCED. */
  fenced?: boolean;
  /** Rejoin the group (reopen the task) before trying again. Default: the code is STALE_EPOCH. */
  needsRejoin?: boolean;
  context?: Record<string, unknown>;
}

export class ForeshadowError extends Error {
  readonly code: ErrorCode;
  readonly retriable: boolean;
  readonly fenced: boolean;
  readonly needsRejoin: boolean;
  readonly context: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, options: ErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ForeshadowError';
    this.code = code;
    this.retriable = options.retriable ?? false;
    this.fenced = options.fenced ?? code === 'FENCED';
    this.needsRejoin = options.needsRejoin ?? code === 'STALE_EPOCH';
    this.context = options.context ?? {};
  }
}

export class ConfigError extends ForeshadowError {
  constructor(message: string, context: Record<string, unknown> = {}) {
    super('CONFIG_INVALID', message, { context });
    this.name = 'ConfigError';
  }
}

/** A newer owner of the same transactional id (or lease) exists: this one is a zombie. */
export class FencedError extends ForeshadowError {
  constructor(message: string, context: Record<string, unknown> = {}, cause?: unknown) {
    super('FENCED', message, { context, cause });
    this.name = 'FencedError';
  }
}

/** This member acted on an epoch (a consumer-group generation) older than the one in force. */
export class StaleEpochError extends ForeshadowError {
  constructor(message: string, context: Record<string, unknown> = {}, cause?: unknown) {
    super('STALE_EPOCH', message, { context, cause });
    this.name = 'StaleEpochError';
  }
}

/** A client was used before it connected or after it closed; connecting (again) may fix it. */
export class NotConnectedError extends ForeshadowError {
  constructor(client: string, context: Record<string, unknown> = {}) {
    super('NOT_CONNECTED', `${client} is not connected`, { retriable: true, context: { client, ...context } });
    this.name = 'NotConnectedError';
  }
}

/** Where a record failed, for error handlers, logs and the error that stops an app. */
export interface RecordFailure {
  taskId: string;
  topic: string;
  partition: number;
  offset: string;
  /** The node that failed: the source for unreadable records, else the processor or sink. */
  processor: string;
  reason: DeadLetterReason;
  error: unknown;
  /**
   * Set when a punctuator failed rather than a record: there is no record then (topic '',
   * partition -1, offset ''), and nothing to dead-letter; `continue` logs and counts it.
   */
  punctuation?: PunctuationType;
}

/** A record failed and its error handler answered `fail`: the app stops at this record. */
export class RecordFailedError extends ForeshadowError {
  readonly failure: RecordFailure;

  constructor(code: 'PROCESSING_FAILED' | 'DESERIALIZATION_FAILED', what: string, failure: RecordFailure) {
    const { error, ...where } = failure;
    super(code, `${what} ${failure.topic}-${failure.partition}@${failure.offset} (${describeError(error)})`, {
      cause: error,
      context: { ...where },
    });
    this.name = 'RecordFailedError';
    this.failure = failure;
  }
}

/** A processor (or sink) threw on a record, and the processing error handler answered `fail`. */
export class ProcessingFailedError extends RecordFailedError {
  constructor(failure: RecordFailure) {
    super('PROCESSING_FAILED', `processor ${failure.processor} failed on`, failure);
    if (failure.punctuation)
      this.message = `processor ${failure.processor} failed in its ${failure.punctuation} punctuator (${describeError(failure.error)})`;
    this.name = 'ProcessingFailedError';
  }
}

/** A record could not be read as an event, and the deserialisation error handler answered `fail`. */
export class DeserializationFailedError extends RecordFailedError {
  constructor(failure: RecordFailure) {
    super('DESERIALIZATION_FAILED', `cannot read (${failure.reason})`, failure);
    this.name = 'DeserializationFailedError';
  }
}

/** What an error no ForeshadowError classifies (a TypeError, a library's error) counts as. */
export type Unclassified = 'retriable' | 'permanent';

/** How deep `isRetriable` follows `cause`: processors wrap errors, but never very deeply. */
const CAUSE_DEPTH = 5;

/**
 * The one retry rule of the project. An error is retriable when it, or an error it wraps, is a
 * ForeshadowError marked retriable: a processor that wraps an outage keeps it an outage. A chain
 * of ForeshadowErrors none of which is retriable is permanent. A chain with no ForeshadowError at
 * all is unclassified, and counts as permanent unless the caller says otherwise: an error nobody
 * classified is most likely a bug, and retrying a bug without bound (the runtime rewinds and tries
 * again for ever) stalls a partition instead of dead-lettering one record. The actuators pass
 * `unclassified: 'retriable'` because their retries are bounded (`maxAttempts`) and an actuator
 * that gives up on a flaky network call is worse than one that retries a bug a few times.
 */
export function isRetriable(err: unknown, options: { unclassified?: Unclassified } = {}): boolean {
  let classified = false;
  for (let e = err, depth = 0; e instanceof Error && depth < CAUSE_DEPTH; e = e.cause, depth++) {
    if (!(e instanceof ForeshadowError)) continue;
    if (e.retriable) return true;
    classified = true;
  }
  return !classified && options.unclassified === 'retriable';
}

/** Renders any thrown value as a one-line reason, for logs and dead-letter headers. */
export function describeError(err: unknown): string {
  if (err instanceof Error) return `${err.name}: ${err.message}`;
  return String(err);
}

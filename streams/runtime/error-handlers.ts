/**
 * Error handlers (after Kafka Streams' deserialisation and processing exception handlers): what a
 * record that fails leads to. Two kinds of failure, one handler each:
 *   - deserialisation: the record cannot be read as an event (bytes the serde refuses, a value its
 *     validator calls absurd, no usable event time): dead-letter reasons `deserialization`,
 *     `validation`, `timestamp`;
 *   - processing: a processor (or a sink's serde) threw on it: reason `processing`.
 * A handler is `'dead-letter'` (the default: the record goes to `<source>.dlq` with the reason,
 * and processing continues), `'fail'` (the app stops at this record, with a RecordFailedError,
 * committing nothing past it), or a function answering `'continue'` (dead-letter and go on: a
 * record is never skipped silently) or `'fail'`. A function that throws, or answers anything else,
 * fails the record. Retriable errors (an outage) never reach a handler: the runtime retries them.
 * A punctuator that throws goes to the processing handler too (`failure.punctuation` set, no
 * record): `fail` stops the app, continuing logs it and counts it per processor.
 */
import type { DeadLetterReason } from './dead-letter.js';
import {
  ConfigError,
  DeserializationFailedError,
  ProcessingFailedError,
  type RecordFailedError,
  type RecordFailure,
} from './errors.js';

export type ErrorHandlerResponse = 'continue' | 'fail';

export type RecordErrorHandler = 'dead-letter' | 'fail' | ((failure: RecordFailure) => ErrorHandlerResponse);

export interface ErrorHandlers {
  processing: RecordErrorHandler;
  deserialization: RecordErrorHandler;
}

export const DEFAULT_ERROR_HANDLERS: ErrorHandlers = { processing: 'dead-letter', deserialization: 'dead-letter' };

/** The handlers given in options, checked (the field named in the error), defaults filled in. */
export function errorHandlersFrom(options: {
  processingErrorHandler?: RecordErrorHandler;
  deserializationErrorHandler?: RecordErrorHandler;
}): ErrorHandlers {
  const check = (
    field: string,
    h: RecordErrorHandler | undefined,
    fallback: RecordErrorHandler,
  ): RecordErrorHandler => {
    if (h === undefined) return fallback;
    if (h === 'dead-letter' || h === 'fail' || typeof h === 'function') return h;
    throw new ConfigError(`${field} must be 'dead-letter', 'fail' or a function, got ${JSON.stringify(h)}`, {
      field,
    });
  };
  return {
    processing: check('processingErrorHandler', options.processingErrorHandler, DEFAULT_ERROR_HANDLERS.processing),
    deserialization: check(
      'deserializationErrorHandler',
      options.deserializationErrorHandler,
      DEFAULT_ERROR_HANDLERS.deserialization,
    ),
  };
}

function handlerFor(handlers: ErrorHandlers, reason: DeadLetterReason): RecordErrorHandler {
  return reason === 'processing' ? handlers.processing : handlers.deserialization;
}

/** What the handler for this failure's kind answers. */
export function respond(handlers: ErrorHandlers, failure: RecordFailure): ErrorHandlerResponse {
  const handler = handlerFor(handlers, failure.reason);
  if (handler === 'dead-letter') return 'continue';
  if (handler === 'fail') return 'fail';
  try {
    return handler(failure) === 'continue' ? 'continue' : 'fail';
  } catch {
    return 'fail';
  }
}

/** The error that stops the app when a handler answers `fail`. */
export function recordFailedError(failure: RecordFailure): RecordFailedError {
  return failure.reason === 'processing' ? new ProcessingFailedError(failure) : new DeserializationFailedError(failure);
}

/**
 * Actuation errors are ForeshadowErrors with code ACTUATION_FAILED; the only thing a provider has
 * to decide is whether a retry could help. These helpers make that decision explicit at the throw.
 */
import { ForeshadowError, type Unclassified } from '../../streams/runtime/errors.js';

/** A failure a retry may fix: connection refused, timeout, a 5xx, a server still starting. */
export function transientError(
  message: string,
  context: Record<string, unknown> = {},
  cause?: unknown,
): ForeshadowError {
  return new ForeshadowError('ACTUATION_FAILED', message, { retriable: true, context, cause });
}

/** A failure no retry will fix: bad command, missing configuration, a 4xx, refused update. */
export function permanentError(
  message: string,
  context: Record<string, unknown> = {},
  cause?: unknown,
): ForeshadowError {
  return new ForeshadowError('ACTUATION_FAILED', message, { retriable: false, context, cause });
}

/**
 * What the actuators make of an error no ForeshadowError classifies (a thrown TypeError, a library
 * error), for the project's one `isRetriable`: transient. An actuator that gives up on a flaky
 * network call is worse than one that retries a bug a few times, and its retries are bounded
 * (`RetryPolicy.maxAttempts`). The streams runtime, whose retries are not bounded, keeps the
 * default (permanent).
 */
export const ACTUATION_UNCLASSIFIED: Unclassified = 'retriable';

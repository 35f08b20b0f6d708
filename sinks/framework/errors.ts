/**
 * Actuation errors are ForeshadowErrors with code ACTUATION_FAILED; the only thing a provider has
 * to decide is whether a retry could help. These helpers make that decision explicit at the throw.
 */
import { ForeshadowError } from '../../streams/runtime/errors.js';

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
 * Unknown errors (a thrown TypeError, a library error) count as transient: an actuator that gives
 * up on a flaky network call is worse than one that retries a bug a few times before failing.
 */
export function isRetriable(err: unknown): boolean {
  if (err instanceof ForeshadowError) return err.retriable;
  return true;
}

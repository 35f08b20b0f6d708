/**
 * Errors of the runtime's own batch handling that no retry can fix (not a Kafka client error, not
 * an outage): a broken state directory, a bug. Marked where they escape a batch, so that the
 * consumer's restart policy can tell them apart from anything kafkajs wraps them in.
 */
import { isRetriable } from '../errors.js';

const unrecoverable = new WeakSet<Error>();

/** Called on every error that escapes a batch. */
export function markUnrecoverable(err: unknown): void {
  if (err instanceof Error && !err.name.startsWith('KafkaJS') && !isRetriable(err)) unrecoverable.add(err);
}

/** kafkajs' `restartOnFailure`: restart the consumer unless a marked error is in the chain. */
export function restartWorthwhile(err: Error): boolean {
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 6; e = e.cause, depth++) {
    if (unrecoverable.has(e)) return false;
  }
  return true;
}

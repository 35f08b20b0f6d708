/**
 * Kafka client errors the runtime must tell apart, as named errors: a task's transactional
 * producer fenced by a newer owner (INVALID_PRODUCER_EPOCH, PRODUCER_FENCED) and an offset commit
 * from a stale group generation (ILLEGAL_GENERATION, UNKNOWN_MEMBER_ID, REBALANCE_IN_PROGRESS,
 * FENCED_INSTANCE_ID). kafkajs wraps protocol errors (retries exhausted, transaction state), so
 * the whole cause chain is searched.
 */
import { FencedError, StaleEpochError } from '../errors.js';

const FENCED_TYPES = new Set(['INVALID_PRODUCER_EPOCH', 'PRODUCER_FENCED']);
const STALE_GENERATION_TYPES = new Set([
  'ILLEGAL_GENERATION',
  'UNKNOWN_MEMBER_ID',
  'REBALANCE_IN_PROGRESS',
  'FENCED_INSTANCE_ID',
]);

function protocolTypes(err: unknown): string[] {
  const types: string[] = [];
  for (let e = err, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    const type = (e as { type?: unknown }).type;
    if (typeof type === 'string') types.push(type);
  }
  return types;
}

/**
 * A failed commit as a named error when it is one of the kinds above (context: the task), else
 * the error unchanged. Either way the runner rewinds the task; the name says why.
 */
export function commitFailure(err: unknown, context: { taskId: string }): unknown {
  const types = protocolTypes(err);
  if (types.some((t) => FENCED_TYPES.has(t))) {
    return new FencedError(`task ${context.taskId}: its producer was fenced by a newer owner`, context, err);
  }
  if (types.some((t) => STALE_GENERATION_TYPES.has(t))) {
    return new StaleEpochError(`task ${context.taskId}: offsets committed from a stale group generation`, context, err);
  }
  return err;
}

/**
 * Kafka client errors the runtime must tell apart, as named errors: a task's transactional
 * producer fenced by a newer owner (INVALID_PRODUCER_EPOCH, PRODUCER_FENCED) and an offset commit
 * from a stale group generation (ILLEGAL_GENERATION, UNKNOWN_MEMBER_ID, REBALANCE_IN_PROGRESS,
 * FENCED_INSTANCE_ID). kafkajs wraps protocol errors (retries exhausted, a non-retriable bail),
 * sometimes keeping the cause and sometimes only the message, so the whole cause chain is searched
 * for the protocol error's type or kafkajs' message for it.
 */
import { FencedError, StaleEpochError } from '../errors.js';

/** Protocol error types, each with (the start of) the message kafkajs 2.2 gives it. */
const FENCED = new Map([
  ['INVALID_PRODUCER_EPOCH', 'Producer attempted an operation with an old epoch'],
  ['PRODUCER_FENCED', 'There is a newer producer with the same transactionalId'],
]);
const STALE_GENERATION = new Map([
  ['ILLEGAL_GENERATION', 'Specified group generation id is not valid'],
  ['UNKNOWN_MEMBER_ID', 'The coordinator is not aware of this member'],
  ['REBALANCE_IN_PROGRESS', 'The group is rebalancing, so a rejoin is needed'],
  ['FENCED_INSTANCE_ID', 'The broker rejected this static consumer since another consumer'],
]);

function isOneOf(err: unknown, kinds: ReadonlyMap<string, string>): boolean {
  for (let e = err, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    const type = (e as { type?: unknown }).type;
    if (typeof type === 'string' && kinds.has(type)) return true;
    for (const message of kinds.values()) if (e.message.startsWith(message)) return true;
  }
  return false;
}

/**
 * A failed commit as a named error when it is one of the kinds above (context: the task), else
 * the error unchanged. Either way the runner rewinds the task; the name says why.
 */
export function commitFailure(err: unknown, context: { taskId: string }): unknown {
  if (isOneOf(err, FENCED)) {
    return new FencedError(`task ${context.taskId}: its producer was fenced by a newer owner`, context, err);
  }
  if (isOneOf(err, STALE_GENERATION)) {
    return new StaleEpochError(`task ${context.taskId}: offsets committed from a stale group generation`, context, err);
  }
  return err;
}

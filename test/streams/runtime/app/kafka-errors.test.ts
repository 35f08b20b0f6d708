import { createRequire } from 'node:module';
import { KafkaJSNonRetriableError } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { commitFailure } from '../../../../streams/runtime/app/kafka-errors.js';
import { FencedError, StaleEpochError } from '../../../../streams/runtime/errors.js';

// kafkajs' own protocol errors, built from broker error codes as kafkajs builds them.
const { createErrorFromCode } = createRequire(import.meta.url)('kafkajs/src/protocol/error.js') as {
  createErrorFromCode(code: number): Error & { type: string };
};
const INVALID_PRODUCER_EPOCH = 47;
const ILLEGAL_GENERATION = 22;
const REBALANCE_IN_PROGRESS = 27;
const NOT_LEADER_OR_FOLLOWER = 6;

describe('commit failures as named errors', () => {
  it('names a fenced producer, also inside the wrapper kafkajs throws after its retries', () => {
    const fenced = createErrorFromCode(INVALID_PRODUCER_EPOCH);
    expect(fenced.type).toBe('INVALID_PRODUCER_EPOCH');
    for (const err of [fenced, new KafkaJSNonRetriableError(fenced)]) {
      const named = commitFailure(err, { taskId: '0_3' });
      expect(named).toBeInstanceOf(FencedError);
      const e = named as FencedError;
      expect([e.code, e.fenced, e.retriable, e.cause]).toEqual(['FENCED', true, false, err]);
      expect(e.context).toEqual({ taskId: '0_3' });
    }
  });

  it('names an offset commit from a stale group generation (rejoin needed)', () => {
    for (const code of [ILLEGAL_GENERATION, REBALANCE_IN_PROGRESS]) {
      const named = commitFailure(createErrorFromCode(code), { taskId: '0_0' });
      expect(named).toBeInstanceOf(StaleEpochError);
      expect((named as StaleEpochError).needsRejoin).toBe(true);
    }
  });

  it('leaves any other failure as it was', () => {
    const other = createErrorFromCode(NOT_LEADER_OR_FOLLOWER);
    expect(commitFailure(other, { taskId: '0_0' })).toBe(other);
    const injected = new Error('injected commit failure');
    expect(commitFailure(injected, { taskId: '0_0' })).toBe(injected);
  });
});

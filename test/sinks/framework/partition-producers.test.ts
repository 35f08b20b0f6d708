import { Kafka } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { PartitionProducers } from '../../../sinks/framework/partition-producers.js';
import { isProducerFenced as isFenced } from '../../../streams/runtime/app/kafka-errors.js';

/** The shape kafkajs gives a broker error: a message and the protocol error `type`. */
function protocolError(type: string, message: string): Error {
  return Object.assign(new Error(message), { type });
}

describe('partition producers', () => {
  it('names one stable transactional id per group and command partition', () => {
    // Never connected: naming only. Stable ids are what let a restarted or new owner fence the old one.
    const p = new PartitionProducers(new Kafka({ brokers: ['127.0.0.1:1'] }), 'foreshadow-actuator-redis');
    expect(p.transactionalId({ topic: 'shadow.commands', partition: 3 })).toBe(
      'foreshadow-actuator-redis-shadow.commands-3',
    );
  });

  it('recognises a fenced producer, also behind a cause', () => {
    expect(isFenced(protocolError('INVALID_PRODUCER_EPOCH', 'Producer attempted an operation with an old epoch'))).toBe(
      true,
    );
    expect(isFenced(protocolError('PRODUCER_FENCED', 'fenced'))).toBe(true);
    expect(isFenced(new Error('commit failed', { cause: protocolError('INVALID_PRODUCER_EPOCH', 'x') }))).toBe(true);
    expect(isFenced(protocolError('CONCURRENT_TRANSACTIONS', 'another operation is ongoing'))).toBe(false);
    expect(isFenced(new Error('Connection timeout'))).toBe(false);
    expect(isFenced('not an error')).toBe(false);
  });
});

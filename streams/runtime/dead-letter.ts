/**
 * Dead letters: where a record that cannot be deserialised or processed goes (`<source>.dlq`), and
 * the headers that say why. Shared by the runtime, the actuators and the topic catalogue.
 */
export const DEAD_LETTER_SUFFIX = '.dlq';

export const DLQ_HEADERS = {
  sourceTopic: 'x-dlq-source-topic',
  sourcePartition: 'x-dlq-source-partition',
  sourceOffset: 'x-dlq-source-offset',
  processor: 'x-dlq-processor',
  error: 'x-dlq-error',
  reason: 'x-dlq-reason',
} as const;

export function deadLetterTopic(sourceTopic: string): string {
  return `${sourceTopic}${DEAD_LETTER_SUFFIX}`;
}

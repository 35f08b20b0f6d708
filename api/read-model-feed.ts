/**
 * Feeds the read model from Kafka: one consumer per API instance, in its own throw-away group, reads
 * every read-model topic from the beginning (the compacted tables give the latest state, the event
 * log the recent history) and keeps following. Values are decoded by the registry (Avro, the
 * schema id is in each payload) or as JSON.
 */
import { randomUUID } from 'node:crypto';
import type { Consumer } from 'kafkajs';
import type { KafkaConnection } from '../streams/runtime/config.js';
import { createKafka } from '../streams/runtime/kafka-client.js';
import { avroSerde, jsonSerde, type Serde } from '../streams/runtime/serdes.js';
import { type FleetReadModel, READ_MODEL_TOPICS, type ReadModelTable } from './read-model.js';

export interface ReadModelFeedOptions {
  /** Override topic names (tests use unique ones). */
  topics?: Partial<Record<ReadModelTable, string>>;
  format?: 'avro' | 'json';
  log?: (msg: string, fields: Record<string, unknown>) => void;
}

export interface ReadModelFeed {
  /** Resolves once the consumer has joined and is fetching. */
  ready: Promise<void>;
  stop(): Promise<void>;
}

export async function startReadModelFeed(
  model: FleetReadModel,
  conn: KafkaConnection,
  options: ReadModelFeedOptions = {},
): Promise<ReadModelFeed> {
  const topics = { ...READ_MODEL_TOPICS, ...options.topics };
  const byTopic = new Map<string, ReadModelTable>(
    Object.entries(topics).map(([table, topic]) => [topic, table as ReadModelTable]),
  );
  const serde: Serde<unknown> = options.format === 'json' ? jsonSerde<unknown>() : avroSerde<unknown>();
  const consumer: Consumer = createKafka(conn, 'foreshadow-api-read-model').consumer({
    // A fresh group each start: the API rebuilds its whole view from the topics, never resumes.
    groupId: `foreshadow-api-read-model-${randomUUID()}`,
    readUncommitted: false,
    allowAutoTopicCreation: false,
  });
  await consumer.connect();
  await consumer.subscribe({ topics: [...byTopic.keys()], fromBeginning: true });
  let markReady: () => void = () => {};
  const ready = new Promise<void>((resolve) => {
    markReady = resolve;
  });
  consumer.on(consumer.events.FETCH_START, () => markReady());
  await consumer.run({
    autoCommit: false,
    eachMessage: async ({ topic, message }) => {
      const table = byTopic.get(topic);
      if (!table) return;
      const key = message.key?.toString('utf8') ?? '';
      try {
        const value = message.value === null ? null : await serde.deserialize(topic, message.value);
        model.apply(table, key, value, Number(message.timestamp));
      } catch (err: unknown) {
        // One undecodable record must not blind the API; it is skipped and logged.
        options.log?.('read model skipped a record', {
          topic,
          offset: message.offset,
          error: err instanceof Error ? err.message : String(err),
        });
      }
    },
  });
  return {
    ready,
    async stop() {
      await consumer.disconnect();
    },
  };
}

/**
 * Replays compacted topics into an in-memory view: a fresh consumer group each start (the view is
 * rebuilt from the topics, never resumed), read_committed, one undecodable or absurd record
 * (streams/validation) skipped and logged rather than stopping the view. Serves the API's read model and the dashboard.
 */
import { randomUUID } from 'node:crypto';
import type { Consumer } from 'kafkajs';
import { topicSpec } from '../streams/catalogue.js';
import type { KafkaConnection } from '../streams/runtime/config.js';
import { createKafka } from '../streams/runtime/kafka-client.js';
import { avroSerde, jsonSerde, type Serde } from '../streams/runtime/serdes.js';
import { recordSerde } from '../streams/topic-serdes.js';
import { VALIDATED_TOPICS, validatedSerde } from '../streams/validation/topic-validators.js';

export interface TopicTableFeedOptions<T extends string> {
  /** Client id; also the prefix of the per-start consumer group. */
  clientId: string;
  /** Table name → topic. */
  topics: Record<T, string>;
  format?: 'avro' | 'json';
  /**
   * Catalogue topic per table (its value schema in streams/catalogue.ts): an Avro record of any
   * other type is skipped like an undecodable one instead of landing in the view as if it fitted.
   */
  catalogue?: Partial<Record<T, string>>;
  /** Tombstones (null values) are passed on as null, or ignored. */
  tombstones: 'apply' | 'skip';
  apply(table: T, key: string, value: unknown, timestamp: number): void;
  /** The log message for a skipped record. */
  skipMessage: string;
  log?: (msg: string, fields: Record<string, unknown>) => void;
}

export interface TopicTableFeed {
  /** Resolves once the consumer has joined and is fetching. */
  ready: Promise<void>;
  stop(): Promise<void>;
}

export async function startTopicTableFeed<T extends string>(
  conn: KafkaConnection,
  o: TopicTableFeedOptions<T>,
): Promise<TopicTableFeed> {
  const byTopic = new Map<string, T>(
    (Object.entries(o.topics) as [T, string][]).map(([table, topic]) => [topic, table]),
  );
  const anyAvro = avroSerde<unknown>();
  const serdes = new Map<string, Serde<unknown>>();
  for (const [topic, table] of byTopic) {
    const catalogue = o.catalogue?.[table];
    const record = catalogue === undefined ? undefined : topicSpec(catalogue).value;
    const serde =
      o.format === 'json'
        ? jsonSerde<unknown>()
        : record === undefined
          ? anyAvro
          : (recordSerde(record) as Serde<unknown>);
    // An absurd record (NaN, negative counts, a far-future time...) is skipped and logged like an
    // undecodable one: the view shows nothing rather than nonsense.
    serdes.set(
      topic,
      catalogue !== undefined && VALIDATED_TOPICS.includes(catalogue) ? validatedSerde(catalogue, serde) : serde,
    );
  }
  const consumer: Consumer = createKafka(conn, o.clientId).consumer({
    groupId: `${o.clientId}-${randomUUID()}`,
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
      if (!table || (message.value === null && o.tombstones === 'skip')) return;
      try {
        const value = message.value === null ? null : await serdes.get(topic)!.deserialize(topic, message.value);
        o.apply(table, message.key?.toString('utf8') ?? '', value, Number(message.timestamp));
      } catch (err: unknown) {
        o.log?.(o.skipMessage, {
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

/**
 * Replays compacted topics into an in-memory view: a fresh consumer group each start (the view is
 * rebuilt from the topics, never resumed), read_committed, one undecodable or absurd record
 * (streams/validation) skipped and logged rather than stopping the view. Serves the API's read model and the dashboard.
 */
import { randomUUID } from 'node:crypto';
import type { Admin, Consumer } from 'kafkajs';
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
  /**
   * Tables fed by an event stream rather than a compacted table, read only from this time (ms,
   * record timestamps) on: replaying days of per-sample records at every start would cost minutes
   * of CPU for points the view drops anyway. The other tables are read from the beginning.
   */
  since?: Partial<Record<T, number>>;
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
  const kafka = createKafka(conn, o.clientId);
  const starts = await startOffsets(kafka.admin(), o.topics, o.since ?? {});
  const consumer: Consumer = kafka.consumer({
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
  // On joining, before the first fetch (after run() resolves one may already be on its way). Only
  // the first time: this consumer is its group's only member, and a later re-join resumes.
  let started = false;
  consumer.on(consumer.events.GROUP_JOIN, () => {
    if (started) return;
    started = true;
    for (const start of starts) consumer.seek(start);
  });
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

/** Where each look-back table's partitions start: the first offset at or after its time. */
async function startOffsets<T extends string>(
  admin: Admin,
  topics: Record<T, string>,
  since: Partial<Record<T, number>>,
): Promise<{ topic: string; partition: number; offset: string }[]> {
  const tables = (Object.keys(since) as T[]).filter((t) => since[t] !== undefined && topics[t] !== undefined);
  if (tables.length === 0) return [];
  await admin.connect();
  try {
    const out: { topic: string; partition: number; offset: string }[] = [];
    for (const table of tables) {
      const topic = topics[table];
      for (const { partition, offset } of await admin.fetchTopicOffsetsByTimestamp(topic, since[table])) {
        out.push({ topic, partition, offset });
      }
    }
    return out;
  } finally {
    await admin.disconnect();
  }
}

/**
 * Feeds the read model from Kafka: one consumer per API instance, in its own throw-away group, reads
 * every read-model topic from the beginning (the compacted tables give the latest state, the event
 * log the recent history) and keeps following. Values are decoded by the registry (Avro, the
 * schema id is in each payload) or as JSON.
 */
import type { KafkaConnection } from '../streams/runtime/config.js';
import { type FleetReadModel, READ_MODEL_TOPICS, type ReadModelTable } from './read-model.js';
import { startTopicTableFeed } from './topic-table-feed.js';

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
  return startTopicTableFeed<ReadModelTable>(conn, {
    clientId: 'foreshadow-api-read-model',
    topics: { ...READ_MODEL_TOPICS, ...options.topics },
    catalogue: READ_MODEL_TOPICS,
    format: options.format,
    tombstones: 'apply',
    apply: (table, key, value, timestamp) => model.apply(table, key, value, timestamp),
    // One undecodable record must not blind the API.
    skipMessage: 'read model skipped a record',
    log: options.log,
  });
}

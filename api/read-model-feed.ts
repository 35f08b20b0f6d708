/**
 * Feeds the read model from Kafka: one consumer per API instance, in its own throw-away group, reads
 * every read-model topic from the beginning (the compacted tables give the latest state, the event
 * log the recent history) except health.risk, read from RISK_LOOK_BACK_MS ago, and keeps following. Values are decoded by the registry (Avro, the
 * schema id is in each payload) or as JSON.
 */
import type { KafkaConnection } from '../streams/runtime/config.js';
import { type FleetReadModel, READ_MODEL_TOPICS, type ReadModelTable } from './read-model.js';
import { startTopicTableFeed } from './topic-table-feed.js';

export interface ReadModelFeedOptions {
  /** Override topic names (tests use unique ones). */
  topics?: Partial<Record<ReadModelTable, string>>;
  format?: 'avro' | 'json';
  /** How far back health.risk (one record per sample) is read at start; default 1 hour. */
  riskLookBackMs?: number;
  log?: (msg: string, fields: Record<string, unknown>) => void;
}

/**
 * The read model keeps each host's latest risk: a host whose last risk record is older than this
 * when the API starts shows none until it reports again, which is what a stale figure deserves.
 */
export const RISK_LOOK_BACK_MS = 3_600_000;

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
    since: { risk: Date.now() - (options.riskLookBackMs ?? RISK_LOOK_BACK_MS) },
    tombstones: 'apply',
    apply: (table, key, value, timestamp) => model.apply(table, key, value, timestamp),
    // One undecodable record must not blind the API.
    skipMessage: 'read model skipped a record',
    log: options.log,
  });
}

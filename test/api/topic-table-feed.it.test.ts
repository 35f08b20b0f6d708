/**
 * The feeds behind the API and the dashboard on the real broker: event-stream tables start at their
 * look-back time (an hour of per-sample records, not the topic's days), compacted tables from the
 * beginning.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTopicTableFeed, type TopicTableFeed } from '../../api/topic-table-feed.js';
import type { KafkaConnection } from '../../streams/runtime/config.js';
import { brokers, createTopics, deleteTopics, testKafka, uniqueName } from '../support/kafka.js';

const series = uniqueName('feed-series');
const table = uniqueName('feed-table');
const conn: KafkaConnection = {
  brokers: brokers(),
  clientId: 'foreshadow-feed-it',
  registryUrl: 'http://127.0.0.1:1',
  connectUrl: 'http://127.0.0.1:1',
  stateDir: '/tmp',
};
const now = Date.now();
const HOUR = 3_600_000;
let feed: TopicTableFeed | undefined;

beforeAll(async () => {
  await createTopics([series, table].map((topic) => ({ topic, numPartitions: 3, replicationFactor: 1 })));
  const producer = testKafka().producer();
  await producer.connect();
  const at = (key: string, ageMs: number) => ({
    key,
    value: JSON.stringify({ key, ageMs }),
    timestamp: String(now - ageMs),
  });
  // Old records, then recent ones, on every partition of the series (a log's time order); old
  // ones on the table.
  const keys = ['a', 'b', 'c', 'd', 'e', 'f'];
  await producer.send({ topic: series, messages: keys.map((k) => at(`old-${k}`, 3 * HOUR)) });
  await producer.send({ topic: series, messages: keys.map((k) => at(`new-${k}`, 60_000)) });
  await producer.send({ topic: table, messages: [at('row-1', 48 * HOUR), at('row-2', 2 * HOUR)] });
  await producer.disconnect();
});

afterAll(async () => {
  await feed?.stop();
  await deleteTopics([series, table]);
});

describe('topic table feed', () => {
  it('reads an event stream from its look-back time and a table from the beginning', async () => {
    const seen: { table: string; key: string }[] = [];
    feed = await startTopicTableFeed<'series' | 'table'>(conn, {
      clientId: uniqueName('feed-it'),
      topics: { series, table },
      format: 'json',
      since: { series: now - HOUR },
      tombstones: 'skip',
      apply: (t, key) => seen.push({ table: t, key }),
      skipMessage: 'skipped',
    });
    const deadline = Date.now() + 60_000;
    while (seen.length < 8 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    // A little longer, so that old records, had they been read, would have arrived too.
    await new Promise((r) => setTimeout(r, 1_500));
    const keys = (t: string) =>
      seen
        .filter((s) => s.table === t)
        .map((s) => s.key)
        .sort();
    expect(keys('series')).toEqual(['new-a', 'new-b', 'new-c', 'new-d', 'new-e', 'new-f']);
    expect(keys('table')).toEqual(['row-1', 'row-2']);
  });
});

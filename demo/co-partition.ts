/**
 * A stop-gap the demo needs today: failure-risk (metrics.samples + host.failures + deployments) and
 * region-health (health.risk + host.failures) join topics of 6 and 3 partitions, which the runtime's
 * co-partitioned assignment refuses. Until those topologies repartition their 3-partition inputs
 * themselves, this copier mirrors host.failures and deployments byte for byte (same key, value,
 * headers and timestamp; Avro payloads stay valid because the schema id travels in them) into
 * 6-partition topics, partitioned like every other producer here (murmur2 on the key).
 */
import { type Admin, type Consumer, Partitioners, type Producer } from 'kafkajs';
import type { KafkaConnection } from '../streams/runtime/config.js';
import { createKafka } from '../streams/runtime/kafka-client.js';
import { startAtPresentIfNew } from './offsets.js';

export const CO_PARTITIONED: Readonly<Record<string, { copy: string; compact: boolean }>> = {
  'host.failures': { copy: 'demo.host.failures.p6', compact: false },
  deployments: { copy: 'demo.deployments.p6', compact: true },
};

export async function ensureCopyTopics(admin: Admin, partitions = 6): Promise<void> {
  const existing = new Set(await admin.listTopics());
  const missing = Object.values(CO_PARTITIONED).filter((c) => !existing.has(c.copy));
  if (missing.length === 0) return;
  await admin.createTopics({
    waitForLeaders: true,
    topics: missing.map((c) => ({
      topic: c.copy,
      numPartitions: partitions,
      replicationFactor: -1,
      configEntries: [{ name: 'cleanup.policy', value: c.compact ? 'compact' : 'delete' }],
    })),
  });
}

export interface RunningCopier {
  close(): Promise<void>;
}

export async function startCopier(conn: KafkaConnection, idSuffix = ''): Promise<RunningCopier> {
  const kafka = createKafka(conn, `foreshadow-demo-copartition${idSuffix}`);
  const admin = kafka.admin();
  await admin.connect();
  try {
    await ensureCopyTopics(admin);
  } finally {
    await admin.disconnect();
  }
  const producer: Producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, idempotent: true });
  await producer.connect();
  const groupId = `foreshadow-demo-copartition${idSuffix}`;
  await startAtPresentIfNew(conn, groupId, Object.keys(CO_PARTITIONED));
  const consumer: Consumer = kafka.consumer({ groupId });
  await consumer.connect();
  // A new group starts at the present (the run republishes the tables it needs); an old one resumes.
  await consumer.subscribe({ topics: Object.keys(CO_PARTITIONED), fromBeginning: true });
  await consumer.run({
    eachBatch: async ({ batch, resolveOffset, heartbeat }) => {
      const target = CO_PARTITIONED[batch.topic]?.copy;
      if (!target || batch.messages.length === 0) return;
      await producer.send({
        topic: target,
        acks: -1,
        messages: batch.messages.map((m) => ({
          key: m.key,
          value: m.value,
          headers: m.headers,
          timestamp: m.timestamp,
        })),
      });
      for (const m of batch.messages) resolveOffset(m.offset);
      await heartbeat();
    },
  });
  return {
    async close() {
      await consumer.disconnect();
      await producer.disconnect();
    },
  };
}

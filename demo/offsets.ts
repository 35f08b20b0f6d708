/**
 * "Start at the present" for consumer groups that have never committed: a demo or drill run on a
 * broker that already holds other runs' records (health.risk, metrics.raw...) must act on what
 * happens now, not spend minutes replaying history — the tables it needs (hosts, deployments,
 * topology evidence) are republished by the run itself after the apps start. A group with committed
 * offsets is left alone, so a restarted demo resumes where it stopped.
 */
import type { KafkaConnection } from '../streams/runtime/config.js';
import { createKafka } from '../streams/runtime/kafka-client.js';

export async function startAtPresentIfNew(
  conn: KafkaConnection,
  groupId: string,
  topics: readonly string[],
): Promise<boolean> {
  const admin = createKafka(conn, 'foreshadow-demo-offsets').admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const present = topics.filter((t) => existing.has(t));
    if (present.length === 0) return false;
    const committed = await admin.fetchOffsets({ groupId, topics: present });
    const isNew = committed.every((t) => t.partitions.every((p) => p.offset === '-1'));
    if (!isNew) return false;
    for (const topic of present) {
      const ends = await admin.fetchTopicOffsets(topic);
      await admin.setOffsets({
        groupId,
        topic,
        partitions: ends.map((e) => ({ partition: e.partition, offset: e.offset })),
      });
    }
    return true;
  } finally {
    await admin.disconnect();
  }
}

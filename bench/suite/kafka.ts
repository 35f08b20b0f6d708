/**
 * Broker helpers for the suite: uniquely named topics (the broker is shared with other engineers'
 * runs and auto-creation is off) that are always deleted again, and a kafkajs client factory.
 */
import { randomUUID } from 'node:crypto';
import { type Admin, Kafka, logLevel } from 'kafkajs';

export function benchKafka(brokers: string[], clientId = 'foreshadow-bench'): Kafka {
  return new Kafka({ clientId, brokers, logLevel: logLevel.NOTHING, retry: { retries: 8, initialRetryTime: 200 } });
}

/** A name no other run uses: `bench.<what>.<8 hex>`. */
export function uniqueTopic(what: string): string {
  return `bench.${what}.${randomUUID().slice(0, 8)}`;
}

export async function withAdmin<T>(brokers: string[], fn: (admin: Admin) => Promise<T>): Promise<T> {
  const admin = benchKafka(brokers, 'foreshadow-bench-admin').admin();
  await admin.connect();
  try {
    return await fn(admin);
  } finally {
    await admin.disconnect();
  }
}

export async function createTopics(brokers: string[], names: string[], partitions: number): Promise<void> {
  await withAdmin(brokers, async (admin) => {
    await admin.createTopics({
      topics: names.map((topic) => ({ topic, numPartitions: partitions, replicationFactor: 1 })),
      waitForLeaders: true,
    });
    // On a loaded broker, metadata can lag the create response; clients started right away then
    // fail with UNKNOWN_TOPIC_OR_PARTITION. Wait until every partition has a leader in metadata.
    const deadline = Date.now() + 30_000;
    for (;;) {
      try {
        const { topics } = await admin.fetchTopicMetadata({ topics: names });
        if (topics.every((t) => t.partitions.length === partitions && t.partitions.every((p) => p.leader >= 0))) return;
      } catch (err: unknown) {
        if (Date.now() > deadline) throw err;
      }
      if (Date.now() > deadline) throw new Error(`topics ${names.join(', ')} have no leaders after 30 s`);
      await new Promise((r) => setTimeout(r, 200));
    }
  });
}

/**
 * Deletes the given topics and every topic starting with one of `prefixes` (changelog, dead-letter
 * and repartition topics the engines under test created for themselves). Never throws: cleanup
 * runs in `finally` blocks, where an error would replace the result or the real failure; a topic
 * that survives is reported on stderr with its name so it can be removed by hand.
 */
export async function deleteTopics(brokers: string[], names: string[], prefixes: string[] = []): Promise<void> {
  for (let attempt = 1; attempt <= 3; attempt++) {
    try {
      const left = await withAdmin(brokers, async (admin) => {
        const existing = await admin.listTopics();
        const doomed = existing.filter((t) => names.includes(t) || prefixes.some((p) => t.startsWith(p)));
        for (const topic of doomed) {
          // One at a time: one unknown topic (deleted meanwhile) must not fail the others.
          await admin.deleteTopics({ topics: [topic], timeout: 30_000 }).catch(() => undefined);
        }
        const after = new Set(await admin.listTopics());
        return doomed.filter((t) => after.has(t));
      });
      if (left.length === 0) return;
      if (attempt === 3) console.error(`[bench] could not delete topics: ${left.join(', ')}`);
    } catch (err: unknown) {
      if (attempt === 3)
        console.error(`[bench] topic cleanup failed: ${err instanceof Error ? err.message : String(err)}`);
    }
    await new Promise((r) => setTimeout(r, 1_000));
  }
}

export async function deleteGroups(brokers: string[], groups: string[]): Promise<void> {
  await withAdmin(brokers, async (admin) => {
    try {
      await admin.deleteGroups(groups);
    } catch {
      // A group that never committed does not exist; nothing to clean.
    }
  });
}

/** Sum of end offsets (read_committed high watermarks are not exposed; plain end offsets suffice here). */
export async function endOffsetTotal(brokers: string[], topic: string): Promise<number> {
  return withAdmin(brokers, async (admin) => {
    const offsets = await admin.fetchTopicOffsets(topic);
    return offsets.reduce((sum, o) => sum + Number(o.high) - Number(o.low), 0);
  });
}

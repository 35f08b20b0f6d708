/**
 * Shadows that earlier demo or drill runs left in `shadow.state` (a run killed before it could
 * withdraw its Redis resources). Each run's shadow manager starts at the present, so it never sees
 * those runs' deployments; the demo withdraws them again once its own manager runs, which forgets
 * their shadows (a tombstone on shadow.state) and the dashboard stops listing them.
 */
import { randomUUID } from 'node:crypto';
import { SHADOW_STATE_TOPIC } from '../streams/catalogue.js';
import type { KafkaConnection } from '../streams/runtime/config.js';
import { createKafka } from '../streams/runtime/kafka-client.js';

/** Resource ids the demo (`redis-orders-1a2b`) and the failover drill (`redis-drill-1a2b3c`) use. */
const DEMO_RESOURCE = /^redis-(?:[a-z]+(?:-\d+)?-[0-9a-f]{4}|drill-[0-9a-f]{6})$/;

export function isDemoResource(resourceId: string): boolean {
  return DEMO_RESOURCE.test(resourceId);
}

/**
 * Demo-owned resource ids with a live (not tombstoned) shadow state, except `keep`. Reads the
 * compacted topic from the start until it has been quiet for `quietMs` (at most `maxMs`).
 */
export async function leftoverDemoShadows(
  conn: KafkaConnection,
  keep: ReadonlySet<string>,
  { quietMs = 1_500, maxMs = 15_000 }: { quietMs?: number; maxMs?: number } = {},
): Promise<string[]> {
  const kafka = createKafka(conn, 'foreshadow-demo-leftovers');
  const admin = kafka.admin();
  await admin.connect();
  const empty = await admin
    .fetchTopicOffsets(SHADOW_STATE_TOPIC)
    .then((o) => o.every((p) => p.high === p.low))
    .catch(() => true)
    .finally(() => admin.disconnect());
  if (empty) return [];
  const consumer = kafka.consumer({ groupId: `foreshadow-demo-leftovers-${randomUUID()}`, readUncommitted: false });
  const live = new Set<string>();
  let last = 0;
  await consumer.connect();
  try {
    await consumer.subscribe({ topic: SHADOW_STATE_TOPIC, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        last = Date.now();
        const key = message.key?.toString();
        if (!key || !isDemoResource(key)) return;
        if (message.value === null) live.delete(key);
        else live.add(key);
      },
    });
    const start = Date.now();
    // Until the first record (the group join takes a few seconds), then until quiet.
    while (Date.now() - start < maxMs && (last === 0 || Date.now() - last < quietMs))
      await new Promise((r) => setTimeout(r, 200));
  } finally {
    await consumer.disconnect();
  }
  return [...live].filter((id) => !keep.has(id)).sort();
}

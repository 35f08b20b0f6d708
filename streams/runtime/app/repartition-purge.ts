/**
 * Deleting what was consumed from repartition topics. They keep records for ever (event times as
 * timestamps would make time-based retention delete replayed history before it is consumed), so
 * after a commit the records below the committed offset, which nobody needs again, are deleted:
 * at most every `repartitionPurgeIntervalMs` per partition.
 */
import type { RuntimeContext } from './runtime-context.js';

export class RepartitionPurge {
  private readonly topics: ReadonlySet<string>;
  /** When each repartition topic partition was last purged (`topic:partition` → ms). */
  private readonly lastPurge = new Map<string, number>();

  constructor(private readonly ctx: RuntimeContext) {
    this.topics = new Set(ctx.topology.internalTopics().map((x) => x.name));
  }

  /** After a commit of `topic`'s partition up to `before`. Not awaited: a failed purge only delays the next. */
  committed(topic: string, partition: number, before: bigint): void {
    if (!this.topics.has(topic)) return;
    const key = `${topic}:${partition}`;
    const now = Date.now();
    if (now - (this.lastPurge.get(key) ?? 0) < this.ctx.settings.repartitionPurgeIntervalMs) return;
    this.lastPurge.set(key, now);
    this.ctx.clients.adminClient
      ?.deleteTopicRecords({ topic, partitions: [{ partition, offset: before.toString() }] })
      .catch((err: unknown) =>
        this.ctx.logger.warn(
          { topic, partition, err: String(err) },
          'repartition purge failed; retried after a later commit',
        ),
      );
  }
}

/**
 * The topics an app creates for itself, with the partition count of its (co-partitioned) sources:
 * `<appId>-<store>-changelog` (compacted; window stores' also expire), `<appId>-<name>-repartition`
 * (kept for ever, purged below the committed offset instead), `<source>.dlq` and `<appId>.late`.
 * Existing repartition topics get their configuration aligned.
 */
import type { Admin } from 'kafkajs';
import { coPartitionedCount, externalSourceTopics } from '../co-partition.js';
import { deadLetterTopic } from '../dead-letter.js';
import { ForeshadowError } from '../errors.js';
import type { Logger } from '../logger.js';
import { alignTopicConfigs, createTopicsAndWait } from '../topic-admin.js';
import type { Topology } from '../topology.js';

/** One day: how much longer than its store a window changelog keeps records. */
const WINDOW_CHANGELOG_SLACK_MS = 86_400_000;

/** Partition counts of the topics an app reads and writes, learnt at start-up or looked up once. */
export class PartitionCounts {
  private readonly counts = new Map<string, number>();

  constructor(private readonly admin: () => Admin) {}

  set(topic: string, partitions: number): void {
    this.counts.set(topic, partitions);
  }

  /** Without a round trip: undefined for a topic not seen yet. */
  known(topic: string): number | undefined {
    return this.counts.get(topic);
  }

  async of(topic: string): Promise<number> {
    const known = this.counts.get(topic);
    if (known !== undefined) return known;
    const meta = await this.admin().fetchTopicMetadata({ topics: [topic] });
    const n = meta.topics[0]?.partitions.length ?? 1;
    this.counts.set(topic, n);
    return n;
  }
}

/**
 * Creates the topology's internal topics that are missing and records every topic's partition
 * count in `partitions`; returns the task count (the sources' shared partition count).
 */
export async function ensureInternalTopics(
  admin: Admin,
  t: Topology,
  partitions: PartitionCounts,
  options: { defaultPartitions: number; logger: Logger },
): Promise<number> {
  const internal = new Set(t.internalTopics().map((x) => x.name));
  const external = externalSourceTopics(t);
  const existing = new Set(await admin.listTopics());
  const missing = external.filter((x) => !existing.has(x));
  if (missing.length > 0) {
    throw new ForeshadowError('CONFIG_INVALID', `source topics do not exist: ${missing.join(', ')}`, {
      context: { missing },
    });
  }
  let count = options.defaultPartitions;
  if (external.length > 0) {
    const meta = await admin.fetchTopicMetadata({ topics: external });
    count = coPartitionedCount(
      meta.topics.map((m) => [m.name, m.partitions.length] as const),
      count,
    );
  }
  const wanted: { topic: string; numPartitions: number; configEntries: { name: string; value: string }[] }[] = [];
  // Repartition topics: no time-based retention (see repartitionPurgeIntervalMs); purged instead.
  const repartitionConfig = [{ name: 'retention.ms', value: '-1' }];
  for (const name of internal) wanted.push({ topic: name, numPartitions: count, configEntries: repartitionConfig });
  // Ones created by a version that expired them by time still carry that retention.
  const aligned = await alignTopicConfigs(
    admin,
    [...internal].filter((n) => existing.has(n)),
    repartitionConfig,
  );
  if (aligned.length > 0) options.logger.info({ topics: aligned }, 'repartition topics no longer expire by time');
  for (const spec of t.storeSpecs()) {
    if (!spec.changelog) continue;
    const configEntries = [{ name: 'cleanup.policy', value: 'compact' }];
    if (spec.kind === 'window') {
      // Window changelogs also expire: retention bounds their size like it bounds the store.
      configEntries[0] = { name: 'cleanup.policy', value: 'compact,delete' };
      configEntries.push({ name: 'retention.ms', value: String(spec.retentionMs + WINDOW_CHANGELOG_SLACK_MS) });
    }
    wanted.push({ topic: t.changelogTopic(spec.name), numPartitions: count, configEntries });
  }
  for (const src of t.sourceTopics()) wanted.push({ topic: deadLetterTopic(src), numPartitions: 1, configEntries: [] });
  wanted.push({ topic: t.lateTopic(), numPartitions: 1, configEntries: [] });
  const create = wanted.filter((w) => !existing.has(w.topic));
  if (create.length > 0) {
    // Other apps (or instances) may be creating some of them right now, e.g. a shared `<source>.dlq`.
    await createTopicsAndWait(admin, create);
    options.logger.info({ topics: create.map((c) => c.topic) }, 'created internal topics');
  }
  for (const w of wanted) partitions.set(w.topic, w.numPartitions);
  for (const x of external) partitions.set(x, count);
  return count;
}

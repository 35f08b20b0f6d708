/**
 * Creates topics idempotently from specs: missing topics are created with their partition count,
 * cleanup policy and retention; existing ones get their configs brought in line and their
 * partitions raised (never lowered: Kafka cannot, and keyed data would move).
 */
import kafkajs, { type Admin, type ITopicConfig } from 'kafkajs';
import type { TopicSpec } from '../catalogue.js';

// kafkajs is CommonJS and its enums are not visible as ESM named exports.
const { ConfigResourceTypes } = kafkajs;

export interface TopicChange {
  topic: string;
  action: 'created' | 'updated' | 'unchanged' | 'partitions-raised';
  detail?: string;
}

export function topicConfigEntries(spec: TopicSpec): { name: string; value: string }[] {
  const entries: { name: string; value: string }[] = [{ name: 'cleanup.policy', value: spec.cleanup }];
  if (spec.retentionMs !== undefined) entries.push({ name: 'retention.ms', value: String(spec.retentionMs) });
  if (spec.cleanup.includes('compact')) {
    // Compacted state topics should compact promptly so restores read little.
    entries.push({ name: 'min.cleanable.dirty.ratio', value: '0.1' }, { name: 'segment.ms', value: String(3_600_000) });
  }
  return entries;
}

export async function ensureTopics(admin: Admin, specs: readonly TopicSpec[]): Promise<TopicChange[]> {
  const existing = new Set(await admin.listTopics());
  const missing = specs.filter((s) => !existing.has(s.name));
  const present = specs.filter((s) => existing.has(s.name));
  const changes: TopicChange[] = [];

  if (missing.length > 0) {
    const topics: ITopicConfig[] = missing.map((s) => ({
      topic: s.name,
      numPartitions: s.partitions,
      replicationFactor: -1,
      configEntries: topicConfigEntries(s),
    }));
    await admin.createTopics({ topics, waitForLeaders: true });
    for (const s of missing)
      changes.push({ topic: s.name, action: 'created', detail: `${s.partitions} partitions, ${s.cleanup}` });
  }
  if (present.length === 0) return changes;

  const meta = await admin.fetchTopicMetadata({ topics: present.map((s) => s.name) });
  const partitionsOf = new Map(meta.topics.map((t) => [t.name, t.partitions.length]));
  const described = await admin.describeConfigs({
    includeSynonyms: false,
    resources: present.map((s) => ({ type: ConfigResourceTypes.TOPIC, name: s.name })),
  });
  const configOf = new Map(
    described.resources.map((r) => [
      r.resourceName,
      new Map(r.configEntries.map((e) => [e.configName, e.configValue])),
    ]),
  );

  const raise = present.filter((s) => (partitionsOf.get(s.name) ?? 0) < s.partitions);
  if (raise.length > 0) {
    await admin.createPartitions({ topicPartitions: raise.map((s) => ({ topic: s.name, count: s.partitions })) });
  }
  for (const s of present) {
    const wanted = topicConfigEntries(s);
    const current = configOf.get(s.name) ?? new Map<string, string>();
    const drift = wanted.filter((e) => current.get(e.name) !== e.value);
    if (drift.length > 0) {
      // kafkajs speaks the non-incremental AlterConfigs API, which replaces a topic's whole set of
      // overrides: send every wanted entry, or the ones not drifting would fall back to defaults.
      await admin.alterConfigs({
        validateOnly: false,
        resources: [{ type: ConfigResourceTypes.TOPIC, name: s.name, configEntries: wanted }],
      });
    }
    if (raise.includes(s)) {
      changes.push({
        topic: s.name,
        action: 'partitions-raised',
        detail: `${partitionsOf.get(s.name)} -> ${s.partitions}`,
      });
    } else if (drift.length > 0) {
      changes.push({ topic: s.name, action: 'updated', detail: drift.map((e) => `${e.name}=${e.value}`).join(', ') });
    } else {
      changes.push({ topic: s.name, action: 'unchanged' });
    }
  }
  return changes;
}

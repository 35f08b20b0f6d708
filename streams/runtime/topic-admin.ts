/**
 * Creates topics idempotently from specs: missing topics are created with their partition count,
 * cleanup policy and retention; existing ones get their configs brought in line and their
 * partitions raised (never lowered: Kafka cannot, and keyed data would move).
 */
import kafkajs, { type Admin, type ITopicConfig } from 'kafkajs';
import type { TopicSpec } from '../catalogue.js';
import { ForeshadowError } from './errors.js';

// kafkajs is CommonJS and its enums are not visible as ESM named exports.
const { ConfigResourceTypes } = kafkajs;

export interface TopicChange {
  topic: string;
  action: 'created' | 'updated' | 'unchanged' | 'partitions-raised';
  detail?: string;
}

type ConfigEntry = { name: string; value: string };

export function topicConfigEntries(spec: TopicSpec): ConfigEntry[] {
  const entries: ConfigEntry[] = [{ name: 'cleanup.policy', value: spec.cleanup }];
  if (spec.retentionMs !== undefined) entries.push({ name: 'retention.ms', value: String(spec.retentionMs) });
  if (spec.cleanup.includes('compact')) {
    // Compacted state topics should compact promptly so restores read little.
    entries.push({ name: 'min.cleanable.dirty.ratio', value: '0.1' }, { name: 'segment.ms', value: String(3_600_000) });
  }
  return entries;
}

/** Each topic's current configuration, name → value. */
async function describeTopicConfigs(
  admin: Admin,
  topics: readonly string[],
): Promise<Map<string, Map<string, string>>> {
  const described = await admin.describeConfigs({
    includeSynonyms: false,
    resources: topics.map((name) => ({ type: ConfigResourceTypes.TOPIC, name })),
  });
  return new Map(
    described.resources.map((r) => [
      r.resourceName,
      new Map(r.configEntries.map((e) => [e.configName, e.configValue])),
    ]),
  );
}

/** The wanted entries a topic's current configuration does not hold. */
function driftFrom(current: ReadonlyMap<string, string> | undefined, wanted: readonly ConfigEntry[]): ConfigEntry[] {
  return wanted.filter((e) => current?.get(e.name) !== e.value);
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
    await createTopicsAndWait(admin, topics);
    for (const s of missing)
      changes.push({ topic: s.name, action: 'created', detail: `${s.partitions} partitions, ${s.cleanup}` });
  }
  if (present.length === 0) return changes;

  const meta = await admin.fetchTopicMetadata({ topics: present.map((s) => s.name) });
  const partitionsOf = new Map(meta.topics.map((t) => [t.name, t.partitions.length]));
  const configOf = await describeTopicConfigs(
    admin,
    present.map((s) => s.name),
  );

  const raise = present.filter((s) => (partitionsOf.get(s.name) ?? 0) < s.partitions);
  if (raise.length > 0) {
    await admin.createPartitions({ topicPartitions: raise.map((s) => ({ topic: s.name, count: s.partitions })) });
  }
  for (const s of present) {
    const wanted = topicConfigEntries(s);
    const drift = driftFrom(configOf.get(s.name), wanted);
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

/**
 * Brings existing topics' configuration overrides to exactly `wanted` where any differ, and returns
 * the topics changed. For topics the runtime creates with only these overrides (repartition topics):
 * kafkajs' AlterConfigs replaces the whole set.
 */
export async function alignTopicConfigs(
  admin: Admin,
  topics: readonly string[],
  wanted: readonly ConfigEntry[],
): Promise<string[]> {
  if (topics.length === 0) return [];
  const configOf = await describeTopicConfigs(admin, topics);
  const drifting = topics.filter((name) => driftFrom(configOf.get(name), wanted).length > 0);
  if (drifting.length === 0) return [];
  await admin.alterConfigs({
    validateOnly: false,
    resources: drifting.map((name) => ({ type: ConfigResourceTypes.TOPIC, name, configEntries: [...wanted] })),
  });
  return drifting;
}

/**
 * Creates `topics` (those that exist already are left alone) and returns once every one of them
 * has a leader, also when other processes create some of the same topics at the same moment (apps
 * reading one source share its `<source>.dlq`). A KRaft broker learns of a new topic a moment after
 * the controller accepted it: meanwhile metadata answers UNKNOWN_TOPIC_OR_PARTITION (kafkajs' own
 * wait for leaders gives up on that) and a listing may still lack the topic. So both the creation
 * of whatever is missing and the wait for leaders are repeated here while the metadata is in flux.
 */
export async function createTopicsAndWait(admin: Admin, topics: ITopicConfig[], timeoutMs = 60_000): Promise<void> {
  if (topics.length === 0) return;
  const names = topics.map((t) => t.topic);
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const existing = new Set(await admin.listTopics());
      const missing = topics.filter((t) => !existing.has(t.topic));
      if (missing.length > 0) {
        try {
          await admin.createTopics({ topics: missing, waitForLeaders: false });
        } catch (err: unknown) {
          // Created anyway (by another process, or by a controller that answered too late), or a
          // transient refusal: go on (the wait below, or another round). Anything else is real.
          const now = new Set(await admin.listTopics());
          const transient = isMetadataInFlux(err) || (err as { retriable?: unknown } | null)?.retriable === true;
          if (!transient && missing.some((t) => !now.has(t.topic))) throw err;
        }
      }
      const meta = await admin.fetchTopicMetadata({ topics: names });
      const led = meta.topics.filter((t) => t.partitions.length > 0 && t.partitions.every((p) => p.leader >= 0));
      if (led.length === names.length) return;
    } catch (err: unknown) {
      if (!isMetadataInFlux(err)) throw err;
      last = err;
    }
    if (Date.now() > deadline) {
      throw new ForeshadowError('TIMEOUT', `topics have no leader after ${timeoutMs} ms: ${names.join(', ')}`, {
        cause: last,
        retriable: true,
        context: { topics: names },
      });
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Metadata errors of a cluster whose topics are being created or deleted right now. */
const METADATA_IN_FLUX = new Set(['UNKNOWN_TOPIC_OR_PARTITION', 'LEADER_NOT_AVAILABLE', 'NOT_LEADER_FOR_PARTITION']);

export function isMetadataInFlux(err: unknown): boolean {
  const type = (err as { type?: unknown } | null)?.type;
  return typeof type === 'string' && METADATA_IN_FLUX.has(type);
}

/**
 * Runs an idempotent admin step (list, describe, create-if-missing), again while the cluster's
 * metadata is in flux. kafkajs fails a whole metadata answer when any one partition in it has an
 * error, and does not retry an unknown topic: `listTopics` fails while *any* topic on the cluster
 * is being created or deleted (e.g. other apps starting at the same moment).
 */
export async function retryWhileInFlux<T>(step: () => Promise<T>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (let delay = 100; ; delay = Math.min(delay * 2, 2_000)) {
    try {
      return await step();
    } catch (err: unknown) {
      if (!isMetadataInFlux(err) || Date.now() + delay > deadline) throw err;
    }
    await new Promise((r) => setTimeout(r, delay));
  }
}

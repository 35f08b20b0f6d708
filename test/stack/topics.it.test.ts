import kafkajs from 'kafkajs';
import { afterAll, describe, expect, it } from 'vitest';
import { DEAD_LETTER_TOPICS, TOPICS, type TopicSpec } from '../../streams/catalogue.js';
import { ensureTopics } from '../../streams/runtime/topic-admin.js';
import { createTopics, deleteTopics, uniqueName, withAdmin } from '../support/kafka.js';

const { ConfigResourceTypes } = kafkajs;

async function configsOf(names: string[]): Promise<Map<string, Map<string, string>>> {
  return withAdmin(async (admin) => {
    const res = await admin.describeConfigs({
      includeSynonyms: false,
      resources: names.map((name) => ({ type: ConfigResourceTypes.TOPIC, name })),
    });
    return new Map(
      res.resources.map((r) => [r.resourceName, new Map(r.configEntries.map((e) => [e.configName, e.configValue]))]),
    );
  });
}

describe('topic catalogue on the real broker', () => {
  const scratch: string[] = [];
  afterAll(async () => deleteTopics(scratch));

  it('creates every catalogue topic with its partitions, cleanup policy and retention, idempotently', async () => {
    const all = [...TOPICS, ...DEAD_LETTER_TOPICS];
    await withAdmin((admin) => ensureTopics(admin, all));
    const second = await withAdmin((admin) => ensureTopics(admin, all));
    expect(second.every((c) => c.action === 'unchanged')).toBe(true);

    const meta = await withAdmin((admin) => admin.fetchTopicMetadata({ topics: all.map((t) => t.name) }));
    const partitions = new Map(meta.topics.map((t) => [t.name, t.partitions.length]));
    const configs = await configsOf(all.map((t) => t.name));
    for (const spec of all) {
      expect(partitions.get(spec.name), spec.name).toBe(spec.partitions);
      expect(configs.get(spec.name)?.get('cleanup.policy'), spec.name).toBe(spec.cleanup);
      if (spec.retentionMs !== undefined) {
        expect(configs.get(spec.name)?.get('retention.ms'), spec.name).toBe(String(spec.retentionMs));
      }
    }
    expect(configs.get('shadow.state')?.get('cleanup.policy')).toBe('compact');
    expect(configs.get('metrics.raw')?.get('cleanup.policy')).toBe('delete');
  });

  it('brings a drifted topic back in line and raises (never lowers) its partitions', async () => {
    const name = uniqueName('drift');
    scratch.push(name);
    await createTopics([
      { topic: name, numPartitions: 1, configEntries: [{ name: 'cleanup.policy', value: 'delete' }] },
    ]);
    const spec: TopicSpec = { name, partitions: 3, cleanup: 'compact', key: 'k', doc: 'drift test' };
    const changes = await withAdmin((admin) => ensureTopics(admin, [spec]));
    expect(changes[0]?.action).toBe('partitions-raised');
    const meta = await withAdmin((admin) => admin.fetchTopicMetadata({ topics: [name] }));
    expect(meta.topics[0]?.partitions.length).toBe(3);
    const after = (await configsOf([name])).get(name);
    expect(after?.get('cleanup.policy')).toBe('compact');
    // Altering one drifted entry must not reset the others (AlterConfigs replaces the whole set).
    expect(after?.get('min.cleanable.dirty.ratio')).toBe('0.1');
    const again = await withAdmin((admin) => ensureTopics(admin, [spec]));
    expect(again[0]?.action).toBe('unchanged');
  });
});

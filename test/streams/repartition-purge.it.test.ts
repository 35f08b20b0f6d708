/**
 * Repartition topics on the real broker: created without time-based retention (records carry
 * their event time, and replayed history older than retention would be deleted before it is
 * consumed) and purged instead, below the committed offset, after commits.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigResourceTypes } from 'kafkajs';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConnection } from '../../streams/runtime/config.js';
import { createLogger } from '../../streams/runtime/logger.js';
import { jsonSerde, stringSerde } from '../../streams/runtime/serdes.js';
import { StreamsApp } from '../../streams/runtime/streams-app.js';
import { StreamsBuilder } from '../../streams/runtime/streams-builder.js';
import type { Topology } from '../../streams/runtime/topology.js';
import { brokers, consumeUntil, createTopics, registryUrl, uniqueName, withAdmin } from '../support/kafka.js';
import { cleanupApp, produce, sleep } from './fixtures/streams-helpers.js';

interface Reading {
  region: string;
  v: number;
}

function retentionOf(topic: string): Promise<string | undefined> {
  return withAdmin(async (a) => {
    const r = await a.describeConfigs({
      resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, configNames: ['retention.ms'] }],
      includeSynonyms: false,
    });
    return r.resources[0]?.configEntries.find((e) => e.configName === 'retention.ms')?.configValue;
  });
}

describe('repartition topics', () => {
  const appId = uniqueName('purge-app').replaceAll('.', '-');
  const input = uniqueName('purge-in');
  const output = uniqueName('purge-out');

  /** Readings re-keyed by region: one repartition topic, `<app>-by-region-repartition`. */
  function byRegion(applicationId: string): Topology {
    const b = new StreamsBuilder(applicationId);
    b.stream(input, { keySerde: stringSerde, valueSerde: jsonSerde<Reading>() })
      .selectKey((_k, v) => v.region, { name: 'by-region', keySerde: stringSerde, valueSerde: jsonSerde<Reading>() })
      .to(output, { keySerde: stringSerde, valueSerde: jsonSerde<Reading>() });
    return b.build();
  }
  let stateDir = '';

  afterAll(async () => {
    await cleanupApp(appId, [input, output]);
    if (stateDir) await rm(stateDir, { recursive: true, force: true });
  });

  it('keep replayed history (no time retention) and are purged below the committed offset', async () => {
    await createTopics([
      { topic: input, numPartitions: 2 },
      { topic: output, numPartitions: 2 },
    ]);
    stateDir = await mkdtemp(join(tmpdir(), 'foreshadow-purge-'));
    const app = new StreamsApp(byRegion(appId), {
      guarantee: 'exactly-once',
      connection: { ...loadConnection(), brokers: brokers(), registryUrl: registryUrl() },
      stateDir,
      commitIntervalMs: 200,
      repartitionPurgeIntervalMs: 0,
      logger: createLogger('purge-test', 'error'),
    });
    await app.start();
    const repartition = `${appId}-by-region-repartition`;
    try {
      // Replayed history: event times from 30 days ago, far beyond the broker's retention.
      const old = Date.now() - 30 * 86_400_000;
      const records = Array.from({ length: 400 }, (_, i) => ({
        key: `h${i % 40}`,
        value: JSON.stringify({ region: `r${i % 4}`, v: i }),
        partition: i % 2,
        timestamp: old + i * 1_000,
      }));
      await produce(input, records);
      const out = await consumeUntil(output, (all) => all.length >= 400, 60_000);
      expect(out).toHaveLength(400);

      expect(await retentionOf(repartition)).toBe('-1');

      // The next commits purge what was consumed: the low watermarks move up to the high ones.
      let low: number[] = [];
      let high: number[] = [];
      for (let i = 0; i < 40; i++) {
        const offsets = await withAdmin((a) => a.fetchTopicOffsets(repartition));
        low = offsets.map((o) => Number(o.low));
        high = offsets.map((o) => Number(o.high));
        if (low.reduce((x, y) => x + y, 0) >= 400) break;
        // Fresh input makes the tasks commit again (a purge follows a commit).
        await produce(input, [{ key: 'h0', value: JSON.stringify({ region: 'r0', v: -1 }), partition: 0 }]);
        await produce(input, [{ key: 'h1', value: JSON.stringify({ region: 'r1', v: -1 }), partition: 1 }]);
        await sleep(500);
      }
      // The 400 replayed records went through (their offsets, plus transaction markers, are below
      // the committed positions): at least that many offsets are gone, none beyond the end.
      expect(low.reduce((x, y) => x + y, 0)).toBeGreaterThanOrEqual(400);
      for (const [p, l] of low.entries()) expect(l, `partition ${p}`).toBeLessThanOrEqual(high[p]!);
    } finally {
      await app.close();
    }
  });

  it('stop expiring by time when an earlier version created them with a retention', async () => {
    const oldAppId = uniqueName('purge-old-app').replaceAll('.', '-');
    const repartition = `${oldAppId}-by-region-repartition`;
    const dir = await mkdtemp(join(tmpdir(), 'foreshadow-purge-old-'));
    // As the runtime left it before repartition topics were purged instead: 7 days of retention.
    await createTopics([
      { topic: repartition, numPartitions: 2, configEntries: [{ name: 'retention.ms', value: '604800000' }] },
    ]);
    expect(await retentionOf(repartition)).toBe('604800000');
    const app = new StreamsApp(byRegion(oldAppId), {
      guarantee: 'at-least-once',
      connection: { ...loadConnection(), brokers: brokers(), registryUrl: registryUrl() },
      stateDir: dir,
      logger: createLogger('purge-old-test', 'error'),
    });
    try {
      await app.start();
      expect(await retentionOf(repartition)).toBe('-1');
    } finally {
      await app.close();
      await cleanupApp(oldAppId, []);
      await rm(dir, { recursive: true, force: true });
    }
  });
});

/**
 * Acceptance (6): stream–table join against a compacted topic sees the latest table value, also
 * after a restart — both with the local state kept and with it deleted (table store rebuilt from
 * its changelog), with a table update that arrived while the app was down.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConnection } from '../../streams/runtime/config.js';
import { createLogger } from '../../streams/runtime/logger.js';
import { jsonSerde, stringSerde } from '../../streams/runtime/serdes.js';
import { StreamsApp } from '../../streams/runtime/streams-app.js';
import { StreamsBuilder } from '../../streams/runtime/streams-builder.js';
import { brokers, consumeUntil, createTopics, uniqueName } from '../support/kafka.js';
import { cleanupApp, produce, sleep } from './fixtures/streams-helpers.js';

interface Event {
  host: string;
  region: string;
}

const PARTITIONS = 2;
const partitionOf = (region: string): number => (region === 'eu' ? 0 : 1);

describe('stream–table join', () => {
  const appId = uniqueName('join-app').replaceAll('.', '-');
  const events = uniqueName('join-events');
  const regions = uniqueName('join-regions');
  const output = uniqueName('join-out');
  const dirs: string[] = [];

  afterAll(async () => {
    await cleanupApp(appId, [events, regions, output]);
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  it('joins with the latest table value, before and after restarts', async () => {
    await createTopics([
      { topic: events, numPartitions: PARTITIONS },
      { topic: regions, numPartitions: PARTITIONS, configEntries: [{ name: 'cleanup.policy', value: 'compact' }] },
      { topic: output, numPartitions: PARTITIONS },
    ]);
    const topology = (): StreamsBuilder => {
      const b = new StreamsBuilder(appId);
      const table = b.table(regions, { keySerde: stringSerde, valueSerde: stringSerde, storeName: 'region-names' });
      b.stream(events, { keySerde: stringSerde, valueSerde: jsonSerde<Event>() })
        .join(table, (e, name) => `${e.host}@${name}`)
        .to(output, { keySerde: stringSerde, valueSerde: stringSerde });
      return b;
    };
    const start = async (stateDir: string): Promise<StreamsApp> => {
      const app = new StreamsApp(topology().build(), {
        guarantee: 'exactly-once',
        connection: { ...loadConnection(), brokers: brokers() },
        stateDir,
        logger: createLogger('join-test', 'error'),
      });
      await app.start();
      return app;
    };
    const region = (key: string, name: string | null) => ({ key, value: name, partition: partitionOf(key) });
    const event = (host: string, r: string) => ({
      key: r,
      value: JSON.stringify({ host, region: r }),
      partition: partitionOf(r),
    });
    const joined = async (n: number): Promise<string[]> =>
      (await consumeUntil(output, (all) => all.length >= n, 30_000)).map((m) => m.message.value!.toString()).sort();

    const dirA = await mkdtemp(join(tmpdir(), 'foreshadow-join-a-'));
    const dirB = await mkdtemp(join(tmpdir(), 'foreshadow-join-b-'));
    dirs.push(dirA, dirB);
    await produce(regions, [region('eu', 'Europe'), region('us', 'USA')]);
    let app = await start(dirA);
    await sleep(2_000);
    await produce(events, [event('h1', 'eu'), event('h2', 'us'), event('h3', 'ap')]);
    expect(await joined(2)).toEqual(['h1@Europe', 'h2@USA']);

    await produce(regions, [region('eu', 'Europa')]);
    await sleep(1_500);
    await produce(events, [event('h4', 'eu')]);
    expect(await joined(3)).toEqual(['h1@Europe', 'h2@USA', 'h4@Europa']);
    await app.close();

    // Restart with state intact; a table update arrived meanwhile.
    await produce(regions, [region('us', 'United States')]);
    app = await start(dirA);
    await sleep(2_000);
    await produce(events, [event('h5', 'us'), event('h6', 'eu')]);
    expect(await joined(5)).toEqual(['h1@Europe', 'h2@USA', 'h4@Europa', 'h5@United States', 'h6@Europa']);
    await app.close();

    // Restart without local state: the table store comes back from its changelog.
    app = await start(dirB);
    await sleep(2_000);
    expect(app.restores.filter((r) => r.store === 'region-names').reduce((n, r) => n + r.restored, 0)).toBeGreaterThan(
      0,
    );
    await produce(events, [event('h7', 'us'), event('h8', 'eu')]);
    const all = await joined(7);
    await app.close();
    expect(all).toEqual([
      'h1@Europe',
      'h2@USA',
      'h4@Europa',
      'h5@United States',
      'h6@Europa',
      'h7@United States',
      'h8@Europa',
    ]);
  });
});

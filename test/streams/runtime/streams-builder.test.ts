import { describe, expect, it } from 'vitest';
import { windowedSerde } from '../../../streams/runtime/dsl/dsl-serdes.js';
import { jsonSerde, numberSerde, stringSerde } from '../../../streams/runtime/serdes.js';
import { StreamsBuilder } from '../../../streams/runtime/streams-builder.js';
import type { WindowedKey } from '../../../streams/state/store.js';
import { TopologyTestDriver } from '../../../streams/testing/topology-test-driver.js';
import { HoppingWindows, SlidingWindows, TimeWindows } from '../../../streams/windows/windows.js';

interface Sample {
  host: string;
  region: string;
  cpu: number;
  at: number;
}

const sampleSerde = jsonSerde<Sample>();

/** Deterministic pseudo-random numbers so failures reproduce. */
function rng(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s * 1_103_515_245 + 12_345) % 2_147_483_648;
    return s / 2_147_483_648;
  };
}

describe('StreamsBuilder', () => {
  it('filter, map, flatMap and branch route records', async () => {
    const b = new StreamsBuilder('dsl-stateless');
    const s = b.stream('in', { keySerde: stringSerde, valueSerde: numberSerde });
    const [small, big] = s
      .filter((_k, v) => v >= 0)
      .flatMap((k, v) => [
        { key: k, value: v },
        { key: `${k}!`, value: v * 10 },
      ])
      .branch([(_k, v) => v < 10, () => true]);
    small
      ?.map((k, v) => ({ key: k.toUpperCase(), value: v + 1 }))
      .to('small', { keySerde: stringSerde, valueSerde: numberSerde });
    big?.mapValues((v) => String(v)).to('big', { keySerde: stringSerde, valueSerde: stringSerde });
    const d = new TopologyTestDriver(b.build());
    await d.pipeInput('in', 'a', 3, 1);
    await d.pipeInput('in', 'b', -1, 2);
    expect(d.readOutput('small').map((r) => [r.key, r.value])).toEqual([['A', 4]]);
    expect(d.readOutput('big').map((r) => [r.key, r.value])).toEqual([['a!', '30']]);
  });

  it('tumbling aggregation emitting on window close equals brute force, late records reported', async () => {
    const size = 1_000;
    const grace = 300;
    const b = new StreamsBuilder('dsl-tumbling');
    b.stream('samples', { keySerde: stringSerde, valueSerde: sampleSerde, timestampExtractor: (r) => r.value.at })
      .groupByKey()
      .windowedBy(TimeWindows.of({ sizeMs: size, graceMs: grace }))
      .aggregate({
        storeName: 'cpu-sum',
        initializer: () => 0,
        aggregator: (_k, v, a) => a + v.cpu,
        valueSerde: numberSerde,
      })
      .to('sums', { keySerde: windowedSerde(stringSerde), valueSerde: numberSerde });
    const d = new TopologyTestDriver(b.build());
    const rand = rng(7);
    let streamTime = -1;
    const expected = new Map<string, number>();
    let lateCount = 0;
    for (let i = 0; i < 3_000; i++) {
      const base = i * 10;
      // Mostly in order; some jitter inside grace; a few far behind (late).
      const jitter = rand() < 0.05 ? -Math.floor(rand() * 3_000) : -Math.floor(rand() * 250);
      const at = Math.max(0, base + jitter);
      const host = `h${Math.floor(rand() * 5)}`;
      const cpu = Math.floor(rand() * 100);
      streamTime = Math.max(streamTime, at);
      const start = at - (at % size);
      if (streamTime >= start + size + grace) lateCount++;
      else expected.set(`${host}@${start}`, (expected.get(`${host}@${start}`) ?? 0) + cpu);
      await d.pipeInput('samples', host, { host, region: 'r', cpu, at }, at);
    }
    const out = d.readOutput<WindowedKey<string>, number>('sums');
    const got = new Map(out.map((r) => [`${r.key.key}@${r.key.start}`, r.value]));
    expect(got.size).toBe(out.length);
    // Only closed windows are emitted: compare those.
    const closed = [...expected].filter(([k]) => Number(k.split('@')[1]) + size + grace <= streamTime);
    expect(out.length).toBe(closed.length);
    for (const [k, v] of closed) expect(got.get(k), k).toBe(v);
    expect(lateCount).toBeGreaterThan(10);
    expect(d.readOutput('dsl-tumbling.late')).toHaveLength(lateCount);
    expect(d.metrics.late).toBe(lateCount);
  });

  it('hopping windows emit every update with the window in the key', async () => {
    const b = new StreamsBuilder('dsl-hopping');
    b.stream('in', { keySerde: stringSerde, valueSerde: numberSerde })
      .groupByKey()
      .windowedBy(HoppingWindows.of({ sizeMs: 10, advanceMs: 5 }))
      .count({ storeName: 'hop-count', emit: 'on-update' })
      .to('counts', { keySerde: windowedSerde(stringSerde), valueSerde: numberSerde });
    const d = new TopologyTestDriver(b.build());
    await d.pipeInput('in', 'k', 1, 7);
    await d.pipeInput('in', 'k', 1, 12);
    expect(d.readOutput<WindowedKey<string>, number>('counts').map((r) => [r.key.start, r.value])).toEqual([
      [0, 1],
      [5, 1],
      [5, 2],
      [10, 1],
    ]);
    const ws = d.getWindowStore<string, number>('hop-count');
    expect(await ws.fetch('k', 5)).toBe(2);
  });

  it('sliding windows aggregate the records within the time difference', async () => {
    const b = new StreamsBuilder('dsl-sliding');
    b.stream('in', { keySerde: stringSerde, valueSerde: numberSerde })
      .groupByKey()
      .windowedBy(SlidingWindows.of({ timeDifferenceMs: 10, graceMs: 5 }))
      .aggregate({
        storeName: 'slide-sum',
        initializer: () => 0,
        aggregator: (_k, v, a) => a + v,
        valueSerde: numberSerde,
      })
      .to('sums', { keySerde: windowedSerde(stringSerde), valueSerde: numberSerde });
    const d = new TopologyTestDriver(b.build());
    await d.pipeInput('in', 'k', 1, 100);
    await d.pipeInput('in', 'k', 2, 105);
    await d.pipeInput('in', 'k', 4, 103);
    await d.pipeInput('in', 'k', 8, 200);
    const out = d.readOutput<WindowedKey<string>, number>('sums').map((r) => [r.key.start, r.key.end, r.value]);
    expect(out).toEqual([
      [90, 101, 1],
      [93, 104, 5],
      [95, 106, 7],
    ]);
  });

  it('selectKey repartitions through <appId>-<name>-repartition and joins the latest table value', async () => {
    const b = new StreamsBuilder('dsl-join');
    const regions = b.table('regions', { keySerde: stringSerde, valueSerde: stringSerde, storeName: 'region-names' });
    b.stream('samples', { keySerde: stringSerde, valueSerde: sampleSerde })
      .selectKey((_k, v) => v.region, { name: 'by-region', keySerde: stringSerde, valueSerde: sampleSerde })
      .join(regions, (s, name) => `${s.host}:${name}`)
      .to('joined', { keySerde: stringSerde, valueSerde: stringSerde });
    const t = b.build();
    expect(t.internalTopics().map((x) => x.name)).toEqual(['dsl-join-by-region-repartition']);
    const d = new TopologyTestDriver(t);
    await d.pipeInput('samples', 'h1', { host: 'h1', region: 'eu', cpu: 1, at: 1 }, 1);
    await d.pipeInput('regions', 'eu', 'Europe', 2);
    await d.pipeInput('samples', 'h2', { host: 'h2', region: 'eu', cpu: 1, at: 3 }, 3);
    await d.pipeInput('regions', 'eu', 'Europa', 4);
    await d.pipeInput('samples', 'h3', { host: 'h3', region: 'eu', cpu: 1, at: 5 }, 5);
    await d.pipeInput('regions', 'eu', null, 6);
    await d.pipeInput('samples', 'h4', { host: 'h4', region: 'eu', cpu: 1, at: 7 }, 7);
    expect(d.readOutput('joined').map((r) => [r.key, r.value])).toEqual([
      ['eu', 'h2:Europe'],
      ['eu', 'h3:Europa'],
    ]);
    expect(d.readOutput('dsl-join-by-region-repartition')).toHaveLength(4);
  });
});

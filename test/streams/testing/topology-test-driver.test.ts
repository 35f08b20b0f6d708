import { describe, expect, it } from 'vitest';
import type { Processor, ProcessorContext } from '../../../streams/runtime/processor.js';
import { StreamRecord } from '../../../streams/runtime/record.js';
import { jsonSerde, numberSerde, stringSerde } from '../../../streams/runtime/serdes.js';
import { keyValueStoreSpec, Topology } from '../../../streams/runtime/topology.js';
import type { KeyValueStore } from '../../../streams/state/store.js';
import { TopologyTestDriver } from '../../../streams/testing/topology-test-driver.js';

interface Reading {
  host: string;
  cpu: number;
  at: number;
}

/** Sums cpu per host; emits the running total; flushes a count every 10 s of wall clock. */
class SumProcessor implements Processor<string, Reading, string, number> {
  private ctx!: ProcessorContext<string, number>;
  private store!: KeyValueStore<string, number>;
  private seen = 0;

  init(ctx: ProcessorContext<string, number>): void {
    this.ctx = ctx;
    this.store = ctx.getKeyValueStore('sums');
    ctx.schedule(10_000, 'wall-clock', (now) => {
      ctx.forward(new StreamRecord('seen', this.seen, now));
    });
  }

  async process(record: StreamRecord<string, Reading>): Promise<void> {
    if (record.value.cpu < 0) throw new Error('negative cpu');
    this.seen++;
    const sum = ((await this.store.get(record.key)) ?? 0) + record.value.cpu;
    this.store.put(record.key, sum);
    this.ctx.forward(record.withValue(sum));
  }
}

function topology(): Topology {
  return new Topology('driver-test')
    .addSource({
      name: 'in',
      topics: ['readings'],
      keySerde: stringSerde,
      valueSerde: jsonSerde<Reading>(),
      timestampExtractor: (r) => r.value.at,
    })
    .addProcessor('sum', () => new SumProcessor(), ['in'])
    .addStateStore(keyValueStoreSpec('sums', { keySerde: stringSerde, valueSerde: numberSerde }), ['sum'])
    .addSink({ name: 'out', topic: 'sums', keySerde: stringSerde, valueSerde: numberSerde }, ['sum']);
}

describe('TopologyTestDriver', () => {
  it('runs processors with stores, event time, headers and wall-clock punctuators', async () => {
    const driver = new TopologyTestDriver(topology(), { initialWallClockMs: 1_000 });
    await driver.pipeInput('readings', 'h1', { host: 'h1', cpu: 2, at: 500 }, 0, { src: 'a' });
    await driver.pipeInput('readings', 'h1', { host: 'h1', cpu: 3, at: 700 });
    await driver.pipeInput('readings', 'h2', { host: 'h2', cpu: 1, at: 600 });
    expect(driver.readOutput<string, number>('sums')).toEqual([
      { key: 'h1', value: 2, timestamp: 500, headers: { src: 'a' } },
      { key: 'h1', value: 5, timestamp: 700, headers: {} },
      { key: 'h2', value: 1, timestamp: 600, headers: {} },
    ]);
    expect(driver.streamTime()).toBe(700);
    expect(await driver.getKeyValueStore<string, number>('sums').get('h1')).toBe(5);

    await driver.advanceWallClockTime(9_999);
    expect(driver.readOutput('sums')).toEqual([]);
    await driver.advanceWallClockTime(1);
    expect(driver.readOutput('sums')).toEqual([{ key: 'seen', value: 3, timestamp: 11_000, headers: {} }]);
    await driver.close();
  });

  it('dead-letters undecodable bytes and processor exceptions with headers, and keeps going', async () => {
    const driver = new TopologyTestDriver(topology());
    await driver.pipeRawInput('readings', Buffer.from('h1'), Buffer.from('{not json'), 5);
    await driver.pipeInput('readings', 'h1', { host: 'h1', cpu: -1, at: 10 });
    await driver.pipeInput('readings', 'h1', { host: 'h1', cpu: 4, at: 20 });
    const dlq = driver.readOutput<Buffer, Buffer>('readings.dlq');
    expect(dlq).toHaveLength(2);
    expect(dlq[0]?.value.toString()).toBe('{not json');
    expect(dlq[0]?.headers).toMatchObject({
      'x-dlq-source-topic': 'readings',
      'x-dlq-source-partition': '0',
      'x-dlq-source-offset': '0',
      'x-dlq-processor': 'in',
      'x-dlq-reason': 'deserialization',
    });
    expect(dlq[1]?.headers).toMatchObject({
      'x-dlq-source-offset': '1',
      'x-dlq-processor': 'sum',
      'x-dlq-reason': 'processing',
      'x-dlq-error': 'Error: negative cpu',
    });
    expect(driver.readOutput<string, number>('sums').map((r) => r.value)).toEqual([4]);
    expect(driver.metrics.deadLettered).toEqual({ deserialization: 1, validation: 0, processing: 1, timestamp: 0 });
  });

  it('rejects access to a store the processor is not connected to', async () => {
    const t = new Topology('driver-test-2')
      .addSource({ name: 'in', topics: ['x'], keySerde: stringSerde, valueSerde: stringSerde })
      .addProcessor(
        'p',
        () => ({
          process: () => undefined,
          init: (ctx: ProcessorContext) => {
            ctx.getKeyValueStore('nope');
          },
        }),
        ['in'],
      );
    const driver = new TopologyTestDriver(t);
    await expect(driver.pipeInput('x', 'k', 'v', 1)).rejects.toThrow(/not connected/);
  });
});

describe('TopologyTestDriver punctuation', () => {
  it('fires stream-time punctuators once per advance, anchored at the first record', async () => {
    const fired: number[] = [];
    const t = new Topology('driver-punctuate')
      .addSource({ name: 'in', topics: ['x'], keySerde: stringSerde, valueSerde: stringSerde })
      .addProcessor(
        'p',
        () => ({
          init: (ctx: ProcessorContext) => {
            ctx.schedule(100, 'stream-time', (ts) => {
              fired.push(ts);
            });
          },
          process: () => undefined,
        }),
        ['in'],
      );
    const d = new TopologyTestDriver(t);
    await d.pipeInput('x', 'k', 'v', 1_000);
    await d.pipeInput('x', 'k', 'v', 1_050);
    await d.pipeInput('x', 'k', 'v', 1_100);
    await d.pipeInput('x', 'k', 'v', 1_090);
    await d.pipeInput('x', 'k', 'v', 1_450);
    await d.pipeInput('x', 'k', 'v', 1_500);
    expect(fired).toEqual([1_100, 1_450, 1_500]);
    // Wall-clock time does not drive stream-time punctuators.
    await d.advanceWallClockTime(10_000);
    expect(fired).toHaveLength(3);
  });
});

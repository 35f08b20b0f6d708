import { describe, expect, it } from 'vitest';
import { errorHandlersFrom, type RecordErrorHandler } from '../../../streams/runtime/error-handlers.js';
import {
  ConfigError,
  DeserializationFailedError,
  ForeshadowError,
  ProcessingFailedError,
  type RecordFailure,
} from '../../../streams/runtime/errors.js';
import { jsonSerde, stringSerde } from '../../../streams/runtime/serdes.js';
import { Topology } from '../../../streams/runtime/topology.js';
import { TopologyTestDriver } from '../../../streams/testing/topology-test-driver.js';

interface Reading {
  v: number;
  at: number;
}

/** Doubles readings; throws on negative ones; event time from the value. */
function topology(): Topology {
  return new Topology('handlers-test')
    .addSource({
      name: 'in',
      topics: ['readings'],
      keySerde: stringSerde,
      valueSerde: jsonSerde<Reading>(),
      timestampExtractor: (r) => r.value.at,
    })
    .addProcessor<string, Reading>('double', () => {
      let forward: (r: unknown) => void = () => undefined;
      return {
        init: (ctx) => {
          forward = (r) => ctx.forward(r as never);
        },
        process: (r) => {
          if (r.value.v < 0) throw new Error(`negative reading ${r.value.v}`);
          forward(r.withValue(r.value.v * 2));
        },
      };
    }, ['in'])
    .addSink({ name: 'out', topic: 'doubled', keySerde: stringSerde, valueSerde: jsonSerde<number>() }, ['double']);
}

function driver(handlers: {
  processingErrorHandler?: RecordErrorHandler;
  deserializationErrorHandler?: RecordErrorHandler;
}): TopologyTestDriver {
  return new TopologyTestDriver(topology(), handlers);
}

async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (err: unknown) {
    return err;
  }
  throw new Error('expected a rejection');
}

describe('error handlers', () => {
  it('by default dead-letter both kinds of failure and continue', async () => {
    const d = driver({});
    await d.pipeInput('readings', 'a', { v: 1, at: 10 });
    await d.pipeInput('readings', 'b', { v: -1, at: 20 });
    await d.pipeRawInput('readings', Buffer.from('c'), Buffer.from('not json'), 30);
    await d.pipeInput('readings', 'd', { v: 3, at: 40 });
    expect(d.readOutput('doubled').map((r) => r.value)).toEqual([2, 6]);
    const dlq = d.readOutput<Buffer, Buffer>('readings.dlq');
    expect(dlq.map((r) => r.headers['x-dlq-reason'])).toEqual(['processing', 'deserialization']);
    expect(d.metrics.deadLettered).toMatchObject({ processing: 1, deserialization: 1 });
  });

  it("'fail' for processing: the record's error stops the run, named, with where it failed; nothing is dead-lettered", async () => {
    const d = driver({ processingErrorHandler: 'fail' });
    await d.pipeInput('readings', 'a', { v: 1, at: 10 });
    const err = await rejection(d.pipeInput('readings', 'b', { v: -1, at: 20 }));
    expect(err).toBeInstanceOf(ProcessingFailedError);
    const e = err as ProcessingFailedError;
    expect([e.code, e.retriable]).toEqual(['PROCESSING_FAILED', false]);
    expect(e.context).toEqual({
      taskId: '0_0',
      topic: 'readings',
      partition: 0,
      offset: '1',
      processor: 'double',
      reason: 'processing',
    });
    expect((e.cause as Error).message).toBe('negative reading -1');
    expect(d.readOutput('readings.dlq')).toEqual([]);
    // Deserialisation failures still follow their own (default) handler.
    await d.pipeRawInput('readings', null, Buffer.from('{'), 30);
    expect(d.readOutput('readings.dlq')).toHaveLength(1);
  });

  it("'fail' for deserialisation covers bytes, validation and event time, not processing", async () => {
    const d = driver({ deserializationErrorHandler: 'fail' });
    const bytes = await rejection(d.pipeRawInput('readings', null, Buffer.from('not json'), 5));
    expect(bytes).toBeInstanceOf(DeserializationFailedError);
    expect((bytes as DeserializationFailedError).failure).toMatchObject({
      reason: 'deserialization',
      processor: 'in',
      offset: '0',
    });
    const time = await rejection(d.pipeInput('readings', 'a', { v: 1, at: -5 }));
    expect((time as DeserializationFailedError).failure.reason).toBe('timestamp');
    await d.pipeInput('readings', 'b', { v: -1, at: 20 });
    expect(d.readOutput('readings.dlq').map((r) => r.headers['x-dlq-reason'])).toEqual(['processing']);
  });

  it('a function decides per failure: continue dead-letters, fail stops, a throwing handler fails', async () => {
    const seen: RecordFailure[] = [];
    const d = driver({
      processingErrorHandler: (f) => {
        seen.push(f);
        if (f.offset === '0') return 'continue';
        if (f.offset === '2') throw new Error('handler bug');
        return 'fail';
      },
    });
    await d.pipeInput('readings', 'a', { v: -1, at: 10 });
    expect(d.readOutput('readings.dlq')).toHaveLength(1);
    expect(await rejection(d.pipeInput('readings', 'b', { v: -2, at: 20 }))).toBeInstanceOf(ProcessingFailedError);
    expect(await rejection(d.pipeInput('readings', 'c', { v: -3, at: 30 }))).toBeInstanceOf(ProcessingFailedError);
    expect(seen.map((f) => [f.offset, f.processor, f.reason, (f.error as Error).message])).toEqual([
      ['0', 'double', 'processing', 'negative reading -1'],
      ['1', 'double', 'processing', 'negative reading -2'],
      ['2', 'double', 'processing', 'negative reading -3'],
    ]);
  });

  it('never hands an outage to a handler: a retriable error is thrown as it is', async () => {
    const t = new Topology('outage-test')
      .addSource({ name: 'in', topics: ['t'], keySerde: stringSerde, valueSerde: jsonSerde() })
      .addProcessor(
        'p',
        () => ({
          process: () => {
            throw new ForeshadowError('REGISTRY_FAILED', 'registry unreachable', { retriable: true });
          },
        }),
        ['in'],
      );
    let asked = 0;
    const d = new TopologyTestDriver(t, {
      processingErrorHandler: () => {
        asked++;
        return 'continue';
      },
    });
    const err = await rejection(d.pipeInput('t', 'k', { x: 1 }, 1));
    expect((err as ForeshadowError).code).toBe('REGISTRY_FAILED');
    expect(asked).toBe(0);
  });

  it('hands a throwing punctuator to the processing handler: continue counts it, fail stops the run', async () => {
    /** A processor whose wall-clock punctuator throws `error` (once a second). */
    const ticking = (error: () => Error): Topology =>
      new Topology('punctuator-test')
        .addSource({ name: 'in', topics: ['t'], keySerde: stringSerde, valueSerde: jsonSerde() })
        .addProcessor(
          'tick',
          () => ({
            init: (ctx) => {
              ctx.schedule(1_000, 'wall-clock', () => {
                throw error();
              });
            },
            process: () => undefined,
          }),
          ['in'],
        );
    const bug = (): Error => new Error('tick bug');
    const seen: RecordFailure[] = [];
    const going = new TopologyTestDriver(ticking(bug), {
      processingErrorHandler: (f) => {
        seen.push(f);
        return 'continue';
      },
    });
    await going.advanceWallClockTime(1_000);
    await going.advanceWallClockTime(1_000);
    expect(going.metrics.punctuationFailures.get('tick')).toBe(2);
    expect(seen.map((f) => [f.processor, f.punctuation, f.topic, f.partition, (f.error as Error).message])).toEqual([
      ['tick', 'wall-clock', '', -1, 'tick bug'],
      ['tick', 'wall-clock', '', -1, 'tick bug'],
    ]);

    const stopping = new TopologyTestDriver(ticking(bug), { processingErrorHandler: 'fail' });
    const err = await rejection(stopping.advanceWallClockTime(1_000));
    expect(err).toBeInstanceOf(ProcessingFailedError);
    expect((err as Error).message).toBe('processor tick failed in its wall-clock punctuator (Error: tick bug)');

    // An outage is not the handler's: logged, and the punctuator runs again at its next time.
    let asked = 0;
    const outage = new TopologyTestDriver(
      ticking(() => new ForeshadowError('REGISTRY_FAILED', 'registry away', { retriable: true })),
      {
        processingErrorHandler: () => {
          asked++;
          return 'fail';
        },
      },
    );
    await outage.advanceWallClockTime(1_000);
    expect([asked, outage.metrics.punctuationFailures.size]).toEqual([0, 0]);
  });

  it('refuses an unknown handler at start-up, naming the option', () => {
    expect(() => errorHandlersFrom({ processingErrorHandler: 'skip' as RecordErrorHandler })).toThrow(ConfigError);
    expect(() => errorHandlersFrom({ deserializationErrorHandler: 'ignore' as RecordErrorHandler })).toThrow(
      /deserializationErrorHandler must be 'dead-letter', 'fail' or a function, got "ignore"/,
    );
    expect(errorHandlersFrom({})).toEqual({ processing: 'dead-letter', deserialization: 'dead-letter' });
  });
});

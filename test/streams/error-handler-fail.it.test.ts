/**
 * The processing error handler set to 'fail', on the real broker: a processor that throws stops
 * the app with a typed error naming the record, instead of dead-lettering it. Nothing past the
 * failed record is committed (neither its offset nor the outputs of the records behind it), so a
 * restarted app resumes at exactly that record. A wall-clock punctuator that throws stops the app
 * the same way. (The default, dead-letter and continue, is dead-letters.it.test.ts.)
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConnection } from '../../streams/runtime/config.js';
import { ProcessingFailedError } from '../../streams/runtime/errors.js';
import { createLogger } from '../../streams/runtime/logger.js';
import { jsonSerde, stringSerde } from '../../streams/runtime/serdes.js';
import { StreamsApp } from '../../streams/runtime/streams-app.js';
import { StreamsBuilder } from '../../streams/runtime/streams-builder.js';
import { Topology } from '../../streams/runtime/topology.js';
import {
  brokers,
  consumeSettled,
  consumeUntil,
  createTopics,
  registryUrl,
  uniqueName,
  withAdmin,
} from '../support/kafka.js';
import { cleanupApp, produce } from './fixtures/streams-helpers.js';

interface Reading {
  v: number;
}

describe("processing error handler 'fail'", () => {
  const appId = uniqueName('fail-app').replaceAll('.', '-');
  const input = uniqueName('fail-in');
  const output = uniqueName('fail-out');
  let stateDir = '';

  afterAll(async () => {
    await cleanupApp(appId, [input, output]);
    if (stateDir) await rm(stateDir, { recursive: true, force: true });
  });

  it('stops the app at a throwing processor with a ProcessingFailedError and commits nothing past the record', async () => {
    await createTopics([
      { topic: input, numPartitions: 1 },
      { topic: output, numPartitions: 1 },
    ]);
    stateDir = await mkdtemp(join(tmpdir(), 'foreshadow-fail-'));
    const reading = (key: string, v: number): { key: string; value: string; partition: number } => ({
      key,
      value: JSON.stringify({ v }),
      partition: 0,
    });
    await produce(input, [reading('k0', 1), reading('k1', 2)]);

    const b = new StreamsBuilder(appId);
    b.stream(input, { keySerde: stringSerde, valueSerde: jsonSerde<Reading>() })
      .mapValues((r) => {
        if (r.v < 0) throw new Error(`negative reading ${r.v}`);
        return r.v * 2;
      }, 'double')
      .to(output, { keySerde: stringSerde, valueSerde: jsonSerde<number>() });
    let fatal!: (err: unknown) => void;
    const stopped = new Promise<unknown>((resolve) => {
      fatal = resolve;
    });
    const app = new StreamsApp(b.build(), {
      guarantee: 'exactly-once',
      connection: { ...loadConnection(), brokers: brokers(), registryUrl: registryUrl() },
      stateDir,
      logger: createLogger('fail-test', 'silent'),
      processingErrorHandler: 'fail',
      onFatal: (err) => fatal(err),
    });
    await app.start();
    try {
      // The first two records are committed (their outputs are visible read_committed) ...
      const first = await consumeUntil(output, (all) => all.length >= 2, 60_000);
      expect(first.map((m) => m.message.value?.toString())).toEqual(['2', '4']);
      // ... then the third throws, and the fourth is behind it.
      await produce(input, [reading('k2', -1), reading('k3', 3)]);
      const err = await Promise.race([
        stopped,
        new Promise((_, reject) => setTimeout(() => reject(new Error('the app did not stop')), 60_000)),
      ]);

      expect(err).toBeInstanceOf(ProcessingFailedError);
      const e = err as ProcessingFailedError;
      expect(e.code).toBe('PROCESSING_FAILED');
      expect(e.context).toEqual({
        taskId: '0_0',
        topic: input,
        partition: 0,
        offset: '2',
        processor: 'double',
        reason: 'processing',
      });
      expect((e.cause as Error).message).toBe('negative reading -1');
      expect(app.failure).toBe(e);
      expect(app.activeTasks()).toEqual([]);
      const fatalCount = await app.metrics.registry.getSingleMetricAsString('foreshadow_streams_fatal_errors_total');
      expect(fatalCount).toMatch(/ 1$/m);

      // The group's offset stops at the failed record: a restart resumes exactly there.
      const committed = await withAdmin((admin) => admin.fetchOffsets({ groupId: appId, topics: [input] }));
      expect(committed[0]?.partitions[0]?.offset).toBe('2');
      // Nothing of the failed record or the one behind it was written, not even a dead letter.
      const out = await consumeSettled(output, 2, { graceMs: 3_000 });
      expect(out.map((m) => m.message.key?.toString())).toEqual(['k0', 'k1']);
      const dlq = await consumeUntil(`${input}.dlq`, () => false, 3_000);
      expect(dlq).toEqual([]);
    } finally {
      await app.close();
    }
  });
  it('stops the app when a wall-clock punctuator throws, naming the processor and the punctuation', async () => {
    const tickApp = `${appId}-tick`;
    const tickIn = `${input}-tick`;
    await createTopics([{ topic: tickIn, numPartitions: 1 }]);
    const dir = await mkdtemp(join(tmpdir(), 'foreshadow-fail-tick-'));
    const t = new Topology(tickApp)
      .addSource({ name: 'in', topics: [tickIn], keySerde: stringSerde, valueSerde: jsonSerde<Reading>() })
      .addProcessor(
        'tick',
        () => ({
          init: (ctx) => {
            ctx.schedule(500, 'wall-clock', () => {
              throw new Error('tick bug');
            });
          },
          process: () => undefined,
        }),
        ['in'],
      );
    let fatal!: (err: unknown) => void;
    const stopped = new Promise<unknown>((resolve) => {
      fatal = resolve;
    });
    const app = new StreamsApp(t, {
      guarantee: 'exactly-once',
      connection: { ...loadConnection(), brokers: brokers(), registryUrl: registryUrl() },
      stateDir: dir,
      logger: createLogger('fail-tick-test', 'silent'),
      processingErrorHandler: 'fail',
      onFatal: (err) => fatal(err),
    });
    await app.start();
    try {
      await produce(tickIn, [{ key: 'k0', value: JSON.stringify({ v: 1 }), partition: 0 }]);
      const err = await Promise.race([
        stopped,
        new Promise((_, reject) => setTimeout(() => reject(new Error('the app did not stop')), 60_000)),
      ]);
      expect(err).toBeInstanceOf(ProcessingFailedError);
      const e = err as ProcessingFailedError;
      expect(e.failure).toMatchObject({ processor: 'tick', punctuation: 'wall-clock', reason: 'processing' });
      expect((e.cause as Error).message).toBe('tick bug');
      expect(app.activeTasks()).toEqual([]);
    } finally {
      await app.close();
      await cleanupApp(tickApp, [tickIn]);
      await rm(dir, { recursive: true, force: true });
    }
  });
});

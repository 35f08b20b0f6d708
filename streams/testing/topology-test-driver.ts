/**
 * TopologyTestDriver: runs a topology in memory, one record at a time, with an explicit wall clock
 * and readable stores — for unit tests of processors and DSL topologies (no broker).
 *
 * Usage:
 *   const driver = new TopologyTestDriver(topology, { initialWallClockMs: 0 });
 *   await driver.pipeInput('metrics.samples', 'host-1', sample, 1_000, { 'x-src': 'agent' });
 *   await driver.advanceWallClockTime(60_000);           // fires wall-clock punctuators
 *   const out = driver.readOutput<string, Baseline>('host.baselines'); // [{ key, value, timestamp, headers }]
 *   const kv = driver.getKeyValueStore<string, State>('host-baseline-state');
 *   expect(await kv.get('host-1')).toEqual(...);
 *   driver.readOutput<Buffer | null, Buffer | null>('metrics.samples.dlq'); // dead letters (raw bytes + x-dlq-* headers)
 *   driver.readOutput('<applicationId>.late');           // late records (raw bytes + x-late-* headers)
 *   await driver.pipeRawInput('metrics.samples', null, Buffer.from('not avro'), 5); // bad bytes
 *
 * Semantics match the Kafka runner: a single task (partition 0) owns every store; records written to
 * a topic the topology also reads (repartition topics) are fed back in after the current record;
 * stores are committed (changelog serialised, byte store written) after every input. `readOutput`
 * drains what it returns. Sinks with a serde return the objects the processors forwarded; topics
 * without a sink (dead letters, late records) return raw Buffers.
 */

import type { DeadLetterReason } from '../runtime/dead-letter.js';
import { errorHandlersFrom, type RecordErrorHandler } from '../runtime/error-handlers.js';
import { ForeshadowError } from '../runtime/errors.js';
import type { Headers } from '../runtime/record.js';
import { StreamTask } from '../runtime/task.js';
import type { OutgoingRecord, TaskMetricsSink } from '../runtime/task-io.js';
import type { Topology } from '../runtime/topology.js';
import { MemoryBytesStore } from '../state/bytes-store.js';
import { createManagedStore, type ManagedStore } from '../state/managed-store.js';
import type { KeyValueStore, WindowStore } from '../state/store.js';

export interface TestOutputRecord<K, V> {
  key: K;
  value: V;
  timestamp: number;
  headers: Headers;
  /** The partition a custom partitioner chose, when the sink has one. */
  partition?: number;
}

export interface TopologyTestDriverOptions {
  initialWallClockMs?: number;
  /** Partition counts reported to custom partitioners (default 1). */
  partitionCounts?: Record<string, number>;
  /** As StreamsAppOptions.maxEventTimeAheadMs, against the driver's wall clock (default: no bound). */
  maxEventTimeAheadMs?: number;
  /** As StreamsAppOptions: `'fail'` makes `pipeInput` reject with a ProcessingFailedError. */
  processingErrorHandler?: RecordErrorHandler;
  /** As StreamsAppOptions: `'fail'` makes `pipeInput` reject with a DeserializationFailedError. */
  deserializationErrorHandler?: RecordErrorHandler;
}

export interface TestDriverMetrics {
  recordsIn: Map<string, number>;
  recordsOut: Map<string, number>;
  late: number;
  deadLettered: Record<DeadLetterReason, number>;
  /** Punctuator runs that threw and were let go, by processor. */
  punctuationFailures: Map<string, number>;
  /** Decision records emitted, by `topic decision outcome` (the runner counts them at commit). */
  decisions: Map<string, number>;
}

export class TopologyTestDriver {
  private wallClock: number;
  private readonly outputs = new Map<string, TestOutputRecord<unknown, unknown>[]>();
  private readonly offsets = new Map<string, bigint>();
  private readonly stores = new Map<string, ManagedStore>();
  private readonly task: StreamTask;
  private started: Promise<void> | undefined;
  private feedback: OutgoingRecord[] = [];
  readonly metrics: TestDriverMetrics = {
    recordsIn: new Map(),
    recordsOut: new Map(),
    late: 0,
    deadLettered: { deserialization: 0, validation: 0, processing: 0, timestamp: 0 },
    punctuationFailures: new Map(),
    decisions: new Map(),
  };

  constructor(
    readonly topology: Topology,
    options: TopologyTestDriverOptions = {},
  ) {
    this.wallClock = options.initialWallClockMs ?? 0;
    for (const spec of topology.storeSpecs()) {
      this.stores.set(spec.name, createManagedStore(spec, new MemoryBytesStore()));
    }
    const m = this.metrics;
    const bump = (map: Map<string, number>, k: string): void => {
      map.set(k, (map.get(k) ?? 0) + 1);
    };
    const metrics: TaskMetricsSink = {
      recordIn: (p) => bump(m.recordsIn, p),
      recordOut: (p) => bump(m.recordsOut, p),
      late: () => {
        m.late++;
      },
      deadLetter: (reason) => {
        m.deadLettered[reason]++;
      },
      punctuationFailed: (p) => bump(m.punctuationFailures, p),
    };
    this.task = new StreamTask({
      topology,
      taskId: '0_0',
      partition: 0,
      stores: this.stores,
      hooks: {
        emit: (r) => this.collect(r),
        wallClock: () => this.wallClock,
        partitionCount: (t) => options.partitionCounts?.[t] ?? 1,
        ...(options.maxEventTimeAheadMs === undefined ? {} : { maxEventTimeAheadMs: options.maxEventTimeAheadMs }),
        metrics,
        errorHandlers: errorHandlersFrom(options),
      },
    });
  }

  private start(): Promise<void> {
    this.started ??= this.task.init();
    return this.started;
  }

  private collect(r: OutgoingRecord): void {
    if (r.decision) {
      const k = `${r.topic} ${r.decision.decision} ${r.decision.outcome}`;
      this.metrics.decisions.set(k, (this.metrics.decisions.get(k) ?? 0) + 1);
    }
    const list = this.outputs.get(r.topic) ?? [];
    const typed = r.typed ?? { key: r.key, value: r.value };
    const rec: TestOutputRecord<unknown, unknown> = {
      key: typed.key,
      value: typed.value,
      timestamp: r.timestamp,
      headers: r.headers,
    };
    if (r.partition !== undefined) rec.partition = r.partition;
    list.push(rec);
    this.outputs.set(r.topic, list);
    if (this.topology.sourceForTopic(r.topic)) this.feedback.push(r);
  }

  /** Serialise with the source's serdes and process, as if the record arrived from Kafka. */
  async pipeInput<K, V>(topic: string, key: K, value: V, timestamp?: number, headers: Headers = {}): Promise<void> {
    const source = this.topology.sourceForTopic(topic);
    if (!source) throw new ForeshadowError('CONFIG_INVALID', `no source reads topic ${topic}`);
    const k = key === null || key === undefined ? null : await source.spec.keySerde.serialize(topic, key);
    const v = value === null || value === undefined ? null : await source.spec.valueSerde.serialize(topic, value);
    await this.pipeRawInput(topic, k, v, timestamp, headers);
  }

  /** Process raw bytes (to test dead letters of undecodable records). */
  async pipeRawInput(
    topic: string,
    key: Buffer | null,
    value: Buffer | null,
    timestamp: number = this.wallClock,
    headers: Headers = {},
  ): Promise<void> {
    await this.start();
    await this.processOne(topic, key, value, timestamp, headers);
    // Repartitioned records come back in the order they were written, like a one-partition topic.
    while (this.feedback.length > 0) {
      const r = this.feedback.shift()!;
      await this.processOne(r.topic, r.key, r.value, r.timestamp, r.headers);
    }
  }

  private async processOne(
    topic: string,
    key: Buffer | null,
    value: Buffer | null,
    timestamp: number,
    headers: Headers,
  ): Promise<void> {
    const offset = this.offsets.get(topic) ?? 0n;
    this.offsets.set(topic, offset + 1n);
    await this.task.process({
      topic,
      partition: 0,
      offset: String(offset),
      key,
      value,
      timestamp,
      headers: { ...headers },
    });
    await this.task.prepareCommit();
    await this.task.applyCommit();
  }

  /** Move the wall clock forward and fire the wall-clock punctuators that became due. */
  async advanceWallClockTime(ms: number): Promise<void> {
    await this.start();
    this.wallClock += ms;
    await this.task.punctuate('wall-clock', this.wallClock);
    while (this.feedback.length > 0) {
      const r = this.feedback.shift()!;
      await this.processOne(r.topic, r.key, r.value, r.timestamp, r.headers);
    }
    await this.task.prepareCommit();
    await this.task.applyCommit();
  }

  wallClockTime(): number {
    return this.wallClock;
  }

  streamTime(): number {
    return this.task.streamTime;
  }

  /** Records written to `topic` since the last read (drained). */
  readOutput<K = unknown, V = unknown>(topic: string): TestOutputRecord<K, V>[] {
    const list = this.outputs.get(topic) ?? [];
    this.outputs.set(topic, []);
    return list as TestOutputRecord<K, V>[];
  }

  /** Topics that received output, for assertions that nothing unexpected was written. */
  outputTopics(): string[] {
    return [...this.outputs.entries()].filter(([, l]) => l.length > 0).map(([t]) => t);
  }

  getKeyValueStore<K, V>(name: string): KeyValueStore<K, V> {
    const s = this.stores.get(name);
    if (s?.spec.kind !== 'key-value') throw new ForeshadowError('STORE_FAILED', `no key-value store "${name}"`);
    return s as unknown as KeyValueStore<K, V>;
  }

  getWindowStore<K, V>(name: string): WindowStore<K, V> {
    const s = this.stores.get(name);
    if (s?.spec.kind !== 'window') throw new ForeshadowError('STORE_FAILED', `no window store "${name}"`);
    return s as unknown as WindowStore<K, V>;
  }

  async close(): Promise<void> {
    await this.task.closeProcessors();
    for (const s of this.stores.values()) await s.close();
  }
}

/**
 * The task engine: one instance per input partition, shared by the Kafka runner and the
 * TopologyTestDriver so both execute a topology identically. It deserialises raw records, extracts
 * event time, advances stream time, runs the processor graph depth-first in forward order, fires
 * punctuators, and hands failed records to the error handlers (dead letter, or stop). It never
 * talks to Kafka: outputs go to `TaskHooks.emit`, and the runner decides when and how (transaction
 * or not) they are committed.
 */

import type { ChangelogEntry, ManagedStore } from '../state/managed-store.js';
import type { PrefetchInput } from '../state/store-spec.js';
import { type DeadLetterReason, deadLetterRecord } from './dead-letter.js';
import { DEFAULT_ERROR_HANDLERS, recordFailedError, respond } from './error-handlers.js';
import { describeError, ForeshadowError, isRetriable } from './errors.js';
import { lateRecord } from './late-records.js';
import { NodeContext, type RuntimeNode } from './node-context.js';
import type { LateInfo, PunctuationType } from './processor.js';
import { fires } from './punctuation.js';
import { StreamRecord } from './record.js';
import type { RawRecord, TaskHooks } from './task-io.js';
import type { SinkNode, Topology } from './topology.js';

/**
 * How far ahead of the wall clock an event time may be: the broker's default
 * `log.message.timestamp.after.max.ms` (1 h since Kafka 4.0). Record validators share the bound.
 */
export const DEFAULT_MAX_EVENT_TIME_AHEAD_MS = 3_600_000;

export interface StreamTaskOptions {
  topology: Topology;
  taskId: string;
  partition: number;
  stores: Map<string, ManagedStore>;
  hooks: TaskHooks;
  /** Stream time at the last commit, so a rewound or moved task judges lateness as before. */
  initialStreamTime?: number;
}

export class StreamTask {
  readonly topology: Topology;
  readonly taskId: string;
  readonly partition: number;
  readonly stores: Map<string, ManagedStore>;
  readonly hooks: TaskHooks;
  streamTime: number;
  currentRaw: RawRecord | undefined;
  private currentNode: string | undefined;
  private readonly runtime = new Map<string, RuntimeNode>();
  private initialised = false;
  /** Highest offset processed per topic, for the next commit. */
  readonly positions = new Map<string, bigint>();

  constructor(options: StreamTaskOptions) {
    this.topology = options.topology;
    this.taskId = options.taskId;
    this.partition = options.partition;
    this.stores = options.stores;
    this.hooks = options.hooks;
    this.streamTime = options.initialStreamTime ?? -1;
  }

  async init(): Promise<void> {
    for (const node of this.topology.processorOrder()) {
      let rt: RuntimeNode | undefined;
      const context = new NodeContext(this, () => rt!);
      rt = { node, processor: node.supplier(), context, pending: [], schedules: [] };
      this.runtime.set(node.name, rt);
    }
    for (const rt of this.runtime.values()) {
      this.currentNode = rt.node.name;
      await rt.processor.init?.(rt.context);
      await this.drain(rt);
    }
    this.currentNode = undefined;
    this.initialised = true;
  }

  /**
   * Process one raw record. Bad data never throws unless its error handler answers `fail` (then a
   * RecordFailedError); retriable errors (an outage) are thrown for the runner to retry.
   */
  async process(raw: RawRecord): Promise<void> {
    if (!this.initialised) throw new ForeshadowError('PROCESSING_FAILED', `task ${this.taskId} is not initialised`);
    this.positions.set(raw.topic, BigInt(raw.offset));
    const source = this.topology.sourceForTopic(raw.topic);
    if (!source) throw new ForeshadowError('PROCESSING_FAILED', `no source reads topic ${raw.topic}`);
    this.currentRaw = raw;
    try {
      let key: unknown;
      let value: unknown;
      try {
        // Awaiting only real promises: string/JSON serdes are synchronous, and each needless await
        // is a microtask hop per record.
        key = raw.key === null ? null : source.spec.keySerde.deserialize(raw.topic, raw.key);
        if (key instanceof Promise) key = await key;
        value = raw.value === null ? null : source.spec.valueSerde.deserialize(raw.topic, raw.value);
        if (value instanceof Promise) value = await value;
      } catch (err: unknown) {
        // An outage (e.g. the registry unreachable) is not the record's fault: never dead-letter it.
        if (isRetriable(err)) throw err;
        const absurd = err instanceof ForeshadowError && err.code === 'VALIDATION_FAILED';
        this.failed(raw, source.name, absurd ? 'validation' : 'deserialization', err);
        return;
      }
      let ts = raw.timestamp;
      if (source.spec.timestampExtractor) {
        try {
          ts = source.spec.timestampExtractor({
            key,
            value,
            timestamp: raw.timestamp,
            headers: raw.headers,
            topic: raw.topic,
            partition: raw.partition,
          });
        } catch (err: unknown) {
          this.failed(raw, source.name, 'timestamp', err);
          return;
        }
      }
      if (!Number.isFinite(ts) || ts < 0) {
        this.failed(raw, source.name, 'timestamp', new Error(`invalid event time ${ts}`));
        return;
      }
      const ahead = this.hooks.maxEventTimeAheadMs;
      if (ahead !== undefined && ts > this.hooks.wallClock() + ahead) {
        const msg = `event time ${ts} is more than ${ahead} ms ahead of the clock (the broker would refuse its outputs)`;
        this.failed(raw, source.name, 'timestamp', new Error(msg));
        return;
      }
      if (ts > this.streamTime) this.streamTime = ts;
      const record = new StreamRecord<unknown, unknown>(key, value, ts, raw.headers);
      try {
        this.hooks.metrics?.recordIn(source.name);
        for (const child of source.children) await this.deliver(child, record);
      } catch (err: unknown) {
        for (const rt of this.runtime.values()) rt.pending = [];
        if (isRetriable(err)) throw err;
        this.failed(raw, this.currentNode ?? source.name, 'processing', err);
      }
      await this.punctuate('stream-time', this.streamTime);
    } finally {
      this.currentRaw = undefined;
      this.currentNode = undefined;
    }
  }

  private async deliver(name: string, record: StreamRecord<unknown, unknown>): Promise<void> {
    const rt = this.runtime.get(name);
    if (rt) {
      this.currentNode = name;
      this.hooks.metrics?.recordIn(name);
      await rt.processor.process(record);
      await this.drain(rt);
      return;
    }
    const node = this.topology.node(name);
    if (node?.kind === 'sink') await this.sink(node, record);
  }

  private async drain(rt: RuntimeNode): Promise<void> {
    while (rt.pending.length > 0) {
      const batch = rt.pending;
      rt.pending = [];
      for (const p of batch) {
        this.hooks.metrics?.recordOut(rt.node.name);
        if (p.child !== undefined) await this.deliver(p.child, p.record);
        else for (const c of rt.node.children) await this.deliver(c, p.record);
      }
    }
  }

  private async sink(node: SinkNode, record: StreamRecord<unknown, unknown>): Promise<void> {
    const spec = node.spec;
    this.currentNode = node.name;
    let key = record.key === null || record.key === undefined ? null : spec.keySerde.serialize(spec.topic, record.key);
    if (key instanceof Promise) key = await key;
    let value =
      record.value === null || record.value === undefined ? null : spec.valueSerde.serialize(spec.topic, record.value);
    if (value instanceof Promise) value = await value;
    let partition: number | undefined;
    if (spec.partitioner) {
      const count = this.hooks.partitionCount(spec.topic);
      if (count !== undefined) partition = spec.partitioner(record.key, record.value, count);
    }
    this.hooks.metrics?.recordIn(node.name);
    const decision =
      spec.decision && record.value !== null && record.value !== undefined
        ? spec.decision(record.key, record.value)
        : undefined;
    this.hooks.emit({
      topic: spec.topic,
      partition,
      key,
      value,
      timestamp: record.timestamp,
      headers: { ...record.headers },
      typed: this.hooks.keepTyped === false ? undefined : { key: record.key, value: record.value },
      ...(decision ? { decision } : {}),
    });
  }

  /** A record failed: its error handler decides between a dead letter and stopping here. */
  private failed(raw: RawRecord, processor: string, reason: DeadLetterReason, error: unknown): void {
    const failure = {
      taskId: this.taskId,
      topic: raw.topic,
      partition: raw.partition,
      offset: raw.offset,
      processor,
      reason,
      error,
    };
    if (respond(this.hooks.errorHandlers ?? DEFAULT_ERROR_HANDLERS, failure) === 'fail') {
      throw recordFailedError(failure);
    }
    this.hooks.metrics?.deadLetter(reason);
    this.hooks.log?.('warn', 'record dead-lettered', {
      taskId: this.taskId,
      topic: raw.topic,
      partition: raw.partition,
      offset: raw.offset,
      processor,
      reason,
      error: describeError(error),
    });
    this.hooks.emit(deadLetterRecord(raw, this.topology.applicationId, processor, reason, error));
  }

  reportLate(processor: string, info: LateInfo): void {
    const raw = this.currentRaw;
    if (!raw) return;
    this.hooks.metrics?.late();
    this.hooks.emit(lateRecord(raw, processor, info, this.streamTime, this.topology.lateTopic()));
  }

  /** Fire due punctuators of one type; the Kafka runner and the driver call this for wall-clock. */
  async punctuate(type: PunctuationType, now: number): Promise<void> {
    if (now < 0) return;
    for (const rt of this.runtime.values()) {
      if (rt.schedules.length === 0) continue;
      rt.schedules = rt.schedules.filter((s) => !s.cancelled);
      for (const s of rt.schedules) {
        if (s.type !== type || !fires(s, now)) continue;
        this.currentNode = rt.node.name;
        try {
          await s.callback(now);
          await this.drain(rt);
        } catch (err: unknown) {
          rt.pending = [];
          this.punctuatorFailed(rt.node.name, type, err);
        } finally {
          this.currentNode = undefined;
        }
      }
    }
  }

  /**
   * A punctuator threw. An outage is logged and the punctuator runs again at its next time (the
   * runtime's punctuators are idempotent rounds); any other error goes to the processing error
   * handler, as a record's would: `fail` stops the app, `continue` logs and counts it (there is
   * no record to dead-letter).
   */
  private punctuatorFailed(processor: string, type: PunctuationType, error: unknown): void {
    const fields = { taskId: this.taskId, processor, punctuation: type, error: describeError(error) };
    if (!isRetriable(error)) {
      const failure = {
        taskId: this.taskId,
        topic: '',
        partition: -1,
        offset: '',
        processor,
        reason: 'processing' as const,
        error,
        punctuation: type,
      };
      if (respond(this.hooks.errorHandlers ?? DEFAULT_ERROR_HANDLERS, failure) === 'fail')
        throw recordFailedError(failure);
      this.hooks.metrics?.punctuationFailed(processor);
    }
    this.hooks.log?.('error', 'punctuator failed', fields);
  }

  /**
   * Reads ahead, one round trip per store, the state these upcoming records will need (as each
   * store's spec guesses it from the raw record), so their processing finds it in memory.
   */
  async prefetch(records: readonly PrefetchInput[]): Promise<void> {
    await Promise.all([...this.stores.values()].map((s) => s.prefetch(records)));
  }

  /** Whether any store guesses what to read ahead (the runner skips `prefetch` otherwise). */
  readsAhead(): boolean {
    for (const { spec } of this.stores.values())
      if (spec.kind === 'key-value' ? spec.prefetchKey : spec.prefetchWindow) return true;
    return false;
  }

  /** Writes held in the stores' write caches until the next commit. */
  uncommittedWrites(): number {
    let n = 0;
    for (const s of this.stores.values()) n += s.dirtyCount();
    return n;
  }

  /** Commit step 1 for every store with something to commit (window stores: retention too). */
  async prepareCommit(): Promise<{ store: string; entries: ChangelogEntry[] }[]> {
    const out: { store: string; entries: ChangelogEntry[] }[] = [];
    for (const [name, s] of this.stores) {
      if (s.dirtyCount() === 0 && s.spec.kind === 'key-value') continue;
      const entries = await s.prepareCommit();
      if (entries.length > 0 && s.spec.changelog) out.push({ store: name, entries });
    }
    return out;
  }

  /** Commit step 3, once the commit went through: the stores prepared in step 1 write it. */
  async applyCommit(): Promise<void> {
    for (const s of this.stores.values()) if (s.phase === 'prepared') await s.applyCommit();
  }

  abort(): void {
    for (const s of this.stores.values()) s.abort();
    for (const rt of this.runtime.values()) rt.pending = [];
    this.positions.clear();
  }

  /** Close processors; stores are closed by their owner (the runner keeps them across rewinds). */
  async closeProcessors(): Promise<void> {
    for (const rt of this.runtime.values()) {
      try {
        await rt.processor.close?.();
      } catch (err: unknown) {
        this.hooks.log?.('warn', 'processor close failed', { processor: rt.node.name, error: describeError(err) });
      }
    }
    this.runtime.clear();
    this.initialised = false;
  }
}

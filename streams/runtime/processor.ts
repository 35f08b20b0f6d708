/**
 * The Processor API: the small contract every domain processor implements and every runtime
 * (the Kafka task runner and the in-memory TopologyTestDriver) drives the same way.
 *
 * Life cycle: `init(context)` once per task after its stores are restored, `process(record)` per
 * input record in offset order, punctuators as scheduled, `close()` when the task is revoked or the
 * process stops. Output leaves a processor only through `context.forward`.
 */

import type { KeyValueStore, WindowStore } from '../state/store.js';
import type { StreamRecord } from './record.js';

/** Where the current record came from; absent inside punctuators. */
export interface RecordMetadata {
  topic: string;
  partition: number;
  offset: string;
}

/** Why a record was late, written as `x-late-*` headers on the late-records topic. */
export interface LateInfo {
  windowStart?: number;
  windowEnd?: number;
  reason?: string;
}

export type PunctuationType = 'stream-time' | 'wall-clock';

export interface Cancellable {
  cancel(): void;
}

export interface ProcessorContext<KOut = unknown, VOut = unknown> {
  /** Application id: prefixes internal topics and consumer group. */
  readonly applicationId: string;
  /** Task id, e.g. "0_3" (sub-topology 0, partition 3). */
  readonly taskId: string;
  /** Metadata of the record being processed, undefined inside a punctuator. */
  recordMetadata(): RecordMetadata | undefined;
  /** Highest event time seen by this task (stream time), -1 before the first record. */
  streamTime(): number;
  /** Current wall-clock time; the test driver controls it. */
  wallClockTime(): number;
  /**
   * Send a record downstream. With `childName` only that child receives it (used by branch);
   * otherwise every child does. Sinks write it to their topic in the task's transaction.
   */
  forward<K extends KOut, V extends VOut>(record: StreamRecord<K, V>, childName?: string): void;
  getKeyValueStore<K, V>(name: string): KeyValueStore<K, V>;
  getWindowStore<K, V>(name: string): WindowStore<K, V>;
  /**
   * Count the current input record as late (beyond a window's grace) and copy its original bytes to
   * the late-records topic `<applicationId>.late`. No-op inside a punctuator.
   */
  reportLate(info: LateInfo): void;
  /** Run `callback(timestamp)` every `intervalMs` of stream time or of wall-clock time. */
  schedule(
    intervalMs: number,
    type: PunctuationType,
    callback: (timestamp: number) => void | Promise<void>,
  ): Cancellable;
}

export interface Processor<KIn, VIn, KOut = unknown, VOut = unknown> {
  init?(context: ProcessorContext<KOut, VOut>): void | Promise<void>;
  process(record: StreamRecord<KIn, VIn>): void | Promise<void>;
  close?(): void | Promise<void>;
}

export type ProcessorSupplier<KIn, VIn, KOut = unknown, VOut = unknown> = () => Processor<KIn, VIn, KOut, VOut>;

/**
 * What goes into and out of a task (task.ts): raw records as read from Kafka, records to produce,
 * and the hooks through which the runner (or the test driver) gives the task its clock, its output
 * channel, metrics, logging and error policies. The task itself never talks to Kafka.
 */
import type { DeadLetterReason } from './dead-letter.js';
import type { ErrorHandlers } from './error-handlers.js';
import type { DecisionLabels } from './topology.js';

/** A record as read from Kafka, bytes untouched. */
export interface RawRecord {
  topic: string;
  partition: number;
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  timestamp: number;
  headers: Record<string, string>;
}

/** A record to produce; `typed` carries the sink's objects for the test driver. */
export interface OutgoingRecord {
  topic: string;
  partition?: number;
  key: Buffer | null;
  value: Buffer | null;
  timestamp: number;
  headers: Record<string, string>;
  typed?: { key: unknown; value: unknown };
  /** The sink's decision labels, counted when the record is committed. */
  decision?: DecisionLabels;
}

export interface TaskMetricsSink {
  recordIn(processor: string): void;
  recordOut(processor: string): void;
  late(): void;
  deadLetter(reason: DeadLetterReason): void;
  /** A punctuator threw and the processing error handler let the app go on. */
  punctuationFailed(processor: string): void;
}

export interface TaskHooks {
  emit(record: OutgoingRecord): void;
  wallClock(): number;
  /** Partition count of an output topic, for sinks with a custom partitioner. */
  partitionCount(topic: string): number | undefined;
  metrics?: TaskMetricsSink;
  /**
   * Event times further than this ahead of `wallClock()` are dead-lettered (reason `timestamp`).
   * Brokers refuse records stamped too far in the future (`log.message.timestamp.after.max.ms`,
   * 1 h by default since Kafka 4.0): an output carrying such an event time would fail its commit
   * on every retry and hold up the partition for ever. Unset: no bound (the test driver).
   */
  maxEventTimeAheadMs?: number;
  /** Attach the typed key/value to emitted records (the test driver reads them; Kafka does not). */
  keepTyped?: boolean;
  /** What a failed record leads to (default: dead-letter it and continue, for both kinds). */
  errorHandlers?: ErrorHandlers;
  log?: (level: 'warn' | 'error' | 'info', msg: string, fields: Record<string, unknown>) => void;
}

/**
 * What a StreamsApp is told (`StreamsAppOptions`) and what it runs with (`RuntimeSettings`: the
 * options with their defaults applied, checked at construction with errors naming the field).
 */
import type { RocksDbTuning } from '../../state/rocksdb-store.js';
import type { KafkaConnection } from '../config.js';
import { type ErrorHandlers, errorHandlersFrom, type RecordErrorHandler } from '../error-handlers.js';
import { ConfigError } from '../errors.js';
import type { Logger } from '../logger.js';
import { DEFAULT_SEND_LIMITS, type SendLimits } from '../send-chunks.js';
import { DEFAULT_MAX_EVENT_TIME_AHEAD_MS } from '../task.js';
import type { Topology } from '../topology.js';

export type Guarantee = 'exactly-once' | 'at-least-once';

const GUARANTEES: readonly Guarantee[] = ['exactly-once', 'at-least-once'];

export interface StreamsAppOptions {
  guarantee: Guarantee;
  /** Connection settings; default from the environment (`loadConnection`). */
  connection?: KafkaConnection;
  /** State directory; default the connection's FORESHADOW_STATE_DIR. */
  stateDir?: string;
  /**
   * Default 100 ms for both guarantees: outputs leave at commit, so the interval bounds latency
   * (at-least-once at 1 s: p99 1,226 ms at 2k samples/s; at 100 ms: 449 ms, throughput unchanged).
   */
  commitIntervalMs?: number;
  /** How often wall-clock punctuators and idle commits are checked (default 250 ms). */
  tickMs?: number;
  sessionTimeoutMs?: number;
  heartbeatIntervalMs?: number;
  /** Commit and close on SIGTERM/SIGINT, then exit (default false: the caller decides). */
  handleSignals?: boolean;
  /** Serve Prometheus metrics on this port. */
  metricsPort?: number;
  logger?: Logger;
  /** Unique per process; defaults to a random id (names the client). */
  instanceId?: string;
  /** Partitions of the internal topics when no source topic exists yet to copy from. */
  defaultPartitions?: number;
  /**
   * Bounds of one produce call (messages, estimated bytes). Keep `maxBytes` under the broker's
   * `message.max.bytes`; default 500 messages / 768 KiB.
   */
  sendLimits?: Partial<SendLimits>;
  /**
   * Records whose event time is further ahead of the wall clock are dead-lettered (default 1 h,
   * the broker's default `log.message.timestamp.after.max.ms`; keep it at most the broker's value).
   */
  maxEventTimeAheadMs?: number;
  /**
   * How often (per repartition topic partition) records below the committed offset are deleted
   * (admin `deleteTopicRecords`, default 30 s). Repartition topics keep records for ever (`retention.ms=-1`):
   * they carry event times as timestamps, and time-based retention would delete replayed history
   * before it is consumed; the purge is what bounds them.
   */
  repartitionPurgeIntervalMs?: number;
  /**
   * A task commits early, mid-batch, once its stores hold this many uncommitted writes (default:
   * the topology's `maxUncommittedWrites`, else 10,000). Uncommitted state is kept as objects until
   * the commit, so topologies with large values set a lower bound (see `Topology.limitUncommittedWrites`);
   * each early commit stalls the task for a round trip, so small values are better served by a high one.
   */
  maxUncommittedWrites?: number;
  /** Memory knobs of the RocksDB databases behind persistent stores (see `RocksDbTuning`). */
  rocksDb?: RocksDbTuning;
  /**
   * Where a source partition without a committed offset starts: its earliest record (default) or
   * its end offset when `start()` was called ('latest': a new deployment acts on what happens from
   * now on, without replaying retained history). The start offsets are committed with the task's
   * first commit, so a restart before any record arrived does not skip what came in between.
   */
  startAt?: 'earliest' | 'latest';
  /**
   * What a record whose processing throws leads to (see error-handlers.ts): `'dead-letter'`
   * (default: `<source>.dlq`, reason `processing`, and go on), `'fail'` (the app stops at the record
   * with a ProcessingFailedError, committing nothing past it; then `onFatal`), or a function
   * answering `'continue'` or `'fail'`.
   */
  processingErrorHandler?: RecordErrorHandler;
  /** As `processingErrorHandler`, for records that cannot be read (bytes, validation, event time). */
  deserializationErrorHandler?: RecordErrorHandler;
  /** Test hook: return true to make a commit fail after sending, before committing (abort path). */
  failCommit?: (taskId: string) => boolean;
  /**
   * Called once the app has stopped for good on an error it cannot recover from (the consumer
   * crashed on a non-retriable error: lost authorisation, an unusable state directory…; or an
   * error handler answered `fail`), after its tasks were closed without committing. Default: exit
   * the process with code 1 when `handleSignals` is set (the app owns the process, so its
   * supervisor restarts it), otherwise nothing beyond the error log and `failure`. An app must
   * never sit idle in a live process.
   */
  onFatal?: (err: unknown) => void;
}

/** The options a running app uses, defaults applied. */
export interface RuntimeSettings {
  guarantee: Guarantee;
  /** Exactly-once: one transactional producer per task. */
  eos: boolean;
  stateDir: string;
  commitIntervalMs: number;
  tickMs: number;
  sessionTimeoutMs: number;
  heartbeatIntervalMs: number;
  defaultPartitions: number;
  sendLimits: SendLimits;
  maxEventTimeAheadMs: number;
  repartitionPurgeIntervalMs: number;
  maxUncommittedWrites: number;
  rocksDb: RocksDbTuning | undefined;
  errorHandlers: ErrorHandlers;
  failCommit: ((taskId: string) => boolean) | undefined;
}

export function resolveSettings(
  topology: Topology,
  options: StreamsAppOptions,
  connection: KafkaConnection,
): RuntimeSettings {
  if (!GUARANTEES.includes(options.guarantee)) {
    throw new ConfigError(
      `guarantee must be one of ${GUARANTEES.join(', ')}, got ${JSON.stringify(options.guarantee)}`,
      {
        field: 'guarantee',
      },
    );
  }
  return {
    guarantee: options.guarantee,
    eos: options.guarantee === 'exactly-once',
    stateDir: options.stateDir ?? connection.stateDir,
    commitIntervalMs: options.commitIntervalMs ?? 100,
    tickMs: options.tickMs ?? 250,
    sessionTimeoutMs: options.sessionTimeoutMs ?? 10_000,
    heartbeatIntervalMs: options.heartbeatIntervalMs ?? 1_000,
    defaultPartitions: options.defaultPartitions ?? 1,
    sendLimits: { ...DEFAULT_SEND_LIMITS, ...options.sendLimits },
    maxEventTimeAheadMs: options.maxEventTimeAheadMs ?? DEFAULT_MAX_EVENT_TIME_AHEAD_MS,
    repartitionPurgeIntervalMs: options.repartitionPurgeIntervalMs ?? 30_000,
    maxUncommittedWrites: options.maxUncommittedWrites ?? topology.maxUncommittedWrites ?? 10_000,
    rocksDb: options.rocksDb,
    errorHandlers: errorHandlersFrom(options),
    failCommit: options.failCommit,
  };
}

/**
 * StreamsApp: runs a Topology on Kafka (kafkajs). Consumer group = application id; one task per
 * input partition number (co-partitioned assignor), each with its own stores under
 * `<stateDir>/<applicationId>/<taskId>/`, restored from `<applicationId>-<store>-changelog`.
 *
 * Commit, every `commitIntervalMs`, per task, in numbered steps:
 *   1. serialise the stores' write caches into changelog records;
 *   2. send outputs + changelog records, then the input offsets (with stream time as metadata):
 *      exactly-once: in one transaction of the task's transactional producer (`<appId>-<taskId>`),
 *      at-least-once: a plain send, then an offset commit;
 *   3. only then write the cached changes to RocksDB and the changelog offset to the checkpoint.
 * If step 2 fails the transaction is aborted and the task is dropped: RocksDB still holds the last
 * committed state, the consumer is rewound to the committed offsets, and the next batch recreates
 * the task (restoring just the changelog tail after its checkpoint). A new owner's transactional
 * producer fences a zombie before it restores, and records below the committed offset are skipped.
 *
 * Usage:
 *   const app = new StreamsApp(topology, { guarantee: 'exactly-once', handleSignals: true, metricsPort: 9464 });
 *   await app.start();   // resolves once consuming; SIGTERM then commits, closes and exits 0
 * Internal topics it creates (same partition count as the inputs): `<appId>-<store>-changelog`
 * (compacted), `<appId>-<name>-repartition`, `<source>.dlq`, `<appId>.late`.
 */
import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import { join } from 'node:path';
import {
  type Admin,
  type Consumer,
  type EachBatchPayload,
  type IHeaders,
  type Kafka,
  type Message,
  Partitioners,
  type Producer,
  type RecordMetadata,
} from 'kafkajs';
import { MemoryBytesStore } from '../state/bytes-store.js';
import { CachedWindowStore, createManagedStore, type ManagedStore } from '../state/cached-stores.js';
import { readCheckpoint, writeCheckpoint } from '../state/checkpoint.js';
import { RocksDbBytesStore, type RocksDbTuning } from '../state/rocksdb-store.js';
import { taskShare } from '../state/store-spec.js';
import { restoreStores } from './changelog-restore.js';
import { coPartitionedCount, externalSourceTopics } from './co-partition.js';
import { coPartitionedAssigner } from './co-partition-assigner.js';
import { type KafkaConnection, loadConnection } from './config.js';
import { describeError, ForeshadowError } from './errors.js';
import { createKafka } from './kafka-client.js';
import { createLogger, type Logger } from './logger.js';
import { StreamsMetrics, serveMetrics } from './metrics.js';
import { chunkMessages, DEFAULT_SEND_LIMITS, type SendLimits } from './send-chunks.js';
import {
  DEFAULT_MAX_EVENT_TIME_AHEAD_MS,
  deadLetterTopic,
  isRetriable,
  type OutgoingRecord,
  type RawRecord,
  StreamTask,
} from './task.js';
import { alignTopicConfigs, createTopicsAndWait, retryWhileInFlux } from './topic-admin.js';
import type { Topology } from './topology.js';

/** Records between checks of kafkajs' isRunning/isStale and heartbeats within a batch. */
const STALE_CHECK = 200;

export type Guarantee = 'exactly-once' | 'at-least-once';

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
  /** Test hook: return true to make a commit fail after sending, before committing (abort path). */
  failCommit?: (taskId: string) => boolean;
  /**
   * Called once the app has stopped for good on an error it cannot recover from (the consumer
   * crashed on a non-retriable error: lost authorisation, an unusable state directory…), after its
   * tasks were closed without committing. Default: exit the process with code 1 when
   * `handleSignals` is set (the app owns the process, so its supervisor restarts it), otherwise
   * nothing beyond the error log and `failure`. An app must never sit idle in a live process.
   */
  onFatal?: (err: unknown) => void;
}

export interface TaskState {
  task: StreamTask;
  stores: Map<string, ManagedStore>;
  producer: Producer | undefined;
  outputs: OutgoingRecord[];
  /** Next offset to process per source topic; records below it are already committed. */
  committed: Map<string, bigint>;
  /** Offsets processed since the last commit (the next commit's offsets are these + 1). */
  processed: Map<string, bigint>;
  /**
   * Next offset to process per topic. kafkajs rewinds fetch positions to the committed offsets on
   * every rebalance, even for partitions it keeps; records below this are already in the task's
   * (uncommitted) state and must not be applied twice.
   */
  position: Map<string, bigint>;
  dir: string;
  checkpointPath: string;
  checkpoint: Record<string, string>;
  dirty: boolean;
}

interface OffsetMetadata {
  st?: number;
}

function parseMetadata(m: string | null | undefined): OffsetMetadata {
  if (!m) return {};
  try {
    const parsed: unknown = JSON.parse(m);
    return parsed !== null && typeof parsed === 'object' ? (parsed as OffsetMetadata) : {};
  } catch {
    return {};
  }
}

function headersOf(h: IHeaders | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h ?? {})) {
    if (v === undefined) continue;
    const first = Array.isArray(v) ? v[0] : v;
    if (first !== undefined) out[k] = Buffer.isBuffer(first) ? first.toString('utf8') : String(first);
  }
  return out;
}

/**
 * Errors of the runtime's own batch handling that no retry can fix (not a Kafka client error, not
 * an outage): a broken state directory, a bug. Marked where they escape a batch, so that the
 * consumer's restart policy can tell them apart from anything kafkajs wraps them in.
 */
const unrecoverable = new WeakSet<Error>();

function markUnrecoverable(err: unknown): void {
  if (err instanceof Error && !err.name.startsWith('KafkaJS') && !isRetriable(err)) unrecoverable.add(err);
}

function restartWorthwhile(err: Error): boolean {
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 6; e = e.cause, depth++) {
    if (unrecoverable.has(e)) return false;
  }
  return true;
}

/** Serialises everything that touches tasks: batches, commits, punctuators, rebalances, close. */
class Mutex {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.tail.then(fn, fn);
    this.tail = next.catch(() => undefined);
    return next;
  }
}

export class StreamsApp {
  readonly metrics: StreamsMetrics;
  readonly logger: Logger;
  readonly instanceId: string;
  private readonly conn: KafkaConnection;
  private readonly kafka: Kafka;
  private readonly stateDir: string;
  private readonly commitIntervalMs: number;
  private readonly maxUncommittedWrites: number;
  private readonly sendLimits: SendLimits;
  private readonly mutex = new Mutex();
  private readonly tasks = new Map<number, TaskState>();
  private assigned = new Set<number>();
  /** Has joined its group at least once (kafkajs' GROUP_JOIN). */
  private joined = false;
  /** startAt 'latest': each source partition's end offset when the app started. */
  private startOffsets: Map<string, Map<number, bigint>> | undefined;
  private consumer: Consumer | undefined;
  private admin: Admin | undefined;
  private sharedProducer: Producer | undefined;
  private partitionCounts = new Map<string, number>();
  /** Tasks of the app (its co-partitioned source count): store cache budgets are split by it. */
  private taskCount = 1;
  private lastCommit = Date.now();
  /** Back-off after a retriable failure (doubles up to 10 s, reset by the next processed record). */
  private retryDelayMs = 0;
  private ticker: NodeJS.Timeout | undefined;
  /** The topology's internal (repartition) topics. */
  private readonly repartitionTopics: ReadonlySet<string>;
  /** When each repartition topic partition was last purged (`topic:partition` → ms). */
  private readonly lastPurge = new Map<string, number>();
  private metricsServer: Server | undefined;
  private closing: Promise<void> | undefined;
  /**
   * kafkajs only heartbeats between batches; long batches, commits and restores call the last
   * batch's heartbeat so the group does not evict this member while it works.
   */
  private heartbeatFn: (() => Promise<void>) | undefined;
  private started = false;
  /** The error the app stopped on for good, if it did (see StreamsAppOptions.onFatal). */
  failure: unknown;
  /** Restore results, for tests and operators (also logged and counted). */
  readonly restores: { taskId: string; store: string; restored: number; from: string; to: string }[] = [];

  constructor(
    readonly topology: Topology,
    readonly options: StreamsAppOptions,
  ) {
    this.repartitionTopics = new Set(topology.internalTopics().map((x) => x.name));
    this.conn = options.connection ?? loadConnection();
    this.instanceId = options.instanceId ?? randomUUID().slice(0, 8);
    this.kafka = createKafka(this.conn, `${topology.applicationId}-${this.instanceId}`);
    this.stateDir = options.stateDir ?? this.conn.stateDir;
    this.commitIntervalMs = options.commitIntervalMs ?? 100;
    this.maxUncommittedWrites = options.maxUncommittedWrites ?? topology.maxUncommittedWrites ?? 10_000;
    this.sendLimits = { ...DEFAULT_SEND_LIMITS, ...options.sendLimits };
    this.logger = (options.logger ?? createLogger('streams')).child({
      app: topology.applicationId,
      instance: this.instanceId,
      guarantee: options.guarantee,
    });
    this.metrics = new StreamsMetrics(topology.applicationId);
  }

  private get eos(): boolean {
    return this.options.guarantee === 'exactly-once';
  }

  /** Create internal topics, join the group and start processing (resolves once running). */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    const t = this.topology;
    this.admin = this.kafka.admin();
    await this.admin.connect();
    await retryWhileInFlux(() => this.ensureTopics());
    if (this.options.startAt === 'latest')
      this.startOffsets = await retryWhileInFlux(() => this.endOffsets(t.sourceTopics()));
    if (!this.eos) {
      this.sharedProducer = this.kafka.producer({
        createPartitioner: Partitioners.DefaultPartitioner,
        idempotent: true,
      });
      await this.sharedProducer.connect();
    }
    if (this.options.metricsPort !== undefined) {
      this.metricsServer = await serveMetrics(this.metrics.registry, this.options.metricsPort);
    }
    const consumer = this.kafka.consumer({
      groupId: t.applicationId,
      readUncommitted: false,
      partitionAssigners: [coPartitionedAssigner],
      sessionTimeout: this.options.sessionTimeoutMs ?? 10_000,
      heartbeatInterval: this.options.heartbeatIntervalMs ?? 1_000,
      rebalanceTimeout: 30_000,
      maxWaitTimeInMs: 50,
      // Bounded batches keep the time between heartbeats and commits short.
      maxBytesPerPartition: 512 * 1024,
      // kafkajs retries a failing batch, then restarts the consumer for ever. Worth it for Kafka
      // and outage errors; an error of ours that no retry fixes (a broken state directory, a bug)
      // would loop hot, so the app stops instead and its owner is told (stopOnFatal).
      retry: { restartOnFailure: async (e) => restartWorthwhile(e) },
    });
    this.consumer = consumer;
    consumer.on(consumer.events.GROUP_JOIN, (e) => {
      const next = new Set<number>();
      for (const partitions of Object.values(e.payload.memberAssignment)) for (const p of partitions) next.add(p);
      this.assigned = next;
      this.joined = true;
      this.logger.info({ partitions: [...next].sort((a, b) => a - b) }, 'assignment');
      // Under the mutex, between batches: close revoked tasks, then open (restore) new ones eagerly so
      // idle partitions get their wall-clock punctuators and data never waits for a restore.
      void this.mutex.run(() => this.reconcile(true)).catch((err: unknown) => this.fatal(err));
    });
    consumer.on(consumer.events.CRASH, (e) => {
      this.logger.error({ error: describeError(e.payload.error), restart: e.payload.restart }, 'consumer crashed');
      // kafkajs restarts the consumer after retriable errors only; otherwise it stays disconnected.
      if (!e.payload.restart) this.stopOnFatal(e.payload.error);
    });
    await consumer.connect();
    await consumer.subscribe({ topics: t.sourceTopics(), fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: 1,
      eachBatch: (payload) =>
        this.mutex.run(() =>
          this.onBatch(payload).catch((err: unknown) => {
            markUnrecoverable(err);
            throw err;
          }),
        ),
    });
    const tick = this.options.tickMs ?? 250;
    this.ticker = setInterval(() => {
      void this.mutex.run(() => this.onTick()).catch((err: unknown) => this.fatal(err));
    }, tick);
    if (this.options.handleSignals) {
      const stop = (signal: string): void => {
        this.logger.info({ signal }, 'stopping');
        this.close()
          .then(() => process.exit(0))
          .catch((err: unknown) => {
            this.logger.error({ error: describeError(err) }, 'close failed');
            process.exit(1);
          });
      };
      process.once('SIGTERM', () => stop('SIGTERM'));
      process.once('SIGINT', () => stop('SIGINT'));
    }
    this.logger.info({ topology: t.describe() }, 'started');
  }

  private async beat(): Promise<void> {
    try {
      await this.heartbeatFn?.();
    } catch {
      // A rebalance error surfaces again at the next batch, where kafkajs handles it.
    }
  }

  private fatal(err: unknown): void {
    this.logger.error({ error: describeError(err) }, 'runtime error');
  }

  /** The consumer is gone for good: close without committing and tell the owner (onFatal). */
  private stopOnFatal(err: unknown): void {
    if (this.closing) return;
    this.failure = err ?? new Error('consumer stopped');
    this.metrics.fatalErrors.inc();
    this.logger.error({ error: describeError(err) }, 'stopping the app: it cannot recover from this error');
    // Uncommitted work is dropped, as after a SIGKILL: the next owner resumes from committed offsets.
    this.closing = this.doClose(false);
    void this.closing
      .catch((closeErr: unknown) => this.logger.error({ error: describeError(closeErr) }, 'close failed'))
      .finally(() => {
        if (this.options.onFatal) this.options.onFatal(this.failure);
        else if (this.options.handleSignals) process.exit(1);
      });
  }

  private async ensureTopics(): Promise<void> {
    const admin = this.admin!;
    const t = this.topology;
    const internal = this.repartitionTopics;
    const external = externalSourceTopics(t);
    const existing = new Set(await admin.listTopics());
    const missing = external.filter((x) => !existing.has(x));
    if (missing.length > 0) {
      throw new ForeshadowError('CONFIG_INVALID', `source topics do not exist: ${missing.join(', ')}`, {
        context: { missing },
      });
    }
    let partitions = this.options.defaultPartitions ?? 1;
    if (external.length > 0) {
      const meta = await admin.fetchTopicMetadata({ topics: external });
      partitions = coPartitionedCount(
        meta.topics.map((m) => [m.name, m.partitions.length] as const),
        partitions,
      );
    }
    const wanted: { topic: string; numPartitions: number; configEntries: { name: string; value: string }[] }[] = [];
    // Repartition topics: no time-based retention (see repartitionPurgeIntervalMs); purged instead.
    const repartitionConfig = [{ name: 'retention.ms', value: '-1' }];
    for (const name of internal)
      wanted.push({ topic: name, numPartitions: partitions, configEntries: repartitionConfig });
    // Ones created by a version that expired them by time still carry that retention.
    const aligned = await alignTopicConfigs(
      admin,
      [...internal].filter((n) => existing.has(n)),
      repartitionConfig,
    );
    if (aligned.length > 0) this.logger.info({ topics: aligned }, 'repartition topics no longer expire by time');
    for (const spec of t.storeSpecs()) {
      if (!spec.changelog) continue;
      const configEntries = [{ name: 'cleanup.policy', value: 'compact' }];
      if (spec.kind === 'window') {
        // Window changelogs also expire: retention bounds their size like it bounds the store.
        configEntries[0] = { name: 'cleanup.policy', value: 'compact,delete' };
        configEntries.push({ name: 'retention.ms', value: String(spec.retentionMs + 86_400_000) });
      }
      wanted.push({ topic: t.changelogTopic(spec.name), numPartitions: partitions, configEntries });
    }
    for (const src of t.sourceTopics())
      wanted.push({ topic: deadLetterTopic(src), numPartitions: 1, configEntries: [] });
    wanted.push({ topic: t.lateTopic(), numPartitions: 1, configEntries: [] });
    const create = wanted.filter((w) => !existing.has(w.topic));
    if (create.length > 0) {
      // Other apps (or instances) may be creating some of them right now, e.g. a shared `<source>.dlq`.
      await createTopicsAndWait(admin, create);
      this.logger.info({ topics: create.map((c) => c.topic) }, 'created internal topics');
    }
    for (const w of wanted) this.partitionCounts.set(w.topic, w.numPartitions);
    for (const x of external) this.partitionCounts.set(x, partitions);
    this.taskCount = partitions;
  }

  private taskId(partition: number): string {
    return `0_${partition}`;
  }

  private async partitionCount(topic: string): Promise<number> {
    const known = this.partitionCounts.get(topic);
    if (known !== undefined) return known;
    const meta = await this.admin!.fetchTopicMetadata({ topics: [topic] });
    const n = meta.topics[0]?.partitions.length ?? 1;
    this.partitionCounts.set(topic, n);
    return n;
  }

  /** Open (or reopen) the task of `partition`: fence, read committed offsets, restore, init. */
  private async openTask(partition: number, heartbeat?: () => Promise<void>): Promise<TaskState> {
    const t = this.topology;
    const taskId = this.taskId(partition);
    const log = this.logger.child({ taskId });
    let producer: Producer | undefined;
    if (this.eos) {
      producer = this.kafka.producer({
        transactionalId: `${t.applicationId}-${taskId}`,
        idempotent: true,
        maxInFlightRequests: 1,
        transactionTimeout: 60_000,
        createPartitioner: Partitioners.DefaultPartitioner,
      });
      await producer.connect();
      // An empty transaction initialises the producer id: this fences any zombie owner of the task
      // and completes its open transaction, so the offsets and changelog read next are final.
      await (await producer.transaction()).abort();
    }
    const committed = new Map<string, bigint>();
    let streamTime = -1;
    const offsets = await this.admin!.fetchOffsets({ groupId: t.applicationId, topics: t.sourceTopics() });
    const startAt = new Map<string, bigint>();
    for (const topic of offsets) {
      const p = topic.partitions.find((x) => x.partition === partition);
      if (!p || Number(p.offset) < 0) {
        const start = this.startOffsets?.get(topic.topic)?.get(partition);
        if (start !== undefined) startAt.set(topic.topic, start);
        continue;
      }
      committed.set(topic.topic, BigInt(p.offset));
      const st = parseMetadata(p.metadata).st;
      if (typeof st === 'number' && st > streamTime) streamTime = st;
    }
    const dir = join(this.stateDir, t.applicationId, taskId);
    const checkpointPath = join(dir, 'checkpoint.json');
    const checkpoint = await readCheckpoint(checkpointPath);
    const stores = new Map<string, ManagedStore>();
    for (const spec of t.storeSpecs()) {
      const bytes = spec.persistent
        ? await RocksDbBytesStore.open(join(dir, spec.name), this.options.rocksDb)
        : new MemoryBytesStore();
      const store = createManagedStore(taskShare(spec, this.taskCount), bytes);
      if (store instanceof CachedWindowStore) await store.loadBounds();
      stores.set(spec.name, store);
    }
    const requests = t
      .storeSpecs()
      .filter((s) => s.changelog)
      .map((s) => ({
        taskId,
        store: stores.get(s.name)!,
        topic: t.changelogTopic(s.name),
        partition,
        // Memory stores start empty each time: always a full restore.
        from: s.persistent && checkpoint[s.name] !== undefined ? BigInt(checkpoint[s.name]!) : 0n,
      }));
    const started = Date.now();
    let results: Awaited<ReturnType<typeof restoreStores>>;
    try {
      results = await restoreStores(this.kafka, this.admin!, requests, {
        logger: log,
        metrics: this.metrics,
        heartbeat: heartbeat ?? (() => this.beat()),
      });
    } catch (err: unknown) {
      // Release RocksDB locks and the producer so a retry (next batch or rebalance) can reopen.
      for (const store of stores.values()) await store.close().catch(() => undefined);
      await producer?.disconnect().catch(() => undefined);
      throw err;
    }
    for (const r of results) {
      checkpoint[r.store] = r.to.toString();
      const entry = { taskId, store: r.store, restored: r.restored, from: r.from.toString(), to: r.to.toString() };
      this.restores.push(entry);
      log.info({ ...entry, ms: Date.now() - started }, 'restore complete');
    }
    await writeCheckpoint(checkpointPath, checkpoint);
    const state: TaskState = {
      task: undefined as unknown as StreamTask,
      stores,
      producer,
      outputs: [],
      committed,
      processed: new Map(),
      position: new Map(committed),
      dir,
      checkpointPath,
      checkpoint,
      dirty: false,
    };
    for (const [topic, start] of startAt) {
      // Records below the start are skipped like committed ones; the first commit records it.
      state.committed.set(topic, start);
      state.position.set(topic, start);
      state.processed.set(topic, start - 1n);
      state.dirty = true;
      this.consumer?.seek({ topic, partition, offset: start.toString() });
    }
    state.task = new StreamTask({
      topology: t,
      taskId,
      partition,
      stores,
      initialStreamTime: streamTime,
      hooks: {
        emit: (r) => {
          state.outputs.push(r);
          state.dirty = true;
        },
        wallClock: () => Date.now(),
        maxEventTimeAheadMs: this.options.maxEventTimeAheadMs ?? DEFAULT_MAX_EVENT_TIME_AHEAD_MS,
        // Outputs wait for the commit as bytes; the typed copies would only keep objects alive.
        keepTyped: false,
        partitionCount: (topic) => this.partitionCounts.get(topic),
        metrics: this.metrics.taskSink(),
        log: (level, msg, fields) => log[level](fields, msg),
      },
    });
    await state.task.init();
    this.tasks.set(partition, state);
    log.info(
      { committed: Object.fromEntries([...committed].map(([k, v]) => [k, v.toString()])), streamTime },
      'task open',
    );
    return state;
  }

  /** Close a task: commit first when asked (clean shutdown), otherwise drop uncommitted work. */
  private async closeTask(partition: number, commit: boolean): Promise<void> {
    const s = this.tasks.get(partition);
    if (!s) return;
    if (commit) {
      try {
        await this.commitTask(partition, s);
      } catch (err: unknown) {
        this.logger.warn({ taskId: s.task.taskId, error: describeError(err) }, 'final commit failed');
      }
    }
    this.tasks.delete(partition);
    s.task.abort();
    await s.task.closeProcessors();
    for (const store of s.stores.values()) await store.close();
    await s.producer?.disconnect().catch(() => undefined);
    this.logger.info({ taskId: s.task.taskId, committed: commit }, 'task closed');
  }

  private async reconcile(openNew = false): Promise<void> {
    for (const p of [...this.tasks.keys()]) {
      // Revoked: its new owner resumes from the committed offsets, so nothing uncommitted may leak.
      if (!this.assigned.has(p)) await this.closeTask(p, false);
    }
    if (!openNew || this.closing) return;
    for (const p of [...this.assigned].sort((a, b) => a - b)) {
      if (!this.tasks.has(p)) await this.openTask(p);
    }
  }

  private async onBatch(payload: EachBatchPayload): Promise<void> {
    const { batch, resolveOffset, heartbeat, isRunning, isStale } = payload;
    this.heartbeatFn = heartbeat;
    if (this.closing || !isRunning() || isStale()) return;
    if (!this.assigned.has(batch.partition)) return;
    await this.reconcile();
    const state = this.tasks.get(batch.partition) ?? (await this.openTask(batch.partition, heartbeat));
    const skipBelow = state.position.get(batch.topic);
    const lag = Number(batch.offsetLag());
    this.metrics.consumerLag.set(
      { topic: batch.topic, partition: String(batch.partition) },
      Number.isFinite(lag) ? lag : 0,
    );
    // kafkajs' isStale/resolveOffset parse offsets into Longs and hash seek keys on every call (~10%
    // of the CPU at one call per record). Nothing seeks this partition while the batch holds the
    // mutex, so staleness is checked every STALE_CHECK records, and only the last handled offset is
    // resolved (kafkajs keeps one resolved offset per partition; the next fetch starts after it).
    let lastHandled: string | undefined;
    let lastProcessed: bigint | undefined;
    const settle = (): void => {
      if (lastHandled !== undefined) resolveOffset(lastHandled);
      if (lastProcessed !== undefined) {
        state.processed.set(batch.topic, lastProcessed);
        state.position.set(batch.topic, lastProcessed + 1n);
        state.dirty = true;
      }
      lastHandled = undefined;
      lastProcessed = undefined;
    };
    const messages = batch.messages;
    const readAhead = state.task.readsAhead();
    try {
      for (let i = 0; i < messages.length; i++) {
        const m = messages[i]!;
        if (i % STALE_CHECK === 0) {
          if (!isRunning() || isStale() || this.closing) return;
          if (i > 0) await heartbeat();
          if (state.task.uncommittedWrites() >= this.maxUncommittedWrites) {
            settle();
            await this.commitAll();
            // A failed commit rewound the task (closed it and moved the consumer back).
            if (this.tasks.get(batch.partition) !== state) return;
          }
          // The state the next run of records needs, in one store read each instead of one per record.
          if (readAhead)
            await state.task.prefetch(
              messages
                .slice(i, i + STALE_CHECK)
                .map((r) => ({ topic: batch.topic, key: r.key, timestamp: Number(r.timestamp) })),
            );
        }
        const offset = BigInt(m.offset);
        if (skipBelow !== undefined && offset < skipBelow) {
          lastHandled = m.offset;
          continue;
        }
        const raw: RawRecord = {
          topic: batch.topic,
          partition: batch.partition,
          offset: m.offset,
          key: m.key,
          value: m.value,
          timestamp: Number(m.timestamp),
          headers: m.headers === undefined ? {} : headersOf(m.headers),
        };
        try {
          await state.task.process(raw);
        } catch (err: unknown) {
          if (!isRetriable(err)) throw err;
          // An outage (registry unreachable…): drop the task's uncommitted work, go back to the
          // committed offsets and try again after a pause; nothing is dead-lettered or lost.
          this.retryDelayMs = Math.min(10_000, this.retryDelayMs * 2 || 500);
          this.logger.warn(
            { taskId: state.task.taskId, error: describeError(err), retryInMs: this.retryDelayMs },
            'retriable failure; rewinding task',
          );
          // The rewind drops this batch's work too: nothing of it may be marked processed.
          lastHandled = undefined;
          lastProcessed = undefined;
          await this.rewind(batch.partition, state);
          await new Promise((r) => setTimeout(r, this.retryDelayMs));
          return;
        }
        this.retryDelayMs = 0;
        lastProcessed = offset;
        lastHandled = m.offset;
      }
    } finally {
      settle();
    }
    if (Date.now() - this.lastCommit >= this.commitIntervalMs) await this.commitAll();
  }

  private async onTick(): Promise<void> {
    if (this.closing) return;
    const now = Date.now();
    for (const s of this.tasks.values()) await s.task.punctuate('wall-clock', now);
    if (now - this.lastCommit >= this.commitIntervalMs) await this.commitAll();
  }

  private async commitAll(): Promise<void> {
    this.lastCommit = Date.now();
    const due = [...this.tasks].filter(([, s]) => s.dirty);
    // Tasks commit independently (own transaction, own partitions), so their round trips overlap.
    const results = await Promise.allSettled(due.map(([partition, s]) => this.commitTask(partition, s)));
    for (let i = 0; i < due.length; i++) {
      const r = results[i];
      const [partition, s] = due[i]!;
      if (r?.status !== 'rejected') continue;
      this.metrics.commits.inc({ result: 'failed' });
      this.logger.warn({ taskId: s.task.taskId, error: describeError(r.reason) }, 'commit failed; rewinding task');
      await this.rewind(partition, s);
    }
  }

  /** Drop the task's uncommitted work and move the consumer back to its committed offsets. */
  private async rewind(partition: number, s: TaskState): Promise<void> {
    const positions = new Map(s.committed);
    await this.closeTask(partition, false);
    if (!this.assigned.has(partition)) return;
    for (const topic of this.topology.sourceTopics()) {
      let offset = positions.get(topic);
      if (offset === undefined) {
        const o = await this.admin!.fetchTopicOffsets(topic);
        offset = BigInt(o.find((x) => x.partition === partition)?.low ?? '0');
      }
      this.consumer!.seek({ topic, partition, offset: offset.toString() });
    }
  }

  private async commitTask(partition: number, s: TaskState): Promise<void> {
    const timer = this.metrics.commitLatency.startTimer({ guarantee: this.options.guarantee });
    const t = this.topology;
    // 1. Changelog records from the write caches.
    const changelog = await s.task.prepareCommit();
    const byTopic = new Map<string, Message[]>();
    const push = (topic: string, m: Message): void => {
      const l = byTopic.get(topic);
      if (l) l.push(m);
      else byTopic.set(topic, [m]);
    };
    for (const o of s.outputs) {
      const m: Message = { key: o.key, value: o.value, timestamp: String(o.timestamp), headers: o.headers };
      if (o.partition !== undefined) m.partition = o.partition;
      push(o.topic, m);
    }
    const changelogCounts = new Map<string, number>();
    const changelogTopics = new Set(changelog.map((c) => t.changelogTopic(c.store)));
    for (const c of changelog) {
      const topic = t.changelogTopic(c.store);
      changelogCounts.set(c.store, c.entries.length);
      for (const e of c.entries) push(topic, { key: e.key, value: e.value, partition });
    }
    const offsets = [...s.processed].map(([topic, offset]) => ({
      topic,
      partitions: [
        { partition, offset: (offset + 1n).toString(), metadata: JSON.stringify({ st: s.task.streamTime }) },
      ],
    }));
    // 2. Outputs + changelog + offsets.
    const nextChangelogOffset = new Map<string, bigint>();
    const sendAll = async (
      send: (batch: {
        topicMessages: { topic: string; messages: Message[] }[];
        acks: number;
      }) => Promise<RecordMetadata[]>,
    ): Promise<void> => {
      for (const chunk of chunkMessages(byTopic, this.sendLimits)) {
        const meta = await send({ topicMessages: chunk, acks: -1 });
        await this.beat();
        for (const c of chunk) {
          if (!changelogTopics.has(c.topic)) continue;
          const m = meta.find((x) => x.topicName === c.topic && x.partition === partition);
          if (m?.baseOffset === undefined) continue;
          const next = BigInt(m.baseOffset) + BigInt(c.messages.length);
          if (next > (nextChangelogOffset.get(c.topic) ?? -1n)) nextChangelogOffset.set(c.topic, next);
        }
      }
    };
    if (this.eos) {
      const txn = await s.producer!.transaction();
      try {
        await sendAll((b) => txn.sendBatch(b));
        if (offsets.length > 0) await txn.sendOffsets({ consumerGroupId: t.applicationId, topics: offsets });
        if (this.options.failCommit?.(s.task.taskId)) throw new Error('injected commit failure');
        await txn.commit();
      } catch (err: unknown) {
        await txn.abort().catch(() => undefined);
        throw err;
      }
    } else {
      await sendAll((b) => this.sharedProducer!.sendBatch(b));
      if (this.options.failCommit?.(s.task.taskId)) throw new Error('injected commit failure');
      if (offsets.length > 0)
        await this.consumer!.commitOffsets(offsets.map((o) => ({ topic: o.topic, ...o.partitions[0]! })));
    }
    // 3. Committed: make the local state match, then record how far the changelog is applied.
    await s.task.applyCommit();
    for (const store of changelogCounts.keys()) {
      const next = nextChangelogOffset.get(t.changelogTopic(store));
      if (next !== undefined) s.checkpoint[store] = next.toString();
    }
    if (changelogCounts.size > 0) await writeCheckpoint(s.checkpointPath, s.checkpoint);
    for (const [topic, offset] of s.processed) {
      s.committed.set(topic, offset + 1n);
      if (this.repartitionTopics.has(topic)) this.purgeRepartition(topic, partition, offset + 1n);
    }
    for (const [topic, messages] of byTopic)
      if (!changelogTopics.has(topic)) this.metrics.recordsProduced.inc({ topic }, messages.length);
    s.processed.clear();
    s.outputs = [];
    s.dirty = false;
    this.metrics.commits.inc({ result: 'ok' });
    timer();
  }

  /**
   * Deletes a repartition partition's records below `before` (committed: nobody needs them again),
   * at most every repartitionPurgeIntervalMs. Not awaited: a failed purge only delays the next one.
   */
  private purgeRepartition(topic: string, partition: number, before: bigint): void {
    const key = `${topic}:${partition}`;
    const now = Date.now();
    if (now - (this.lastPurge.get(key) ?? 0) < (this.options.repartitionPurgeIntervalMs ?? 30_000)) return;
    this.lastPurge.set(key, now);
    this.admin
      ?.deleteTopicRecords({ topic, partitions: [{ partition, offset: before.toString() }] })
      .catch((err: unknown) =>
        this.logger.warn(
          { topic, partition, err: String(err) },
          'repartition purge failed; retried after a later commit',
        ),
      );
  }

  /** Commit every task, close stores and clients. Safe to call more than once. */
  close(): Promise<void> {
    this.closing ??= this.doClose();
    return this.closing;
  }

  private async doClose(commit = true): Promise<void> {
    if (this.ticker) clearInterval(this.ticker);
    // 1. Final commits while still a group member (an at-least-once offset commit needs the
    //    membership that consumer.stop() gives up); batches arriving meanwhile are ignored.
    await this.mutex.run(async () => {
      for (const [p, s] of [...this.tasks]) {
        if (!commit || !s.dirty) continue;
        try {
          await this.commitTask(p, s);
        } catch (err: unknown) {
          this.logger.warn({ taskId: s.task.taskId, error: describeError(err) }, 'final commit failed');
        }
      }
    });
    // 2. Leave the group, then 3. close tasks (stores flushed by the commit above) and clients.
    await this.consumer?.stop().catch(() => undefined);
    await this.mutex.run(async () => {
      for (const p of [...this.tasks.keys()]) await this.closeTask(p, false);
    });
    await this.consumer?.disconnect().catch(() => undefined);
    await this.sharedProducer?.disconnect().catch(() => undefined);
    await this.admin?.disconnect().catch(() => undefined);
    await new Promise<void>((resolve) => (this.metricsServer ? this.metricsServer.close(() => resolve()) : resolve()));
    this.logger.info('closed');
  }

  /**
   * Ready to process: started, a member of its group, and every partition assigned to it has an
   * open (restored) task. False while restoring after a rebalance, closing, or after a fatal error.
   */
  isReady(): boolean {
    if (!this.joined || this.closing || this.failure !== undefined) return false;
    for (const p of this.assigned) if (!this.tasks.has(p)) return false;
    return true;
  }

  private async endOffsets(topics: readonly string[]): Promise<Map<string, Map<number, bigint>>> {
    const out = new Map<string, Map<number, bigint>>();
    for (const topic of topics) {
      const ends = await this.admin!.fetchTopicOffsets(topic);
      out.set(topic, new Map(ends.map((e) => [e.partition, BigInt(e.offset)])));
    }
    return out;
  }

  /** Partitions whose tasks this instance runs now. */
  activeTasks(): number[] {
    return [...this.tasks.keys()].sort((a, b) => a - b);
  }

  /** Partition count the runner uses for a topic (internal or source). */
  knownPartitions(topic: string): Promise<number> {
    return this.partitionCount(topic);
  }
}

/**
 * StreamsApp: runs a Topology on Kafka (kafkajs). Consumer group = application id; one task per
 * input partition number (co-partitioned assignor), each with its own stores under
 * `<stateDir>/<applicationId>/<taskId>/`, restored from `<applicationId>-<store>-changelog`.
 * A new owner's transactional producer fences a zombie before it restores, and records below the
 * committed offset are skipped.
 *
 * Usage:
 *   const app = new StreamsApp(topology, { guarantee: 'exactly-once', handleSignals: true, metricsPort: 9464 });
 *   await app.start();   // resolves once consuming; SIGTERM then commits, closes and exits 0
 *
 * This class coordinates; its parts are one module each in `app/`: settings
 * (`streams-app-options.ts`), internal topics (`internal-topics.ts`), tasks (`task-manager.ts`,
 * `open-task.ts`), the batch loop (`batch-loop.ts`), the commit protocol (`commit-protocol.ts`),
 * signals (`process-signals.ts`) and the consumer's restart policy (`unrecoverable-errors.ts`).
 * Everything that touches tasks runs under one mutex.
 */
import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import { type Kafka, Partitioners } from 'kafkajs';
import { BatchLoop } from './app/batch-loop.js';
import { CommitProtocol } from './app/commit-protocol.js';
import { ensureInternalTopics, PartitionCounts } from './app/internal-topics.js';
import { Mutex } from './app/mutex.js';
import { endOffsets, type RestoreEntry } from './app/open-task.js';
import { closeOnSignals } from './app/process-signals.js';
import { RepartitionPurge } from './app/repartition-purge.js';
import { GroupHeartbeat, RuntimeClients, type RuntimeContext } from './app/runtime-context.js';
import { type RuntimeSettings, resolveSettings, type StreamsAppOptions } from './app/streams-app-options.js';
import { TaskManager } from './app/task-manager.js';
import { markUnrecoverable, restartWorthwhile } from './app/unrecoverable-errors.js';
import { coPartitionedAssigner } from './co-partition-assigner.js';
import { type KafkaConnection, loadConnection } from './config.js';
import { describeError } from './errors.js';
import { createKafka } from './kafka-client.js';
import { createLogger, type Logger } from './logger.js';
import { StreamsMetrics, serveMetrics } from './metrics.js';
import { retryWhileInFlux } from './topic-admin.js';
import type { Topology } from './topology.js';

export type { Guarantee, StreamsAppOptions } from './app/streams-app-options.js';

export class StreamsApp {
  readonly metrics: StreamsMetrics;
  readonly logger: Logger;
  readonly instanceId: string;
  private readonly conn: KafkaConnection;
  private readonly kafka: Kafka;
  private readonly settings: RuntimeSettings;
  private readonly mutex = new Mutex();
  private readonly clients: RuntimeClients;
  private readonly partitions: PartitionCounts;
  private readonly tasks: TaskManager;
  private readonly commits: CommitProtocol;
  private readonly loop: BatchLoop;
  private ticker: NodeJS.Timeout | undefined;
  private metricsServer: Server | undefined;
  private closing: Promise<void> | undefined;
  private started = false;
  /** Has joined its group at least once (kafkajs' GROUP_JOIN). */
  private joined = false;
  /** When missing tasks were last reopened (reopenMissingTasks). */
  private lastReopen = 0;
  /** The error the app stopped on for good, if it did (see StreamsAppOptions.onFatal). */
  failure: unknown;

  constructor(
    readonly topology: Topology,
    readonly options: StreamsAppOptions,
  ) {
    this.conn = options.connection ?? loadConnection();
    this.settings = resolveSettings(topology, options, this.conn);
    this.instanceId = options.instanceId ?? randomUUID().slice(0, 8);
    this.kafka = createKafka(this.conn, `${topology.applicationId}-${this.instanceId}`);
    this.logger = (options.logger ?? createLogger('streams')).child({
      app: topology.applicationId,
      instance: this.instanceId,
      guarantee: options.guarantee,
    });
    this.metrics = new StreamsMetrics(topology.applicationId);
    this.clients = new RuntimeClients(topology.applicationId);
    this.partitions = new PartitionCounts(() => this.clients.admin());
    const ctx: RuntimeContext = {
      topology,
      settings: this.settings,
      kafka: this.kafka,
      clients: this.clients,
      heartbeat: new GroupHeartbeat(),
      partitions: this.partitions,
      logger: this.logger,
      metrics: this.metrics,
    };
    const closing = (): boolean => this.closing !== undefined;
    this.tasks = new TaskManager(ctx, closing);
    this.commits = new CommitProtocol(ctx, this.tasks, new RepartitionPurge(ctx));
    this.loop = new BatchLoop(ctx, this.tasks, this.commits, closing, (err) => this.stopOnFatal(err));
  }

  /** Restore results, for tests and operators (also logged and counted). */
  get restores(): readonly RestoreEntry[] {
    return this.tasks.restores;
  }

  /** Create internal topics, join the group and start processing (resolves once running). */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    const t = this.topology;
    const admin = this.kafka.admin();
    this.clients.adminClient = admin;
    await admin.connect();
    this.tasks.taskCount = await retryWhileInFlux(() =>
      ensureInternalTopics(admin, t, this.partitions, {
        defaultPartitions: this.settings.defaultPartitions,
        logger: this.logger,
      }),
    );
    if (this.options.startAt === 'latest')
      this.tasks.startOffsets = await retryWhileInFlux(() => endOffsets(admin, t.sourceTopics()));
    if (!this.settings.eos) {
      const producer = this.kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, idempotent: true });
      this.clients.sharedProducerClient = producer;
      await producer.connect();
    }
    if (this.options.metricsPort !== undefined) {
      this.metricsServer = await serveMetrics(this.metrics.registry, this.options.metricsPort);
    }
    const consumer = this.kafka.consumer({
      groupId: t.applicationId,
      readUncommitted: false,
      partitionAssigners: [coPartitionedAssigner],
      sessionTimeout: this.settings.sessionTimeoutMs,
      heartbeatInterval: this.settings.heartbeatIntervalMs,
      rebalanceTimeout: 30_000,
      maxWaitTimeInMs: 50,
      // Bounded batches keep the time between heartbeats and commits short.
      maxBytesPerPartition: 512 * 1024,
      // kafkajs retries a failing batch, then restarts the consumer for ever. Worth it for Kafka
      // and outage errors; an error of ours that no retry fixes (a broken state directory, a bug)
      // would loop hot, so the app stops instead and its owner is told (stopOnFatal).
      retry: { restartOnFailure: async (e) => restartWorthwhile(e) },
    });
    this.clients.consumerClient = consumer;
    consumer.on(consumer.events.GROUP_JOIN, (e) => {
      const next = new Set<number>();
      for (const partitions of Object.values(e.payload.memberAssignment)) for (const p of partitions) next.add(p);
      this.tasks.assigned = next;
      this.joined = true;
      this.logger.info({ partitions: [...next].sort((a, b) => a - b) }, 'assignment');
      // Under the mutex, between batches: close revoked tasks, then open (restore) new ones eagerly so
      // idle partitions get their wall-clock punctuators and data never waits for a restore.
      void this.mutex.run(() => this.tasks.reconcile(true)).catch((err: unknown) => this.runtimeError(err));
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
          this.loop.onBatch(payload).catch((err: unknown) => {
            markUnrecoverable(err);
            throw err;
          }),
        ),
    });
    this.ticker = setInterval(() => {
      void this.mutex.run(() => this.loop.onTick()).catch((err: unknown) => this.runtimeError(err));
      this.reopenMissingTasks();
    }, this.settings.tickMs);
    if (this.options.handleSignals) closeOnSignals(() => this.close(), this.logger);
    this.logger.info({ topology: t.describe() }, 'started');
  }

  /**
   * An assigned partition whose eager open failed (a RocksDB lock still held by the previous owner
   * on the same machine, a broker hiccup during the restore) would otherwise wait for its next
   * record, idle partitions never getting their punctuators and the app never ready: retried here,
   * at most every 2 s.
   */
  private reopenMissingTasks(): void {
    const now = Date.now();
    if (this.closing || !this.joined || now - this.lastReopen < 2_000) return;
    if ([...this.tasks.assigned].every((p) => this.tasks.get(p) !== undefined)) return;
    this.lastReopen = now;
    void this.mutex.run(() => this.tasks.reconcile(true)).catch((err: unknown) => this.runtimeError(err));
  }

  private runtimeError(err: unknown): void {
    this.logger.error({ error: describeError(err) }, 'runtime error');
  }

  /** The app cannot go on: close without committing and tell the owner (onFatal). */
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
      for (const [p, s] of this.tasks.entries()) {
        if (!commit || !s.dirty) continue;
        try {
          await this.commits.commitTask(p, s);
        } catch (err: unknown) {
          this.logger.warn({ taskId: s.task.taskId, error: describeError(err) }, 'final commit failed');
        }
      }
    });
    // 2. Leave the group, then 3. close tasks (stores flushed by the commit above) and clients.
    await this.clients.consumerClient?.stop().catch(() => undefined);
    await this.mutex.run(() => this.tasks.closeAll());
    await this.clients.consumerClient?.disconnect().catch(() => undefined);
    await this.clients.sharedProducerClient?.disconnect().catch(() => undefined);
    await this.clients.adminClient?.disconnect().catch(() => undefined);
    await new Promise<void>((resolve) => (this.metricsServer ? this.metricsServer.close(() => resolve()) : resolve()));
    this.logger.info('closed');
  }

  /**
   * Ready to process: started, a member of its group, and every partition assigned to it has an
   * open (restored) task. False while restoring after a rebalance, closing, or after a fatal error.
   */
  isReady(): boolean {
    if (!this.joined || this.closing || this.failure !== undefined) return false;
    for (const p of this.tasks.assigned) if (this.tasks.get(p) === undefined) return false;
    return true;
  }

  /** Partitions whose tasks this instance runs now. */
  activeTasks(): number[] {
    return this.tasks.partitions();
  }

  /** Partition count the runner uses for a topic (internal or source). */
  knownPartitions(topic: string): Promise<number> {
    return this.partitions.of(topic);
  }
}

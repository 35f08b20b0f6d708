/**
 * Opening (or reopening) the task of a partition, in order: fence any zombie owner (exactly-once),
 * read the committed offsets and stream time, open the stores under
 * `<stateDir>/<applicationId>/<taskId>/`, restore them from their changelogs after the checkpoint,
 * then initialise the processors.
 */
import { join } from 'node:path';
import { type Admin, Partitioners, type Producer } from 'kafkajs';
import { MemoryBytesStore } from '../../state/bytes-store.js';
import { type RestoreResult, restoreStores } from '../../state/changelog-restore.js';
import { readCheckpoint, writeCheckpoint } from '../../state/checkpoint.js';
import { createManagedStore, type ManagedStore } from '../../state/managed-store.js';
import { RocksDbBytesStore } from '../../state/rocksdb-store.js';
import { taskShare } from '../../state/store-spec.js';
import { CachedWindowStore } from '../../state/window-store.js';
import { StreamTask } from '../task.js';
import { streamTimeOf } from './offset-metadata.js';
import type { RuntimeContext } from './runtime-context.js';
import { type TaskState, taskIdOf } from './task-state.js';

/** A restore, as operators and tests see it (`StreamsApp.restores`). */
export interface RestoreEntry {
  taskId: string;
  store: string;
  restored: number;
  from: string;
  to: string;
}

/** Per source topic, each partition's start offset (StreamsAppOptions.startAt 'latest'). */
export type StartOffsets = ReadonlyMap<string, ReadonlyMap<number, bigint>>;

export interface OpenTaskOptions {
  /** Tasks of the app: store cache budgets are split by it. */
  taskCount: number;
  /** Where partitions without a committed offset start (default: their earliest record). */
  startOffsets?: StartOffsets;
  /** Keeps the group membership alive during the restore (default: the app's group heartbeat). */
  heartbeat?: () => Promise<void>;
  onRestored(entry: RestoreEntry): void;
}

/** An empty transaction initialises the producer id: it fences any zombie owner of the task. */
async function fencingProducer(ctx: RuntimeContext, taskId: string): Promise<Producer> {
  const producer = ctx.kafka.producer({
    transactionalId: `${ctx.topology.applicationId}-${taskId}`,
    idempotent: true,
    maxInFlightRequests: 1,
    transactionTimeout: 60_000,
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  await producer.connect();
  // It also completes the zombie's open transaction, so the offsets and changelog read next are final.
  await (await producer.transaction()).abort();
  return producer;
}

/** Each topic's end offsets now: where a group new to them starts with startAt 'latest'. */
export async function endOffsets(admin: Admin, topics: readonly string[]): Promise<StartOffsets> {
  const out = new Map<string, Map<number, bigint>>();
  for (const topic of topics) {
    const ends = await admin.fetchTopicOffsets(topic);
    out.set(topic, new Map(ends.map((e) => [e.partition, BigInt(e.offset)])));
  }
  return out;
}

async function committedOffsets(
  ctx: RuntimeContext,
  partition: number,
  startOffsets: StartOffsets | undefined,
): Promise<{ committed: Map<string, bigint>; streamTime: number; startAt: Map<string, bigint> }> {
  const t = ctx.topology;
  const committed = new Map<string, bigint>();
  const startAt = new Map<string, bigint>();
  let streamTime = -1;
  const offsets = await ctx.clients.admin().fetchOffsets({ groupId: t.applicationId, topics: t.sourceTopics() });
  for (const topic of offsets) {
    const p = topic.partitions.find((x) => x.partition === partition);
    if (!p || Number(p.offset) < 0) {
      const start = startOffsets?.get(topic.topic)?.get(partition);
      if (start !== undefined) startAt.set(topic.topic, start);
      continue;
    }
    committed.set(topic.topic, BigInt(p.offset));
    const st = streamTimeOf(p.metadata);
    if (st !== undefined && st > streamTime) streamTime = st;
  }
  return { committed, streamTime, startAt };
}

async function openStores(ctx: RuntimeContext, dir: string, taskCount: number): Promise<Map<string, ManagedStore>> {
  const stores = new Map<string, ManagedStore>();
  for (const spec of ctx.topology.storeSpecs()) {
    const bytes = spec.persistent
      ? await RocksDbBytesStore.open(join(dir, spec.name), ctx.settings.rocksDb)
      : new MemoryBytesStore();
    const store = createManagedStore(taskShare(spec, taskCount), bytes);
    if (store instanceof CachedWindowStore) await store.loadBounds();
    stores.set(spec.name, store);
  }
  return stores;
}

export async function openTask(ctx: RuntimeContext, partition: number, options: OpenTaskOptions): Promise<TaskState> {
  const t = ctx.topology;
  const taskId = taskIdOf(partition);
  const log = ctx.logger.child({ taskId });
  const producer = ctx.settings.eos ? await fencingProducer(ctx, taskId) : undefined;
  const { committed, streamTime, startAt } = await committedOffsets(ctx, partition, options.startOffsets);
  const dir = join(ctx.settings.stateDir, t.applicationId, taskId);
  const checkpointPath = join(dir, 'checkpoint.json');
  const checkpoint = await readCheckpoint(checkpointPath);
  const stores = await openStores(ctx, dir, options.taskCount);
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
  let results: RestoreResult[];
  try {
    results = await restoreStores(ctx.kafka, ctx.clients.admin(), requests, {
      metrics: ctx.metrics,
      heartbeat: options.heartbeat ?? (() => ctx.heartbeat.beat()),
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
    options.onRestored(entry);
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
    // Records below the start are skipped like committed ones; the first commit records it. No
    // consumer seek: kafkajs keeps a seek for a partition revoked before its next fetch and applies
    // it when the partition comes back, by then possibly below a purged log start, and its answer to
    // OFFSET_OUT_OF_RANGE is to commit "earliest" (-2) for the group, wiping the committed offset
    // (duplicates for the next owner; found by the scale-out drill, bench/scale-out/takeover.ts).
    state.committed.set(topic, start);
    state.position.set(topic, start);
    state.processed.set(topic, start - 1n);
    state.dirty = true;
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
      maxEventTimeAheadMs: ctx.settings.maxEventTimeAheadMs,
      // Outputs wait for the commit as bytes; the typed copies would only keep objects alive.
      keepTyped: false,
      partitionCount: (topic) => ctx.partitions.known(topic),
      metrics: ctx.metrics.taskSink(),
      errorHandlers: ctx.settings.errorHandlers,
      log: (level, msg, fields) => log[level](fields, msg),
    },
  });
  await state.task.init();
  log.info(
    { committed: Object.fromEntries([...committed].map(([k, v]) => [k, v.toString()])), streamTime },
    'task open',
  );
  return state;
}

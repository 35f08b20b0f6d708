/**
 * Restores task stores from their changelog topics: for each (store, partition) read from the
 * checkpointed offset (or the beginning) up to the end offset seen at start, read_committed, and
 * apply the records straight to the byte store. kafkajs has no manual partition assignment, so a
 * throw-away consumer group subscribes to the changelog topics and pauses what it does not need.
 */
import { randomUUID } from 'node:crypto';
import type { Admin, Kafka } from 'kafkajs';
import { ForeshadowError } from '../runtime/errors.js';
import type { StreamsMetrics } from '../runtime/metrics.js';
import type { ChangelogEntry, ManagedStore } from './managed-store.js';

export interface RestoreRequest {
  taskId: string;
  store: ManagedStore;
  topic: string;
  partition: number;
  /** First offset to read (the checkpoint); 0 for a full restore. */
  from: bigint;
}

export interface RestoreResult {
  taskId: string;
  store: string;
  restored: number;
  from: bigint;
  /** Next offset after the restored range, to checkpoint. */
  to: bigint;
}

/** The restore gauges and counters (the app's StreamsMetrics). */
export type RestoreMetrics = Pick<StreamsMetrics, 'restored' | 'restoreRemaining'>;

export interface RestoreOptions {
  metrics: RestoreMetrics;
  /** Keeps the app's group membership alive while a long restore runs. */
  heartbeat?: () => Promise<void>;
  /** Default 5 minutes; a restore that takes longer fails (retriable) and is tried again. */
  timeoutMs?: number;
}

const key = (topic: string, partition: number): string => `${topic}:${partition}`;

export async function restoreStores(
  kafka: Kafka,
  admin: Admin,
  requests: RestoreRequest[],
  options: RestoreOptions,
): Promise<RestoreResult[]> {
  const results: RestoreResult[] = [];
  const pending = new Map<string, { req: RestoreRequest; end: bigint; restored: number; buffer: ChangelogEntry[] }>();
  const topics = [...new Set(requests.map((r) => r.topic))];
  for (const topic of topics) {
    const offsets = await admin.fetchTopicOffsets(topic);
    for (const req of requests.filter((r) => r.topic === topic)) {
      const o = offsets.find((x) => x.partition === req.partition);
      const end = BigInt(o?.high ?? '0');
      const low = BigInt(o?.low ?? '0');
      const from = req.from < low ? low : req.from;
      if (from >= end) {
        results.push({
          taskId: req.taskId,
          store: req.store.name,
          restored: 0,
          from,
          to: end > req.from ? end : req.from,
        });
        continue;
      }
      pending.set(key(topic, req.partition), { req: { ...req, from }, end, restored: 0, buffer: [] });
      options.metrics.restoreRemaining.set({ store: req.store.name, task: req.taskId }, Number(end - from));
    }
  }
  if (pending.size === 0) return results;

  const consumer = kafka.consumer({
    groupId: `restore-${randomUUID()}`,
    readUncommitted: false,
    maxBytesPerPartition: 4 * 1024 * 1024,
    maxWaitTimeInMs: 100,
  });
  const positions = new Map<string, bigint>();
  const flushInto = async (p: { req: RestoreRequest; buffer: ChangelogEntry[]; restored: number }): Promise<void> => {
    if (p.buffer.length === 0) return;
    const batch = p.buffer;
    p.buffer = [];
    await p.req.store.restore(batch);
    p.restored += batch.length;
    options.metrics.restored.inc({ store: p.req.store.name }, batch.length);
  };

  try {
    await consumer.connect();
    await consumer.subscribe({
      topics: [...new Set([...pending.values()].map((p) => p.req.topic))],
      fromBeginning: true,
    });
    let done!: () => void;
    let fail!: (err: unknown) => void;
    const finished = new Promise<void>((resolve, reject) => {
      done = resolve;
      fail = reject;
    });
    const check = (): void => {
      for (const [k, p] of pending) {
        const pos = positions.get(k) ?? p.req.from;
        if (pos < p.end) return;
      }
      done();
    };
    // Control records (transaction markers) never reach eachBatch; END_BATCH_PROCESS still reports them.
    consumer.on(consumer.events.END_BATCH_PROCESS, (e) => {
      const k = key(e.payload.topic, e.payload.partition);
      const p = pending.get(k);
      if (!p) return;
      const next = BigInt(e.payload.lastOffset) + 1n;
      if (next > (positions.get(k) ?? 0n)) positions.set(k, next);
      options.metrics.restoreRemaining.set(
        { store: p.req.store.name, task: p.req.taskId },
        Number(p.end > next ? p.end - next : 0n),
      );
      check();
    });
    consumer.on(consumer.events.GROUP_JOIN, (e) => {
      for (const [topic, partitions] of Object.entries(e.payload.memberAssignment)) {
        const unwanted = partitions.filter((p) => !pending.has(key(topic, p)));
        if (unwanted.length > 0) consumer.pause([{ topic, partitions: unwanted }]);
        for (const p of partitions) {
          const want = pending.get(key(topic, p));
          if (want) consumer.seek({ topic, partition: p, offset: want.req.from.toString() });
        }
      }
    });
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        const p = pending.get(key(batch.topic, batch.partition));
        if (!p) return;
        for (const m of batch.messages) {
          const offset = BigInt(m.offset);
          if (offset < p.req.from || offset >= p.end) continue;
          if (!m.key) continue;
          p.buffer.push({ key: m.key, value: m.value });
        }
        await flushInto(p);
        await options.heartbeat?.();
      },
    });
    const timeoutMs = options.timeoutMs ?? 300_000;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((_, reject) => {
      timer = setTimeout(
        () => reject(new ForeshadowError('TIMEOUT', `restore did not finish in ${timeoutMs} ms`, { retriable: true })),
        timeoutMs,
      );
    });
    const beat = setInterval(() => {
      options.heartbeat?.().catch((err: unknown) => fail(err));
    }, 2_000);
    try {
      await Promise.race([finished, timeout]);
    } finally {
      clearTimeout(timer);
      clearInterval(beat);
    }
  } finally {
    await consumer.disconnect();
  }
  for (const p of pending.values()) {
    await flushInto(p);
    options.metrics.restoreRemaining.set({ store: p.req.store.name, task: p.req.taskId }, 0);
    results.push({ taskId: p.req.taskId, store: p.req.store.name, restored: p.restored, from: p.req.from, to: p.end });
  }
  return results;
}

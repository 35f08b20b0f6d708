/**
 * The processing loop: each batch kafkajs fetches (one partition's records) runs through its task,
 * with a commit mid-batch when the stores hold too many uncommitted writes and after the batch
 * when the commit interval has passed; a ticker fires wall-clock punctuators and idle commits.
 * An outage (a retriable error) rewinds the task and pauses; a record whose error handler answers
 * `fail` stops the app (`onRecordFailed`) before anything past it is committed.
 */
import type { EachBatchPayload, IHeaders } from 'kafkajs';
import { describeError, isRetriable, RecordFailedError } from '../errors.js';
import type { RawRecord } from '../task-io.js';
import type { CommitProtocol } from './commit-protocol.js';
import type { RuntimeContext } from './runtime-context.js';
import type { TaskManager } from './task-manager.js';

/** Records between checks of kafkajs' isRunning/isStale and heartbeats within a batch. */
const STALE_CHECK = 200;

/** Back-off after a retriable failure: doubles from this up to MAX_RETRY_DELAY_MS. */
const FIRST_RETRY_DELAY_MS = 500;
const MAX_RETRY_DELAY_MS = 10_000;

function headersOf(h: IHeaders | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h ?? {})) {
    if (v === undefined) continue;
    const first = Array.isArray(v) ? v[0] : v;
    if (first !== undefined) out[k] = Buffer.isBuffer(first) ? first.toString('utf8') : String(first);
  }
  return out;
}

export class BatchLoop {
  /** Back-off after a retriable failure (reset by the next processed record). */
  private retryDelayMs = 0;

  constructor(
    private readonly ctx: RuntimeContext,
    private readonly tasks: TaskManager,
    private readonly commits: CommitProtocol,
    private readonly closing: () => boolean,
    /** A record's error handler answered `fail`: the app must stop without committing. */
    private readonly onRecordFailed: (err: RecordFailedError) => void,
  ) {}

  async onBatch(payload: EachBatchPayload): Promise<void> {
    const { batch, resolveOffset, heartbeat, isRunning, isStale } = payload;
    this.ctx.heartbeat.use(heartbeat);
    if (this.closing() || !isRunning() || isStale()) return;
    if (!this.tasks.assigned.has(batch.partition)) return;
    await this.tasks.reconcile();
    const state = this.tasks.get(batch.partition) ?? (await this.tasks.open(batch.partition, heartbeat));
    const skipBelow = state.position.get(batch.topic);
    const lag = Number(batch.offsetLag());
    this.ctx.metrics.consumerLag.set(
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
          if (!isRunning() || isStale() || this.closing()) return;
          if (i > 0) await heartbeat();
          if (state.task.uncommittedWrites() >= this.ctx.settings.maxUncommittedWrites) {
            settle();
            await this.commits.commitAll();
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
          if (err instanceof RecordFailedError) {
            // The records before it stay processed but uncommitted: the app stops without a commit.
            this.onRecordFailed(err);
            return;
          }
          if (!isRetriable(err)) throw err;
          // An outage (registry unreachable…): drop the task's uncommitted work, go back to the
          // committed offsets and try again after a pause; nothing is dead-lettered or lost.
          this.retryDelayMs = Math.min(MAX_RETRY_DELAY_MS, this.retryDelayMs * 2 || FIRST_RETRY_DELAY_MS);
          this.ctx.logger.warn(
            { taskId: state.task.taskId, error: describeError(err), retryInMs: this.retryDelayMs },
            'retriable failure; rewinding task',
          );
          // The rewind drops this batch's work too: nothing of it may be marked processed.
          lastHandled = undefined;
          lastProcessed = undefined;
          await this.tasks.rewind(batch.partition, state);
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
    if (this.commits.due()) await this.commits.commitAll();
  }

  /** Wall-clock punctuators of every task, then a commit if one is due (idle partitions too). */
  async onTick(): Promise<void> {
    if (this.closing()) return;
    const now = Date.now();
    try {
      for (const [, s] of this.tasks.entries()) await s.task.punctuate('wall-clock', now);
    } catch (err: unknown) {
      // A punctuator failed and the processing error handler said 'fail': stop, committing nothing.
      if (!(err instanceof RecordFailedError)) throw err;
      this.onRecordFailed(err);
      return;
    }
    if (this.commits.due(now)) await this.commits.commitAll();
  }
}

/**
 * The commit protocol, every `commitIntervalMs`, per task, in numbered steps:
 *   1. serialise the stores' write caches into changelog records;
 *   2. send outputs + changelog records, then the input offsets (with stream time as metadata):
 *      exactly-once: in one transaction of the task's transactional producer (`<appId>-<taskId>`),
 *      at-least-once: a plain send, then an offset commit;
 *   3. only then write the cached changes to RocksDB and the changelog offset to the checkpoint.
 * If step 2 fails the transaction is aborted and the task is rewound (`TaskManager.rewind`):
 * RocksDB still holds the last committed state, the consumer goes back to the committed offsets,
 * and the next batch recreates the task (restoring just the changelog tail after its checkpoint).
 */
import type { Message, RecordMetadata } from 'kafkajs';
import { writeCheckpoint } from '../../state/checkpoint.js';
import { describeError, NotConnectedError } from '../errors.js';
import { chunkMessages } from '../send-chunks.js';
import { commitFailure } from './kafka-errors.js';
import { offsetMetadata } from './offset-metadata.js';
import type { RepartitionPurge } from './repartition-purge.js';
import type { RuntimeContext } from './runtime-context.js';
import type { TaskManager } from './task-manager.js';
import type { TaskState } from './task-state.js';

type SendBatch = (batch: {
  topicMessages: { topic: string; messages: Message[] }[];
  acks: number;
}) => Promise<RecordMetadata[]>;

export class CommitProtocol {
  private lastCommit = Date.now();

  constructor(
    private readonly ctx: RuntimeContext,
    private readonly tasks: TaskManager,
    private readonly purge: RepartitionPurge,
  ) {}

  /** Whether the commit interval has passed since the last commit. */
  due(now = Date.now()): boolean {
    return now - this.lastCommit >= this.ctx.settings.commitIntervalMs;
  }

  /** Commit every task with something to commit; a task whose commit fails is rewound. */
  async commitAll(): Promise<void> {
    this.lastCommit = Date.now();
    const due = this.tasks.entries().filter(([, s]) => s.dirty);
    // Tasks commit independently (own transaction, own partitions), so their round trips overlap.
    const results = await Promise.allSettled(due.map(([partition, s]) => this.commitTask(partition, s)));
    for (let i = 0; i < due.length; i++) {
      const r = results[i];
      const [partition, s] = due[i]!;
      if (r?.status !== 'rejected') continue;
      this.ctx.metrics.commits.inc({ result: 'failed' });
      this.ctx.logger.warn({ taskId: s.task.taskId, error: describeError(r.reason) }, 'commit failed; rewinding task');
      await this.tasks.rewind(partition, s);
    }
  }

  /** One task's commit; a failure is thrown as a named error where it has a name (kafka-errors.ts). */
  async commitTask(partition: number, s: TaskState): Promise<void> {
    try {
      await this.commitSteps(partition, s);
    } catch (err: unknown) {
      throw commitFailure(err, { taskId: s.task.taskId });
    }
  }

  private async commitSteps(partition: number, s: TaskState): Promise<void> {
    const { topology: t, settings } = this.ctx;
    const timer = this.ctx.metrics.commitLatency.startTimer({ guarantee: settings.guarantee });
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
    const changelogStores = new Set<string>();
    const changelogTopics = new Set(changelog.map((c) => t.changelogTopic(c.store)));
    for (const c of changelog) {
      changelogStores.add(c.store);
      for (const e of c.entries) push(t.changelogTopic(c.store), { key: e.key, value: e.value, partition });
    }
    const offsets = [...s.processed].map(([topic, offset]) => ({
      topic,
      partitions: [{ partition, offset: (offset + 1n).toString(), metadata: offsetMetadata(s.task.streamTime) }],
    }));
    // 2. Outputs + changelog + offsets.
    const nextChangelogOffset = new Map<string, bigint>();
    const sendAll = async (send: SendBatch): Promise<void> => {
      for (const chunk of chunkMessages(byTopic, settings.sendLimits)) {
        const meta = await send({ topicMessages: chunk, acks: -1 });
        await this.ctx.heartbeat.beat();
        for (const c of chunk) {
          if (!changelogTopics.has(c.topic)) continue;
          const m = meta.find((x) => x.topicName === c.topic && x.partition === partition);
          if (m?.baseOffset === undefined) continue;
          const next = BigInt(m.baseOffset) + BigInt(c.messages.length);
          if (next > (nextChangelogOffset.get(c.topic) ?? -1n)) nextChangelogOffset.set(c.topic, next);
        }
      }
    };
    if (settings.eos) {
      if (!s.producer) throw new NotConnectedError('transactional producer', { taskId: s.task.taskId });
      const txn = await s.producer.transaction();
      try {
        await sendAll((b) => txn.sendBatch(b));
        if (offsets.length > 0) await txn.sendOffsets({ consumerGroupId: t.applicationId, topics: offsets });
        if (settings.failCommit?.(s.task.taskId)) throw new Error('injected commit failure');
        await txn.commit();
      } catch (err: unknown) {
        await txn.abort().catch(() => undefined);
        throw err;
      }
    } else {
      const producer = this.ctx.clients.sharedProducer();
      await sendAll((b) => producer.sendBatch(b));
      if (settings.failCommit?.(s.task.taskId)) throw new Error('injected commit failure');
      if (offsets.length > 0)
        await this.ctx.clients.consumer().commitOffsets(offsets.map((o) => ({ topic: o.topic, ...o.partitions[0]! })));
    }
    // 3. Committed: make the local state match, then record how far the changelog is applied.
    await s.task.applyCommit();
    for (const store of changelogStores) {
      const next = nextChangelogOffset.get(t.changelogTopic(store));
      if (next !== undefined) s.checkpoint[store] = next.toString();
    }
    if (changelogStores.size > 0) await writeCheckpoint(s.checkpointPath, s.checkpoint);
    for (const [topic, offset] of s.processed) {
      s.committed.set(topic, offset + 1n);
      this.purge.committed(topic, partition, offset + 1n);
    }
    for (const [topic, messages] of byTopic)
      if (!changelogTopics.has(topic)) this.ctx.metrics.recordsProduced.inc({ topic }, messages.length);
    for (const o of s.outputs) if (o.decision) this.ctx.metrics.decisions.inc({ topic: o.topic, ...o.decision });
    s.processed.clear();
    s.outputs = [];
    s.dirty = false;
    this.ctx.metrics.commits.inc({ result: 'ok' });
    timer();
  }
}

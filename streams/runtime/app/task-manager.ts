/**
 * The tasks this instance runs: which partitions the group assigned it, opening their tasks
 * (eagerly on assignment, or on a batch), closing revoked ones, and rewinding a task to its last
 * commit. Everything here runs under the app's mutex.
 */

import { openTask, type RestoreEntry, type StartOffsets } from './open-task.js';
import type { RuntimeContext } from './runtime-context.js';
import type { TaskState } from './task-state.js';

export class TaskManager {
  private readonly tasks = new Map<number, TaskState>();
  /** Partitions of the latest assignment. */
  assigned = new Set<number>();
  /** Tasks of the app (its co-partitioned source count): store cache budgets are split by it. */
  taskCount = 1;
  /** Restore results, for tests and operators (also logged and counted). */
  readonly restores: RestoreEntry[] = [];
  /** Where partitions without a committed offset start (startAt 'latest'); else their earliest. */
  startOffsets: StartOffsets | undefined;

  constructor(
    private readonly ctx: RuntimeContext,
    /** True once the app is closing: no new tasks then. */
    private readonly closing: () => boolean,
  ) {}

  get(partition: number): TaskState | undefined {
    return this.tasks.get(partition);
  }

  /** The open tasks by partition (a copy: closing one while iterating is safe). */
  entries(): [partition: number, state: TaskState][] {
    return [...this.tasks];
  }

  /** Partitions whose tasks are open, ascending. */
  partitions(): number[] {
    return [...this.tasks.keys()].sort((a, b) => a - b);
  }

  /** Open (or reopen) the task of `partition`: fence, read committed offsets, restore, init. */
  async open(partition: number, heartbeat?: () => Promise<void>): Promise<TaskState> {
    const state = await openTask(this.ctx, partition, {
      taskCount: this.taskCount,
      heartbeat,
      ...(this.startOffsets ? { startOffsets: this.startOffsets } : {}),
      onRestored: (entry) => this.restores.push(entry),
    });
    this.tasks.set(partition, state);
    return state;
  }

  /** Close a task, dropping its uncommitted work (a clean shutdown commits before). */
  async close(partition: number): Promise<void> {
    const s = this.tasks.get(partition);
    if (!s) return;
    this.tasks.delete(partition);
    s.task.abort();
    await s.task.closeProcessors();
    for (const store of s.stores.values()) await store.close();
    await s.producer?.disconnect().catch(() => undefined);
    this.ctx.logger.info({ taskId: s.task.taskId }, 'task closed');
  }

  async closeAll(): Promise<void> {
    for (const p of [...this.tasks.keys()]) await this.close(p);
  }

  /** Close revoked tasks; with `openNew`, open (restore) the newly assigned ones too. */
  async reconcile(openNew = false): Promise<void> {
    for (const p of [...this.tasks.keys()]) {
      // Revoked: its new owner resumes from the committed offsets, so nothing uncommitted may leak.
      if (!this.assigned.has(p)) await this.close(p);
    }
    if (!openNew || this.closing()) return;
    for (const p of [...this.assigned].sort((a, b) => a - b)) {
      if (!this.tasks.has(p)) await this.open(p);
    }
  }

  /** Drop the task's uncommitted work and move the consumer back to its committed offsets. */
  async rewind(partition: number, s: TaskState): Promise<void> {
    const positions = new Map(s.committed);
    await this.close(partition);
    if (!this.assigned.has(partition)) return;
    for (const topic of this.ctx.topology.sourceTopics()) {
      let offset = positions.get(topic);
      if (offset === undefined) {
        const o = await this.ctx.clients.admin().fetchTopicOffsets(topic);
        offset = BigInt(o.find((x) => x.partition === partition)?.low ?? '0');
      }
      this.ctx.clients.consumer().seek({ topic, partition, offset: offset.toString() });
    }
  }
}

/**
 * What the runner keeps per task beside the task engine: its stores and producer, the outputs
 * waiting for the next commit, and three offset maps per source topic (see the fields).
 */
import type { Producer } from 'kafkajs';
import type { Checkpoint } from '../../state/checkpoint.js';
import type { ManagedStore } from '../../state/managed-store.js';
import type { StreamTask } from '../task.js';
import type { OutgoingRecord } from '../task-io.js';

export interface TaskState {
  task: StreamTask;
  stores: Map<string, ManagedStore>;
  /** Exactly-once: the task's transactional producer (`<appId>-<taskId>`). */
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
  /** Per store, the changelog offset up to which the local state is complete. */
  checkpoint: Checkpoint;
  /** Something to commit: processed records or outputs since the last commit. */
  dirty: boolean;
}

/** One task per partition number of the co-partitioned sources. */
export function taskIdOf(partition: number): string {
  return `0_${partition}`;
}

/**
 * The ProcessorContext each processor node gets: forwarding (to all children or a named one), its
 * connected stores, the task's clocks, late-record reports and punctuation schedules. Forwarded
 * records wait in the node's `pending` list until the task drains them depth-first.
 */
import type { ManagedStore } from '../state/managed-store.js';
import type { KeyValueStore, WindowStore } from '../state/store.js';
import { ForeshadowError } from './errors.js';
import type {
  Cancellable,
  LateInfo,
  Processor,
  ProcessorContext,
  PunctuationType,
  RecordMetadata,
} from './processor.js';
import { newSchedule, type Schedule } from './punctuation.js';
import type { StreamRecord } from './record.js';
import type { RawRecord, TaskHooks } from './task-io.js';
import type { ProcessorNode, Topology } from './topology.js';

export interface Pending {
  record: StreamRecord<unknown, unknown>;
  child: string | undefined;
}

/** A processor node as it runs in one task. */
export interface RuntimeNode {
  node: ProcessorNode;
  processor: Processor<unknown, unknown>;
  context: NodeContext;
  pending: Pending[];
  schedules: Schedule[];
}

/** What a node's context reads of its task. */
export interface ContextTask {
  readonly topology: Topology;
  readonly taskId: string;
  readonly streamTime: number;
  readonly currentRaw: RawRecord | undefined;
  readonly hooks: TaskHooks;
  readonly stores: ReadonlyMap<string, ManagedStore>;
  reportLate(processor: string, info: LateInfo): void;
}

export class NodeContext implements ProcessorContext {
  constructor(
    private readonly task: ContextTask,
    private readonly rt: () => RuntimeNode,
  ) {}

  get applicationId(): string {
    return this.task.topology.applicationId;
  }

  get taskId(): string {
    return this.task.taskId;
  }

  recordMetadata(): RecordMetadata | undefined {
    const raw = this.task.currentRaw;
    return raw ? { topic: raw.topic, partition: raw.partition, offset: raw.offset } : undefined;
  }

  streamTime(): number {
    return this.task.streamTime;
  }

  wallClockTime(): number {
    return this.task.hooks.wallClock();
  }

  forward<K, V>(record: StreamRecord<K, V>, childName?: string): void {
    const rt = this.rt();
    if (childName !== undefined && !rt.node.children.includes(childName)) {
      throw new ForeshadowError('PROCESSING_FAILED', `${rt.node.name} has no child "${childName}"`, {
        context: { children: rt.node.children },
      });
    }
    rt.pending.push({ record: record as StreamRecord<unknown, unknown>, child: childName });
  }

  private store(name: string): ManagedStore {
    const rt = this.rt();
    if (!rt.node.stores.has(name)) {
      throw new ForeshadowError('STORE_FAILED', `processor ${rt.node.name} is not connected to store "${name}"`);
    }
    const s = this.task.stores.get(name);
    if (!s) throw new ForeshadowError('STORE_FAILED', `store "${name}" is not open in task ${this.task.taskId}`);
    return s;
  }

  getKeyValueStore<K, V>(name: string): KeyValueStore<K, V> {
    const s = this.store(name);
    if (s.spec.kind !== 'key-value') throw new ForeshadowError('STORE_FAILED', `store "${name}" is a window store`);
    return s as unknown as KeyValueStore<K, V>;
  }

  getWindowStore<K, V>(name: string): WindowStore<K, V> {
    const s = this.store(name);
    if (s.spec.kind !== 'window') throw new ForeshadowError('STORE_FAILED', `store "${name}" is a key-value store`);
    return s as unknown as WindowStore<K, V>;
  }

  reportLate(info: LateInfo): void {
    this.task.reportLate(this.rt().node.name, info);
  }

  schedule(
    intervalMs: number,
    type: PunctuationType,
    callback: (timestamp: number) => void | Promise<void>,
  ): Cancellable {
    if (!(intervalMs > 0)) throw new ForeshadowError('CONFIG_INVALID', `punctuation interval must be > 0`);
    const now = type === 'wall-clock' ? this.task.hooks.wallClock() : this.task.streamTime;
    const s = newSchedule(type, intervalMs, now, callback);
    this.rt().schedules.push(s);
    return {
      cancel: () => {
        s.cancelled = true;
      },
    };
  }
}

/**
 * The low-level topology: a named graph of sources (topics + serdes + timestamp extractor),
 * processors (suppliers, one instance per task), state stores connected to processors, and sinks.
 * The DSL (streams-builder.ts) compiles to this; the Kafka runner (streams-app.ts) and the
 * TopologyTestDriver both execute it through the same task engine (task.ts).
 *
 * All sources of one topology form a single co-partitioned sub-topology: task N owns partition N of
 * every source topic (and of every store changelog), as joins and repartitioning require.
 */
import type { KeyValueStoreSpec, StoreSpec, WindowStoreSpec } from '../state/store-spec.js';
import { ForeshadowError } from './errors.js';
import type { ProcessorSupplier } from './processor.js';
import type { Headers } from './record.js';
import type { Serde } from './serdes.js';

export { keyValueStoreSpec, recordKeyString, windowStoreSpec } from '../state/store-spec.js';
export type { KeyValueStoreSpec, StoreSpec, WindowStoreSpec };

/** What a timestamp extractor sees: the deserialised record plus where it came from. */
export interface ConsumedRecord<K, V> {
  key: K;
  value: V;
  /** The Kafka record timestamp (producer or broker time). */
  timestamp: number;
  headers: Headers;
  topic: string;
  partition: number;
}

export type TimestampExtractor<K, V> = (record: ConsumedRecord<K, V>) => number;

export interface SourceSpec<K, V> {
  name: string;
  topics: string[];
  keySerde: Serde<K>;
  valueSerde: Serde<V>;
  /** Event time of a record; default the Kafka record timestamp. */
  timestampExtractor?: TimestampExtractor<K, V>;
}

export interface SinkSpec<K, V> {
  name: string;
  topic: string;
  keySerde: Serde<K>;
  valueSerde: Serde<V>;
  /** Output partition; default the Kafka (murmur2) hash of the serialised key. */
  partitioner?: (key: K, value: V, partitionCount: number) => number;
  /**
   * Which decision an output record is, if any (a shadow CREATE acted on, a promotion held, …):
   * counted in `foreshadow_decisions_total` once the record is committed.
   */
  decision?: (key: K, value: V) => DecisionLabels | undefined;
}

/** Labels of a decision record: what was decided and what became of it (acted, advised, held, …). */
export interface DecisionLabels {
  decision: string;
  outcome: string;
}

export interface SourceNode {
  kind: 'source';
  name: string;
  spec: SourceSpec<unknown, unknown>;
  children: string[];
}

export interface ProcessorNode {
  kind: 'processor';
  name: string;
  supplier: ProcessorSupplier<unknown, unknown>;
  parents: string[];
  children: string[];
  stores: Set<string>;
}

export interface SinkNode {
  kind: 'sink';
  name: string;
  spec: SinkSpec<unknown, unknown>;
  parents: string[];
}

export type TopologyNode = SourceNode | ProcessorNode | SinkNode;

export interface InternalTopic {
  name: string;
  kind: 'repartition';
}

const APP_ID = /^[a-zA-Z0-9._-]+$/;

export class Topology {
  private readonly nodes = new Map<string, TopologyNode>();
  private readonly stores = new Map<string, StoreSpec>();
  private readonly topicToSource = new Map<string, string>();
  private readonly internal = new Map<string, InternalTopic>();

  /** Early-commit bound this topology asks for (see `limitUncommittedWrites`); undefined: the runner's default. */
  private uncommittedLimit: number | undefined;

  constructor(readonly applicationId: string) {
    if (!APP_ID.test(applicationId)) {
      throw new ForeshadowError('CONFIG_INVALID', `application id "${applicationId}" must match ${APP_ID}`);
    }
  }

  /**
   * Commit a task early once its stores hold this many uncommitted writes. For topologies whose
   * store values are large (host states of 5-140 KB): uncommitted values are held as objects until
   * the commit, so the runner's default would let one fetched batch hold thousands of them per task.
   */
  limitUncommittedWrites(writes: number): this {
    if (!Number.isInteger(writes) || writes < 1)
      throw new ForeshadowError('CONFIG_INVALID', `uncommitted-writes limit must be a positive integer, got ${writes}`);
    this.uncommittedLimit = writes;
    return this;
  }

  get maxUncommittedWrites(): number | undefined {
    return this.uncommittedLimit;
  }

  private claim(name: string): void {
    if (this.nodes.has(name)) throw new ForeshadowError('CONFIG_INVALID', `topology node "${name}" already exists`);
  }

  private parentsOf(name: string, parents: string[]): void {
    if (parents.length === 0) throw new ForeshadowError('CONFIG_INVALID', `node "${name}" needs at least one parent`);
    for (const p of parents) {
      const parent = this.nodes.get(p);
      if (!parent) throw new ForeshadowError('CONFIG_INVALID', `node "${name}": unknown parent "${p}"`);
      if (parent.kind === 'sink')
        throw new ForeshadowError('CONFIG_INVALID', `node "${name}": sink "${p}" cannot be a parent`);
      parent.children.push(name);
    }
  }

  addSource<K, V>(spec: SourceSpec<K, V>): this {
    this.claim(spec.name);
    if (spec.topics.length === 0) throw new ForeshadowError('CONFIG_INVALID', `source "${spec.name}" has no topics`);
    for (const t of spec.topics) {
      const other = this.topicToSource.get(t);
      if (other)
        throw new ForeshadowError('CONFIG_INVALID', `topic ${t} is read by sources "${other}" and "${spec.name}"`);
      this.topicToSource.set(t, spec.name);
    }
    this.nodes.set(spec.name, {
      kind: 'source',
      name: spec.name,
      spec: spec as SourceSpec<unknown, unknown>,
      children: [],
    });
    return this;
  }

  addProcessor<KIn, VIn>(name: string, supplier: ProcessorSupplier<KIn, VIn>, parents: string[]): this {
    this.claim(name);
    this.parentsOf(name, parents);
    this.nodes.set(name, {
      kind: 'processor',
      name,
      supplier: supplier as ProcessorSupplier<unknown, unknown>,
      parents: [...parents],
      children: [],
      stores: new Set(),
    });
    return this;
  }

  addStateStore<K, V>(spec: KeyValueStoreSpec<K, V> | WindowStoreSpec<K, V>, processors: string[]): this {
    const existing = this.stores.get(spec.name);
    if (existing && existing !== spec) {
      throw new ForeshadowError('CONFIG_INVALID', `store "${spec.name}" is declared twice with different specs`);
    }
    this.stores.set(spec.name, spec as StoreSpec);
    for (const p of processors) this.connectStore(spec.name, p);
    return this;
  }

  /** Give another processor access to an already declared store. */
  connectStore(storeName: string, processorName: string): this {
    if (!this.stores.has(storeName)) throw new ForeshadowError('CONFIG_INVALID', `unknown store "${storeName}"`);
    const node = this.nodes.get(processorName);
    if (node?.kind !== 'processor') {
      throw new ForeshadowError('CONFIG_INVALID', `store "${storeName}": "${processorName}" is not a processor`);
    }
    node.stores.add(storeName);
    return this;
  }

  addSink<K, V>(spec: SinkSpec<K, V>, parents: string[]): this {
    this.claim(spec.name);
    this.parentsOf(spec.name, parents);
    this.nodes.set(spec.name, {
      kind: 'sink',
      name: spec.name,
      spec: spec as SinkSpec<unknown, unknown>,
      parents: [...parents],
    });
    return this;
  }

  /** Declare a topic the runner creates (same partition count as the inputs) and owns. */
  addInternalTopic(topic: InternalTopic): this {
    this.internal.set(topic.name, topic);
    return this;
  }

  node(name: string): TopologyNode | undefined {
    return this.nodes.get(name);
  }

  allNodes(): TopologyNode[] {
    return [...this.nodes.values()];
  }

  sources(): SourceNode[] {
    return this.allNodes().filter((n): n is SourceNode => n.kind === 'source');
  }

  sinks(): SinkNode[] {
    return this.allNodes().filter((n): n is SinkNode => n.kind === 'sink');
  }

  sourceForTopic(topic: string): SourceNode | undefined {
    const name = this.topicToSource.get(topic);
    const node = name === undefined ? undefined : this.nodes.get(name);
    return node?.kind === 'source' ? node : undefined;
  }

  sourceTopics(): string[] {
    return [...this.topicToSource.keys()];
  }

  storeSpecs(): StoreSpec[] {
    return [...this.stores.values()];
  }

  storeSpec(name: string): StoreSpec | undefined {
    return this.stores.get(name);
  }

  internalTopics(): InternalTopic[] {
    return [...this.internal.values()];
  }

  changelogTopic(storeName: string): string {
    return `${this.applicationId}-${storeName}-changelog`;
  }

  lateTopic(): string {
    return `${this.applicationId}.late`;
  }

  /** Processor nodes in an order where parents come before children. */
  processorOrder(): ProcessorNode[] {
    const out: ProcessorNode[] = [];
    const seen = new Set<string>();
    const visit = (name: string): void => {
      if (seen.has(name)) return;
      seen.add(name);
      const n = this.nodes.get(name);
      if (!n) return;
      if (n.kind === 'processor') for (const p of n.parents) visit(p);
      if (n.kind === 'processor') out.push(n);
    };
    for (const n of this.nodes.values()) visit(n.name);
    return out;
  }

  describe(): string {
    const lines = [`Topology ${this.applicationId}`];
    for (const n of this.nodes.values()) {
      if (n.kind === 'source')
        lines.push(`  source ${n.name} [${n.spec.topics.join(', ')}] -> ${n.children.join(', ')}`);
      if (n.kind === 'processor') {
        const stores = n.stores.size ? ` stores(${[...n.stores].join(', ')})` : '';
        lines.push(`  processor ${n.name}${stores} -> ${n.children.join(', ') || '(none)'}`);
      }
      if (n.kind === 'sink') lines.push(`  sink ${n.name} -> ${n.spec.topic}`);
    }
    return lines.join('\n');
  }
}

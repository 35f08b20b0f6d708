/**
 * KStream and KTable: each DSL step adds named nodes to the builder's low-level topology and
 * returns the stream of the node it added. Stateful steps (join, grouping) live beside their
 * processors in this folder; `StreamsBuilder` (../streams-builder.ts) is where a DSL program starts.
 */
import { ForeshadowError } from '../errors.js';
import type { ProcessorSupplier } from '../processor.js';
import type { Serde } from '../serdes.js';
import type { Topology } from '../topology.js';
import type { KeyValuePair, RepartitionOptions, ToOptions } from './dsl-options.js';
import { KGroupedStream } from './grouped-stream.js';
import { streamTableJoinProcessor } from './join-processor.js';
import { branchProcessor, statelessProcessor } from './stateless-processors.js';

/** What the DSL needs of its builder: the topology it adds to, and names for unnamed steps. */
export interface StreamGraph {
  readonly topology: Topology;
  readonly applicationId: string;
  nextName(kind: string): string;
}

export class KTable<K, V> {
  constructor(
    readonly builder: StreamGraph,
    readonly nodeName: string,
    readonly storeName: string,
    readonly keySerde: Serde<K>,
    readonly valueSerde: Serde<V>,
  ) {}

  /** The table's changes as a stream (deletes arrive with a null value). */
  toStream(): KStream<K, V> {
    return new KStream(this.builder, this.nodeName, this.keySerde, this.valueSerde);
  }
}

export class KStream<K, V> {
  constructor(
    readonly builder: StreamGraph,
    readonly nodeName: string,
    readonly keySerde: Serde<K> | undefined,
    readonly valueSerde: Serde<V> | undefined,
  ) {}

  private get topology(): Topology {
    return this.builder.topology;
  }

  /** The stream of another node of the same topology (a step added by a grouped stream). */
  derive<K2, V2>(nodeName: string, keySerde?: Serde<K2>, valueSerde?: Serde<V2>): KStream<K2, V2> {
    return new KStream<K2, V2>(this.builder, nodeName, keySerde, valueSerde);
  }

  private add<K2, V2>(
    kind: string,
    supplier: ProcessorSupplier<K, V>,
    name: string | undefined,
    keySerde?: Serde<K2>,
    valueSerde?: Serde<V2>,
  ): KStream<K2, V2> {
    const n = name ?? this.builder.nextName(kind);
    this.topology.addProcessor(n, supplier, [this.nodeName]);
    return this.derive<K2, V2>(n, keySerde, valueSerde);
  }

  filter(predicate: (key: K, value: V) => boolean, name?: string): KStream<K, V> {
    return this.add(
      'filter',
      statelessProcessor<K, V>((r, f) => {
        if (predicate(r.key, r.value)) f(r);
      }),
      name,
      this.keySerde,
      this.valueSerde,
    );
  }

  map<K2, V2>(fn: (key: K, value: V) => KeyValuePair<K2, V2>, name?: string): KStream<K2, V2> {
    return this.add<K2, V2>(
      'map',
      statelessProcessor<K, V>((r, f) => {
        const kv = fn(r.key, r.value);
        f(r.withKey(kv.key).withValue(kv.value));
      }),
      name,
    );
  }

  mapValues<V2>(fn: (value: V, key: K) => V2, name?: string): KStream<K, V2> {
    return this.add<K, V2>(
      'map-values',
      statelessProcessor<K, V>((r, f) => f(r.withValue(fn(r.value, r.key)))),
      name,
      this.keySerde,
    );
  }

  flatMap<K2, V2>(fn: (key: K, value: V) => Iterable<KeyValuePair<K2, V2>>, name?: string): KStream<K2, V2> {
    return this.add<K2, V2>(
      'flat-map',
      statelessProcessor<K, V>((r, f) => {
        for (const kv of fn(r.key, r.value)) f(r.withKey(kv.key).withValue(kv.value));
      }),
      name,
    );
  }

  peek(fn: (key: K, value: V) => void, name?: string): KStream<K, V> {
    return this.add(
      'peek',
      statelessProcessor<K, V>((r, f) => {
        fn(r.key, r.value);
        f(r);
      }),
      name,
      this.keySerde,
      this.valueSerde,
    );
  }

  /**
   * One output stream per predicate: a record goes to the first branch whose predicate holds, and
   * is dropped when none does (add `() => true` last for a default branch).
   */
  branch(predicates: ((key: K, value: V) => boolean)[], name?: string): KStream<K, V>[] {
    const n = name ?? this.builder.nextName('branch');
    const children = predicates.map((_, i) => `${n}-${i}`);
    this.topology.addProcessor<K, V>(n, branchProcessor(predicates, children), [this.nodeName]);
    return children.map((child) => {
      this.topology.addProcessor(
        child,
        statelessProcessor<K, V>((r, f) => f(r)),
        [n],
      );
      return this.derive<K, V>(child, this.keySerde, this.valueSerde);
    });
  }

  /** Run a custom processor (Processor API) connected to the named, already declared stores. */
  process<K2, V2>(
    supplier: ProcessorSupplier<K, V, K2, V2>,
    options: { name: string; stores?: string[] },
  ): KStream<K2, V2> {
    this.topology.addProcessor(options.name, supplier, [this.nodeName]);
    for (const s of options.stores ?? []) this.topology.connectStore(s, options.name);
    return this.derive<K2, V2>(options.name);
  }

  /**
   * New key, then through the internal topic `<applicationId>-<name>-repartition` so each key lands
   * in the task (partition) that owns it downstream.
   */
  selectKey<K2>(fn: (key: K, value: V) => K2, options: RepartitionOptions<K2, V>): KStream<K2, V> {
    const keyed = this.add<K2, V>(
      'select-key',
      statelessProcessor<K, V>((r, f) => f(r.withKey(fn(r.key, r.value)))),
      `${options.name}-select-key`,
    );
    return keyed.repartition(options);
  }

  /** Write through the internal repartition topic and read back, partitioned by the current key. */
  repartition(options: RepartitionOptions<K, V>): KStream<K, V> {
    const topic = `${this.builder.applicationId}-${options.name}-repartition`;
    this.topology.addInternalTopic({ name: topic, kind: 'repartition' });
    this.topology.addSink(
      { name: `${options.name}-repartition-sink`, topic, keySerde: options.keySerde, valueSerde: options.valueSerde },
      [this.nodeName],
    );
    const source = `${options.name}-repartition-source`;
    this.topology.addSource({
      name: source,
      topics: [topic],
      keySerde: options.keySerde,
      valueSerde: options.valueSerde,
    });
    return this.derive<K, V>(source, options.keySerde, options.valueSerde);
  }

  groupByKey(options: { keySerde?: Serde<K>; valueSerde?: Serde<V> } = {}): KGroupedStream<K, V> {
    const keySerde = options.keySerde ?? this.keySerde;
    const valueSerde = options.valueSerde ?? this.valueSerde;
    if (!keySerde) {
      throw new ForeshadowError(
        'CONFIG_INVALID',
        `groupByKey after ${this.nodeName}: pass keySerde (the key type changed)`,
      );
    }
    return new KGroupedStream<K, V>(this, keySerde, valueSerde);
  }

  /** Inner join with the table's current value for the record's key; no table value, no output. */
  join<TV, R>(table: KTable<K, TV>, joiner: (value: V, tableValue: TV, key: K) => R, name?: string): KStream<K, R> {
    return this.joinWith(table, joiner, false, name);
  }

  /** Like join, but a missing table value gives the joiner `undefined` instead of dropping. */
  leftJoin<TV, R>(
    table: KTable<K, TV>,
    joiner: (value: V, tableValue: TV | undefined, key: K) => R,
    name?: string,
  ): KStream<K, R> {
    return this.joinWith(table, joiner as (value: V, tableValue: TV, key: K) => R, true, name);
  }

  private joinWith<TV, R>(
    table: KTable<K, TV>,
    joiner: (value: V, tableValue: TV, key: K) => R,
    left: boolean,
    name?: string,
  ): KStream<K, R> {
    const n = name ?? this.builder.nextName('join');
    this.topology.addProcessor<K, V>(n, streamTableJoinProcessor(table.storeName, joiner, left), [this.nodeName]);
    this.topology.connectStore(table.storeName, n);
    return this.derive<K, R>(n, this.keySerde, undefined);
  }

  to(topic: string, options: ToOptions<K, V>): void {
    this.topology.addSink(
      {
        name: options.name ?? `sink-${topic}`,
        topic,
        keySerde: options.keySerde,
        valueSerde: options.valueSerde,
        partitioner: options.partitioner,
      },
      [this.nodeName],
    );
  }
}

/**
 * The DSL: a fluent way to build a Topology. Each step adds named nodes to the low-level topology,
 * so anything built here runs the same under the Kafka runner and the TopologyTestDriver.
 *
 *   const b = new StreamsBuilder('foreshadow-cpu');
 *   b.stream('metrics.samples', { keySerde: stringSerde, valueSerde: avroSerde<HostSample>(), timestampExtractor })
 *     .filter((_k, v) => v.cpu >= 0)
 *     .selectKey((_k, v) => v.region, { name: 'by-region', keySerde: stringSerde, valueSerde: sampleSerde })
 *     .groupByKey()
 *     .windowedBy(TimeWindows.of({ sizeMs: 60_000, graceMs: 10_000 }))
 *     .aggregate({ storeName: 'cpu-1m', initializer: () => 0, aggregator: (_k, v, a) => a + v.cpu,
 *                  valueSerde: numberSerde, emit: 'on-window-close' })
 *     .to('region.cpu', { keySerde: windowedSerde(stringSerde), valueSerde: numberSerde });
 *   const topology = b.build();
 *
 * Stores and repartition topics are always named by the caller (the name fixes the changelog or
 * repartition topic); processor node names default to `<KIND>-<n>` and only label metrics.
 */
import type { KeyValueStore, WindowedKey, WindowStore } from '../state/store.js';
import { keyValueStoreSpec, windowStoreSpec } from '../state/store-spec.js';
import { SlidingWindows, type TimeWindow, type WindowDefinition } from '../windows/windows.js';
import { ForeshadowError } from './errors.js';
import type { Processor, ProcessorContext, ProcessorSupplier } from './processor.js';
import { StreamRecord } from './record.js';
import { jsonSerde, type Serde } from './serdes.js';
import { type SinkSpec, type TimestampExtractor, Topology } from './topology.js';

export interface KeyValuePair<K, V> {
  key: K;
  value: V;
}

export interface StreamOptions<K, V> {
  keySerde: Serde<K>;
  valueSerde: Serde<V>;
  timestampExtractor?: TimestampExtractor<K, V>;
  /** Source node name (default derived from the topic). */
  name?: string;
}

export interface TableOptions<K, V> {
  keySerde: Serde<K>;
  valueSerde: Serde<V>;
  /** Names the key-value store holding the table, hence its changelog topic. */
  storeName: string;
  timestampExtractor?: TimestampExtractor<K, V>;
}

export interface ToOptions<K, V> {
  keySerde: Serde<K>;
  valueSerde: Serde<V>;
  partitioner?: SinkSpec<K, V>['partitioner'];
  name?: string;
}

export interface RepartitionOptions<K, V> {
  /** Names the internal topic `<applicationId>-<name>-repartition`. */
  name: string;
  keySerde: Serde<K>;
  valueSerde: Serde<V>;
}

export type Emit = 'on-window-close' | 'on-update';

export interface WindowedAggregateOptions<K, V, A> {
  /** Names the window store (and its changelog); the emit-state store is `<storeName>-emit`. */
  storeName: string;
  initializer: () => A;
  aggregator: (key: K, value: V, aggregate: A) => A;
  valueSerde: Serde<A>;
  /** Final results once per window after it closes (default), or every update. */
  emit?: Emit;
}

export interface AggregateOptions<K, V, A> {
  storeName: string;
  initializer: () => A;
  aggregator: (key: K, value: V, aggregate: A) => A;
  valueSerde: Serde<A>;
}

const SIGN = 2n ** 63n;

/** Windowed keys on the wire: the inner key bytes, then window start and end (8 bytes each). */
export function windowedSerde<K>(inner: Serde<K>): Serde<WindowedKey<K>> {
  return {
    async serialize(topic, w) {
      const k = await inner.serialize(topic, w.key);
      const b = Buffer.allocUnsafe(k.length + 16);
      k.copy(b, 0);
      b.writeBigUInt64BE(BigInt(w.start) + SIGN, k.length);
      b.writeBigUInt64BE(BigInt(w.end) + SIGN, k.length + 8);
      return b;
    },
    async deserialize(topic, data) {
      if (data.length < 16) throw new Error(`windowed key too short: ${data.length} bytes`);
      const n = data.length - 16;
      return {
        key: await inner.deserialize(topic, data.subarray(0, n)),
        start: Number(data.readBigUInt64BE(n) - SIGN),
        end: Number(data.readBigUInt64BE(n + 8) - SIGN),
      };
    },
  };
}

export class StreamsBuilder {
  readonly topology: Topology;
  private counter = 0;

  constructor(readonly applicationId: string) {
    this.topology = new Topology(applicationId);
  }

  /** A unique node name for an unnamed step. */
  nextName(kind: string): string {
    this.counter += 1;
    return `${kind}-${String(this.counter).padStart(4, '0')}`;
  }

  stream<K, V>(topic: string | string[], options: StreamOptions<K, V>): KStream<K, V> {
    const topics = Array.isArray(topic) ? topic : [topic];
    const name = options.name ?? `source-${topics.join('+')}`;
    this.topology.addSource({
      name,
      topics,
      keySerde: options.keySerde,
      valueSerde: options.valueSerde,
      timestampExtractor: options.timestampExtractor,
    });
    return new KStream<K, V>(this, name, options.keySerde, options.valueSerde);
  }

  /** A table from a compacted topic: latest value per key in store `storeName`; null deletes. */
  table<K, V>(topic: string, options: TableOptions<K, V>): KTable<K, V> {
    const source = `source-${topic}`;
    this.topology.addSource({
      name: source,
      topics: [topic],
      keySerde: options.keySerde,
      valueSerde: options.valueSerde,
      timestampExtractor: options.timestampExtractor,
    });
    const name = `table-${options.storeName}`;
    const storeName = options.storeName;
    this.topology.addProcessor<K, V | null>(name, () => {
      let store: KeyValueStore<K, V>;
      let ctx: ProcessorContext;
      return {
        init(c) {
          ctx = c;
          store = c.getKeyValueStore<K, V>(storeName);
        },
        process(r) {
          if (r.key === null || r.key === undefined) return;
          if (r.value === null || r.value === undefined) store.delete(r.key);
          else store.put(r.key, r.value);
          ctx.forward(r);
        },
      };
    }, [source]);
    this.topology.addStateStore(
      keyValueStoreSpec<K, V>(storeName, { keySerde: options.keySerde, valueSerde: options.valueSerde }),
      [name],
    );
    return new KTable<K, V>(this, name, storeName, options.keySerde, options.valueSerde);
  }

  build(): Topology {
    return this.topology;
  }
}

export class KTable<K, V> {
  constructor(
    readonly builder: StreamsBuilder,
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

function simple<KIn, VIn>(
  step: (record: StreamRecord<KIn, VIn>, forward: (r: StreamRecord<unknown, unknown>) => void) => void,
): ProcessorSupplier<KIn, VIn> {
  return () => {
    let ctx: ProcessorContext;
    const forward = (r: StreamRecord<unknown, unknown>): void => ctx.forward(r);
    return {
      init(c) {
        ctx = c;
      },
      process(r) {
        step(r, forward);
      },
    };
  };
}

export class KStream<K, V> {
  constructor(
    readonly builder: StreamsBuilder,
    readonly nodeName: string,
    readonly keySerde: Serde<K> | undefined,
    readonly valueSerde: Serde<V> | undefined,
  ) {}

  private get topology(): Topology {
    return this.builder.topology;
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
    return new KStream<K2, V2>(this.builder, n, keySerde, valueSerde);
  }

  filter(predicate: (key: K, value: V) => boolean, name?: string): KStream<K, V> {
    return this.add(
      'filter',
      simple<K, V>((r, f) => {
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
      simple<K, V>((r, f) => {
        const kv = fn(r.key, r.value);
        f(r.withKey(kv.key).withValue(kv.value));
      }),
      name,
    );
  }

  mapValues<V2>(fn: (value: V, key: K) => V2, name?: string): KStream<K, V2> {
    return this.add<K, V2>(
      'map-values',
      simple<K, V>((r, f) => f(r.withValue(fn(r.value, r.key)))),
      name,
      this.keySerde,
    );
  }

  flatMap<K2, V2>(fn: (key: K, value: V) => Iterable<KeyValuePair<K2, V2>>, name?: string): KStream<K2, V2> {
    return this.add<K2, V2>(
      'flat-map',
      simple<K, V>((r, f) => {
        for (const kv of fn(r.key, r.value)) f(r.withKey(kv.key).withValue(kv.value));
      }),
      name,
    );
  }

  peek(fn: (key: K, value: V) => void, name?: string): KStream<K, V> {
    return this.add(
      'peek',
      simple<K, V>((r, f) => {
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
    this.topology.addProcessor<K, V>(n, () => {
      let ctx: ProcessorContext;
      return {
        init(c) {
          ctx = c;
        },
        process(r) {
          const i = predicates.findIndex((p) => p(r.key, r.value));
          const child = children[i];
          if (child !== undefined) ctx.forward(r, child);
        },
      };
    }, [this.nodeName]);
    return children.map((child) => {
      this.topology.addProcessor(
        child,
        simple<K, V>((r, f) => f(r)),
        [n],
      );
      return new KStream<K, V>(this.builder, child, this.keySerde, this.valueSerde);
    });
  }

  /** Run a custom processor (Processor API) connected to the named, already declared stores. */
  process<K2, V2>(
    supplier: ProcessorSupplier<K, V, K2, V2>,
    options: { name: string; stores?: string[] },
  ): KStream<K2, V2> {
    this.topology.addProcessor(options.name, supplier, [this.nodeName]);
    for (const s of options.stores ?? []) this.topology.connectStore(s, options.name);
    return new KStream<K2, V2>(this.builder, options.name, undefined, undefined);
  }

  /**
   * New key, then through the internal topic `<applicationId>-<name>-repartition` so each key lands
   * in the task (partition) that owns it downstream.
   */
  selectKey<K2>(fn: (key: K, value: V) => K2, options: RepartitionOptions<K2, V>): KStream<K2, V> {
    const keyed = this.add<K2, V>(
      'select-key',
      simple<K, V>((r, f) => f(r.withKey(fn(r.key, r.value)))),
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
    return new KStream<K, V>(this.builder, source, options.keySerde, options.valueSerde);
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
    const storeName = table.storeName;
    this.topology.addProcessor<K, V>(n, () => {
      let ctx: ProcessorContext;
      let store: KeyValueStore<K, TV>;
      return {
        init(c) {
          ctx = c;
          store = c.getKeyValueStore<K, TV>(storeName);
        },
        async process(r) {
          if (r.key === null || r.key === undefined) return;
          const tv = await store.get(r.key);
          if (tv === undefined && !left) return;
          ctx.forward(r.withValue(joiner(r.value, tv as TV, r.key)));
        },
      };
    }, [this.nodeName]);
    this.topology.connectStore(storeName, n);
    return new KStream<K, R>(this.builder, n, this.keySerde, undefined);
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

export class KGroupedStream<K, V> {
  constructor(
    readonly stream: KStream<K, V>,
    readonly keySerde: Serde<K>,
    readonly valueSerde: Serde<V> | undefined,
  ) {}

  windowedBy(windows: WindowDefinition): TimeWindowedKStream<K, V> {
    return new TimeWindowedKStream(this, windows);
  }

  /** Running aggregate per key in a key-value store; every update is forwarded. */
  aggregate<A>(options: AggregateOptions<K, V, A>): KStream<K, A> {
    const { storeName, initializer, aggregator } = options;
    const b = this.stream.builder;
    const n = `${storeName}-aggregate`;
    b.topology.addProcessor<K, V>(n, () => {
      let ctx: ProcessorContext;
      let store: KeyValueStore<K, A>;
      return {
        init(c) {
          ctx = c;
          store = c.getKeyValueStore<K, A>(storeName);
        },
        async process(r) {
          if (r.key === null || r.key === undefined) return;
          const next = aggregator(r.key, r.value, (await store.get(r.key)) ?? initializer());
          store.put(r.key, next);
          ctx.forward(r.withValue(next));
        },
      };
    }, [this.stream.nodeName]);
    b.topology.addStateStore(
      keyValueStoreSpec<K, A>(storeName, { keySerde: this.keySerde, valueSerde: options.valueSerde }),
      [n],
    );
    return new KStream<K, A>(b, n, this.keySerde, options.valueSerde);
  }
}

const EMIT_KEY = 'last-emitted-start';

/**
 * Windowed aggregation over tumbling or hopping windows. Records for windows that closed (stream
 * time >= end + grace) are late: they are reported (late topic, counter) and not aggregated.
 * With emit 'on-window-close' results leave once, when stream time closes the window; the last
 * emitted window start is kept in `<storeName>-emit` so a restart neither repeats nor skips.
 */
class WindowedAggregateProcessor<K, V, A> implements Processor<K, V> {
  private ctx!: ProcessorContext;
  private store!: WindowStore<K, A>;
  private emitState!: KeyValueStore<string, number>;

  constructor(
    private readonly windows: WindowDefinition,
    private readonly options: WindowedAggregateOptions<K, V, A>,
  ) {}

  init(ctx: ProcessorContext): void {
    this.ctx = ctx;
    this.store = ctx.getWindowStore<K, A>(this.options.storeName);
    if (this.emitMode() === 'on-window-close') this.emitState = ctx.getKeyValueStore(`${this.options.storeName}-emit`);
  }

  private emitMode(): Emit {
    return this.options.emit ?? 'on-window-close';
  }

  async process(r: StreamRecord<K, V>): Promise<void> {
    if (r.key === null || r.key === undefined) return;
    const streamTime = this.ctx.streamTime();
    // Emit before writing: the write may expire (retention) a window that closes just now.
    if (this.emitMode() === 'on-window-close') await this.emitClosed(streamTime);
    const all = this.windows.windowsFor(r.timestamp);
    const open = all.filter((w) => !this.windows.isClosed(w, streamTime));
    if (open.length === 0) {
      const last = all[all.length - 1];
      this.ctx.reportLate({ windowStart: last?.start, windowEnd: last?.end, reason: 'window closed' });
    }
    for (const w of open) {
      const current = (await this.store.fetch(r.key, w.start)) ?? this.options.initializer();
      const next = this.options.aggregator(r.key, r.value, current);
      this.store.put(r.key, w.start, next);
      if (this.emitMode() === 'on-update') this.ctx.forward(this.result(r.key, w, next, r.timestamp, r));
    }
  }

  private result(
    key: K,
    w: TimeWindow,
    value: A,
    ts: number,
    from?: StreamRecord<K, V>,
  ): StreamRecord<WindowedKey<K>, A> {
    return new StreamRecord<WindowedKey<K>, A>({ key, start: w.start, end: w.end }, value, ts, from?.headers ?? {});
  }

  private async emitClosed(streamTime: number): Promise<void> {
    const { sizeMs, graceMs, advanceMs } = this.windows;
    const bound = streamTime - sizeMs - graceMs;
    const closedUpTo = bound - (((bound % advanceMs) + advanceMs) % advanceMs);
    const last = await this.emitState.get(EMIT_KEY);
    if (last !== undefined && closedUpTo <= last) return;
    const from = last === undefined ? Number.MIN_SAFE_INTEGER : last + 1;
    for await (const e of this.store.fetchAll(from, closedUpTo)) {
      // Event time of a final result: the last millisecond its window covers.
      this.ctx.forward(this.result(e.key.key, e.key, e.value, e.key.end - 1));
    }
    this.emitState.put(EMIT_KEY, closedUpTo);
  }
}

/**
 * Sliding windows: the window [t - d, t] of each record's time t, recomputed from the raw values
 * of the key kept for d + grace in `<storeName>-records` (windows are not invertible aggregates).
 */
class SlidingAggregateProcessor<K, V, A> implements Processor<K, V> {
  private ctx!: ProcessorContext;
  private store!: WindowStore<K, A>;
  private records!: WindowStore<K, V[]>;
  private emitState!: KeyValueStore<string, number>;

  constructor(
    private readonly windows: SlidingWindows,
    private readonly options: WindowedAggregateOptions<K, V, A>,
  ) {}

  init(ctx: ProcessorContext): void {
    this.ctx = ctx;
    this.store = ctx.getWindowStore<K, A>(this.options.storeName);
    this.records = ctx.getWindowStore<K, V[]>(`${this.options.storeName}-records`);
    if ((this.options.emit ?? 'on-window-close') === 'on-window-close') {
      this.emitState = ctx.getKeyValueStore(`${this.options.storeName}-emit`);
    }
  }

  async process(r: StreamRecord<K, V>): Promise<void> {
    if (r.key === null || r.key === undefined) return;
    const st = this.ctx.streamTime();
    const d = this.windows.timeDifferenceMs;
    // Emit before writing: the write may expire (retention) a window that closes just now.
    if ((this.options.emit ?? 'on-window-close') === 'on-window-close') await this.emitClosed(st);
    const own = { start: r.timestamp - d, end: r.timestamp + 1 };
    if (this.windows.isClosed(own, st)) {
      this.ctx.reportLate({ windowStart: own.start, windowEnd: own.end, reason: 'window closed' });
      return;
    }
    // Raw values per key and timestamp, stored as a window store keyed by timestamp.
    const atT = (await this.records.fetch(r.key, r.timestamp)) ?? [];
    this.records.put(r.key, r.timestamp, [...atT, r.value]);
    const seen: { t: number; values: V[] }[] = [];
    for await (const e of this.records.fetchRange(r.key, r.timestamp - d, r.timestamp + d)) {
      seen.push({ t: e.key.start, values: e.value });
    }
    for (const w of this.windows.windowsCovering(
      r.timestamp,
      seen.map((s) => s.t),
    )) {
      const end = w.end - 1;
      if (this.windows.isClosed(w, st)) continue;
      let agg = this.options.initializer();
      for (const s of seen) {
        if (s.t < w.start || s.t > end) continue;
        for (const v of s.values) agg = this.options.aggregator(r.key, v, agg);
      }
      this.store.put(r.key, w.start, agg);
      if (this.options.emit === 'on-update') {
        this.ctx.forward(new StreamRecord<WindowedKey<K>, A>({ key: r.key, start: w.start, end: w.end }, agg, end));
      }
    }
  }

  private async emitClosed(st: number): Promise<void> {
    const closedUpTo = st - this.windows.sizeMs - this.windows.graceMs;
    const last = await this.emitState.get(EMIT_KEY);
    if (last !== undefined && closedUpTo <= last) return;
    const from = last === undefined ? Number.MIN_SAFE_INTEGER : last + 1;
    for await (const e of this.store.fetchAll(from, closedUpTo)) {
      this.ctx.forward(new StreamRecord<WindowedKey<K>, A>(e.key, e.value, e.key.end - 1));
    }
    this.emitState.put(EMIT_KEY, closedUpTo);
  }
}

export class TimeWindowedKStream<K, V> {
  constructor(
    readonly grouped: KGroupedStream<K, V>,
    readonly windows: WindowDefinition,
  ) {}

  aggregate<A>(options: WindowedAggregateOptions<K, V, A>): KStream<WindowedKey<K>, A> {
    const b = this.grouped.stream.builder;
    const t = b.topology;
    const n = `${options.storeName}-aggregate`;
    const w = this.windows;
    const supplier =
      w instanceof SlidingWindows
        ? () => new SlidingAggregateProcessor<K, V, A>(w, options)
        : () => new WindowedAggregateProcessor<K, V, A>(w, options);
    t.addProcessor<K, V>(n, supplier, [this.grouped.stream.nodeName]);
    const keySerde = this.grouped.keySerde;
    t.addStateStore(
      windowStoreSpec<K, A>(options.storeName, {
        keySerde,
        valueSerde: options.valueSerde,
        windowSizeMs: w.sizeMs,
        retentionMs: w.retentionMs,
      }),
      [n],
    );
    if ((options.emit ?? 'on-window-close') === 'on-window-close') {
      t.addStateStore(
        keyValueStoreSpec<string, number>(`${options.storeName}-emit`, {
          keySerde: stringSerdeLocal,
          valueSerde: jsonSerde<number>(),
        }),
        [n],
      );
    }
    if (w instanceof SlidingWindows) {
      const valueSerde = this.grouped.valueSerde;
      if (!valueSerde) {
        throw new ForeshadowError(
          'CONFIG_INVALID',
          `sliding aggregate ${options.storeName}: groupByKey needs a valueSerde`,
        );
      }
      t.addStateStore(
        windowStoreSpec<K, V[]>(`${options.storeName}-records`, {
          keySerde,
          valueSerde: listSerde(valueSerde),
          windowSizeMs: 1,
          retentionMs: w.retentionMs + w.sizeMs,
        }),
        [n],
      );
    }
    return new KStream<WindowedKey<K>, A>(b, n, undefined, options.valueSerde);
  }

  /** Count per key and window. */
  count(options: { storeName: string; emit?: Emit }): KStream<WindowedKey<K>, number> {
    return this.aggregate<number>({
      storeName: options.storeName,
      emit: options.emit,
      initializer: () => 0,
      aggregator: (_k, _v, n) => n + 1,
      valueSerde: jsonSerde<number>(),
    });
  }
}

const stringSerdeLocal: Serde<string> = {
  serialize: (_t, v) => Buffer.from(v, 'utf8'),
  deserialize: (_t, d) => d.toString('utf8'),
};

/** A list of values: length-prefixed inner encodings (inner serdes may be binary, e.g. Avro). */
function listSerde<V>(inner: Serde<V>): Serde<V[]> {
  return {
    async serialize(topic, values) {
      const parts: Buffer[] = [];
      for (const v of values) {
        const b = await inner.serialize(topic, v);
        const len = Buffer.allocUnsafe(4);
        len.writeUInt32BE(b.length);
        parts.push(len, b);
      }
      return Buffer.concat(parts);
    },
    async deserialize(topic, data) {
      const out: V[] = [];
      let i = 0;
      while (i < data.length) {
        const n = data.readUInt32BE(i);
        out.push(await inner.deserialize(topic, data.subarray(i + 4, i + 4 + n)));
        i += 4 + n;
      }
      return out;
    },
  };
}

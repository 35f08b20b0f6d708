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
 * The steps live in `dsl/`: streams and tables (`kstream.ts`), aggregations (`grouped-stream.ts`),
 * one module per processor they add, and the DSL's serdes (`dsl-serdes.ts`, e.g. `windowedSerde`).
 */
import { keyValueStoreSpec } from '../state/store-spec.js';
import { KStream, KTable, type StreamGraph } from './dsl/kstream.js';
import { tableProcessor } from './dsl/table-processor.js';
import type { Serde } from './serdes.js';
import { type TimestampExtractor, Topology } from './topology.js';

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

export class StreamsBuilder implements StreamGraph {
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
    this.topology.addProcessor<K, V | null>(name, tableProcessor<K, V>(options.storeName), [source]);
    this.topology.addStateStore(
      keyValueStoreSpec<K, V>(options.storeName, { keySerde: options.keySerde, valueSerde: options.valueSerde }),
      [name],
    );
    return new KTable<K, V>(this, name, options.storeName, options.keySerde, options.valueSerde);
  }

  build(): Topology {
    return this.topology;
  }
}

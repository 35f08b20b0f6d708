/**
 * Grouped streams: the DSL's aggregations. `KGroupedStream.aggregate` keeps a running aggregate
 * per key; `windowedBy(...).aggregate` one per key and window (tumbling, hopping or sliding), with
 * the stores each needs declared here under names derived from `storeName`.
 */

import type { WindowedKey } from '../../state/store.js';
import { keyValueStoreSpec, windowStoreSpec } from '../../state/store-spec.js';
import { SlidingWindows, type WindowDefinition } from '../../windows/windows.js';
import { ForeshadowError } from '../errors.js';
import { jsonSerde, type Serde, stringSerde } from '../serdes.js';
import { aggregateProcessor } from './aggregate-processor.js';
import type { AggregateOptions, Emit, WindowedAggregateOptions } from './dsl-options.js';
import { listSerde } from './dsl-serdes.js';
import type { KStream } from './kstream.js';
import { SlidingAggregateProcessor } from './sliding-aggregate-processor.js';
import { emitMode, emitStoreName, recordsStoreName } from './window-emit.js';
import { WindowedAggregateProcessor } from './windowed-aggregate-processor.js';

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
    const t = this.stream.builder.topology;
    const n = `${options.storeName}-aggregate`;
    t.addProcessor<K, V>(n, aggregateProcessor(options), [this.stream.nodeName]);
    t.addStateStore(
      keyValueStoreSpec<K, A>(options.storeName, { keySerde: this.keySerde, valueSerde: options.valueSerde }),
      [n],
    );
    return this.stream.derive<K, A>(n, this.keySerde, options.valueSerde);
  }
}

export class TimeWindowedKStream<K, V> {
  constructor(
    readonly grouped: KGroupedStream<K, V>,
    readonly windows: WindowDefinition,
  ) {}

  aggregate<A>(options: WindowedAggregateOptions<K, V, A>): KStream<WindowedKey<K>, A> {
    const stream = this.grouped.stream;
    const t = stream.builder.topology;
    const n = `${options.storeName}-aggregate`;
    const w = this.windows;
    const supplier =
      w instanceof SlidingWindows
        ? () => new SlidingAggregateProcessor<K, V, A>(w, options)
        : () => new WindowedAggregateProcessor<K, V, A>(w, options);
    t.addProcessor<K, V>(n, supplier, [stream.nodeName]);
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
    if (emitMode(options) === 'on-window-close') {
      t.addStateStore(
        keyValueStoreSpec<string, number>(emitStoreName(options.storeName), {
          keySerde: stringSerde,
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
        windowStoreSpec<K, V[]>(recordsStoreName(options.storeName), {
          keySerde,
          valueSerde: listSerde(valueSerde),
          windowSizeMs: 1,
          retentionMs: w.retentionMs + w.sizeMs,
        }),
        [n],
      );
    }
    return stream.derive<WindowedKey<K>, A>(n, undefined, options.valueSerde);
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

/** Running aggregate per key in a key-value store (`KGroupedStream.aggregate`); every update is forwarded. */
import type { KeyValueStore } from '../../state/store.js';
import type { ProcessorContext, ProcessorSupplier } from '../processor.js';
import type { AggregateOptions } from './dsl-options.js';

export function aggregateProcessor<K, V, A>(options: AggregateOptions<K, V, A>): ProcessorSupplier<K, V> {
  const { storeName, initializer, aggregator } = options;
  return () => {
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
  };
}

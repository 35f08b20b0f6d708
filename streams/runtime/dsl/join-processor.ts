/**
 * Stream–table join: each stream record is joined with the table's current value for its key (the
 * table's store, materialised by `tableProcessor` in the same task). Inner: no table value, no
 * output; left: the joiner gets `undefined`.
 */
import type { KeyValueStore } from '../../state/store.js';
import type { ProcessorContext, ProcessorSupplier } from '../processor.js';

export function streamTableJoinProcessor<K, V, TV, R>(
  storeName: string,
  joiner: (value: V, tableValue: TV, key: K) => R,
  left: boolean,
): ProcessorSupplier<K, V> {
  return () => {
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
  };
}

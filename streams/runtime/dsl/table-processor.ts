/**
 * The processor behind `StreamsBuilder.table`: materialises a compacted topic as the latest value
 * per key in a key-value store (a null value deletes) and forwards each change.
 */
import type { KeyValueStore } from '../../state/store.js';
import type { ProcessorContext, ProcessorSupplier } from '../processor.js';

export function tableProcessor<K, V>(storeName: string): ProcessorSupplier<K, V | null> {
  return () => {
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
  };
}

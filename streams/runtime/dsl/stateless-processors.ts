/** The DSL's stateless steps (filter, map, flatMap, peek, selectKey, branch) as processor suppliers. */
import type { ProcessorContext, ProcessorSupplier } from '../processor.js';
import type { StreamRecord } from '../record.js';

/** A processor that runs `step` on each record, which forwards zero or more records. */
export function statelessProcessor<KIn, VIn>(
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

/** Forwards each record to the child of the first predicate that holds (none: dropped). */
export function branchProcessor<K, V>(
  predicates: ((key: K, value: V) => boolean)[],
  children: string[],
): ProcessorSupplier<K, V> {
  return () => {
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
  };
}

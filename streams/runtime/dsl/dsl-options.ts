/** Options of the DSL's steps (one options object per step, never overloads). */
import type { Serde } from '../serdes.js';
import type { SinkSpec } from '../topology.js';

export interface KeyValuePair<K, V> {
  key: K;
  value: V;
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

/** When a windowed aggregate forwards: once per window after it closes, or on every update. */
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

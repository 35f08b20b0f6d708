/**
 * Serdes for the capacity processor's stores. Panes hold DDSketches; their protobuf form writes
 * dense bins as doubles (4 KB for a hundred samples), so panes are stored sparse instead: for each
 * sketch the non-empty bucket keys (delta-coded) and counts, from which the same sketch is rebuilt
 * by re-accepting each bucket's representative value (it maps back to the same key).
 */
import { DDSketch } from '@datadog/sketches-js';
import type { Serde } from '../../runtime/serdes.js';
import { CAPACITY_METRICS, type CapacityMetric } from './metrics.js';
import { DEFAULT_RELATIVE_ACCURACY, type DecayedMeans, type MetricAccumulator, type PaneState } from './profile.js';

interface StoredAccumulator {
  a: number;
  c: number;
  s: number;
  q: number;
  z: number;
  /** Alternating [keyDelta, count, keyDelta, count, ...] of non-empty positive bins. */
  b: number[];
}

interface StoredPane {
  p: number;
  n: number;
  h: string[];
  i: string[];
  m: Partial<Record<CapacityMetric, StoredAccumulator>>;
}

export function accumulatorToJson(acc: MetricAccumulator): StoredAccumulator {
  const b: number[] = [];
  const store = acc.sketch.store;
  let prev = 0;
  for (let i = 0; i < store.bins.length; i++) {
    const count = store.bins[i]!;
    if (count === 0) continue;
    const key = i + store.offset;
    b.push(key - prev, count);
    prev = key;
  }
  return {
    a: acc.sketch.mapping.relativeAccuracy,
    c: acc.count,
    s: acc.sum,
    q: acc.sumSquares,
    z: acc.sketch.zeroCount,
    b,
  };
}

export function accumulatorFromJson(stored: StoredAccumulator): MetricAccumulator {
  const sketch = new DDSketch({ relativeAccuracy: stored.a || DEFAULT_RELATIVE_ACCURACY });
  if (stored.z > 0) sketch.accept(0, stored.z);
  let key = 0;
  for (let i = 0; i + 1 < stored.b.length; i += 2) {
    key += stored.b[i]!;
    sketch.accept(sketch.mapping.value(key), stored.b[i + 1]!);
  }
  return { sketch, count: stored.c, sum: stored.s, sumSquares: stored.q };
}

export function paneToJson(pane: PaneState): StoredPane {
  const m: Partial<Record<CapacityMetric, StoredAccumulator>> = {};
  for (const metric of CAPACITY_METRICS) {
    const acc = pane.metrics[metric];
    if (acc) m[metric] = accumulatorToJson(acc);
  }
  return { p: pane.paneStart, n: pane.samples, h: [...pane.hosts], i: [...pane.instances], m };
}

export function paneFromJson(stored: StoredPane): PaneState {
  const metrics: Partial<Record<CapacityMetric, MetricAccumulator>> = {};
  for (const metric of CAPACITY_METRICS) {
    const acc = stored.m[metric];
    if (acc) metrics[metric] = accumulatorFromJson(acc);
  }
  return { paneStart: stored.p, samples: stored.n, hosts: new Set(stored.h), instances: new Set(stored.i), metrics };
}

export const paneSerde: Serde<PaneState> = {
  serialize: (_topic, pane) => Buffer.from(JSON.stringify(paneToJson(pane)), 'utf8'),
  deserialize: (_topic, data) => paneFromJson(JSON.parse(data.toString('utf8')) as StoredPane),
};

export const decayedMeansSerde: Serde<DecayedMeans> = {
  serialize: (_topic, value) => Buffer.from(JSON.stringify(value), 'utf8'),
  deserialize: (_topic, data) => JSON.parse(data.toString('utf8')) as DecayedMeans,
};

/** What the processor remembers about the last fingerprint it emitted for a region. */
export interface EmittedFingerprint {
  version: number;
  emittedAt: number;
  /** That fingerprint (base64): decoded, the baseline for "changed materially". */
  encoded: string;
}

export const emittedSerde: Serde<EmittedFingerprint> = {
  serialize: (_topic, value) => Buffer.from(JSON.stringify(value), 'utf8'),
  deserialize: (_topic, data) => JSON.parse(data.toString('utf8')) as EmittedFingerprint,
};

/**
 * A contextual novelty detector in the spirit of CAD OSE (Smirnov's Contextual Anomaly Detector,
 * as described in the Numenta Anomaly Benchmark write-ups): the series is turned into discrete
 * facts, the recent facts form contexts, a memory learns which contexts have been seen, and a point
 * is anomalous to the degree that the contexts it completes are new. Written from that description,
 * with a fixed-size memory so a point costs O(K) for K context orders and the state is bounded:
 *
 * - facts: the value quantised into `levels` bins over a range that widens at once to any new
 *   extreme and narrows slowly (so one early spike does not squash every later value into one bin);
 * - contexts: the runs of the last 1..`orders` facts ending at this point (order 1 is the bin
 *   itself: a value in a never-visited bin is new);
 * - memory: two bit sets of `memoryBits` hashed contexts, the current epoch's and the previous
 *   one's; every `epoch` points the current becomes the previous and a fresh one starts, so a
 *   context is remembered for one to two epochs (open-set learning that also forgets);
 * - novelty: the weighted share of this point's contexts found in neither bit set, higher orders
 *   weighing more (a new long pattern is more telling than a rare bin);
 * - exceedance: how far a value falls beyond the range (in range widths) before the range widens
 *   to it: a new extreme, the fact CAD's fixed quantiser cannot represent.
 */

export interface ContextOptions {
  /** Quantisation bins of the value range. */
  levels: number;
  /** Longest context (facts per context). */
  orders: number;
  /** Size of each memory bit set (a power of two). */
  memoryBits: number;
  /** Points per memory epoch. */
  epoch: number;
  /** Per point, the range narrows by this fraction of itself toward the values seen. */
  rangeDecay: number;
}

export const DEFAULT_CONTEXT_OPTIONS: ContextOptions = {
  levels: 8,
  orders: 5,
  memoryBits: 2048,
  epoch: 2016,
  rangeDecay: 1e-5,
};

export interface ContextState {
  /** Points seen. */
  count: number;
  lo: number;
  hi: number;
  /** The last `orders - 1` facts, oldest first. */
  recent: number[];
  /** Current and previous epochs' memories: `memoryBits / 32` words each. */
  current: Uint32Array;
  previous: Uint32Array;
  /** Points into the current epoch. */
  age: number;
}

export function newContextDetector(opts: ContextOptions = DEFAULT_CONTEXT_OPTIONS): ContextState {
  return {
    count: 0,
    lo: 0,
    hi: 0,
    recent: [],
    current: new Uint32Array(opts.memoryBits >>> 5),
    previous: new Uint32Array(opts.memoryBits >>> 5),
    age: 0,
  };
}

/** The bin of v in the detector's range (the range as it was before v). */
export function quantise(s: ContextState, v: number, levels: number): number {
  const width = s.hi - s.lo;
  if (!(width > 0)) return 0;
  const b = Math.floor(((v - s.lo) / width) * levels);
  return b < 0 ? 0 : b >= levels ? levels - 1 : b;
}

function widen(s: ContextState, v: number, decay: number): void {
  if (s.count === 0) {
    s.lo = v;
    s.hi = v;
    return;
  }
  // New extremes widen at once; otherwise both ends creep toward v, so the range follows what the
  // series does now.
  const shrink = (s.hi - s.lo) * decay;
  s.hi = Math.max(v, s.hi - shrink);
  s.lo = Math.min(v, s.lo + shrink);
}

/**
 * How far v lies outside the range, in range widths (0 inside it). Read before `updateContext`
 * learns v. A range of a single value is exceeded by any other value (a flat series that moves).
 */
export function rangeExceedance(s: ContextState, v: number): number {
  if (s.count === 0) return 0;
  const outside = Math.max(0, v - s.hi, s.lo - v);
  if (outside === 0) return 0;
  const width = s.hi - s.lo;
  return width > 0 ? outside / width : 1;
}

/** 32-bit mix of a context: its facts and its order (Murmur3's finaliser over an FNV-style fold). */
function contextHash(facts: readonly number[], from: number, last: number, order: number): number {
  let h = 0x811c9dc5 ^ order;
  for (let i = from; i < facts.length; i++) h = Math.imul(h ^ facts[i]!, 0x01000193);
  h = Math.imul(h ^ last, 0x01000193);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

function has(bits: Uint32Array, i: number): boolean {
  return (bits[i >>> 5]! & (1 << (i & 31))) !== 0;
}

/** Novelty of v in [0, 1], then learns it (in place). */
export function updateContext(s: ContextState, v: number, opts: ContextOptions = DEFAULT_CONTEXT_OPTIONS): number {
  const fact = quantise(s, v, opts.levels);
  const words = opts.memoryBits >>> 5;
  if (s.current.length !== words) {
    // State kept under another memory size: the hashes no longer address it, start it afresh.
    s.current = new Uint32Array(words);
    s.previous = new Uint32Array(words);
  }
  const mask = opts.memoryBits - 1;
  const recent = s.recent;
  let novel = 0;
  let weight = 0;
  // Orders 1..available: the context of order k is the last k-1 facts followed by this one.
  const available = Math.min(opts.orders, recent.length + 1);
  for (let k = 1; k <= available; k++) {
    const h = contextHash(recent, recent.length - (k - 1), fact, k) & mask;
    const w = k;
    weight += w;
    if (!has(s.current, h) && !has(s.previous, h)) novel += w;
    s.current[h >>> 5]! |= 1 << (h & 31);
  }
  recent.push(fact);
  if (recent.length > opts.orders - 1) recent.shift();
  widen(s, v, opts.rangeDecay);
  s.count++;
  if (++s.age >= opts.epoch) {
    s.previous.set(s.current);
    s.current.fill(0);
    s.age = 0;
  }
  return weight > 0 ? novel / weight : 0;
}

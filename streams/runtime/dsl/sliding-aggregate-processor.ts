/**
 * Sliding windows: the window [t - d, t] of each record's time t, recomputed from the raw values
 * of the key kept for d + grace in `<storeName>-records` (windows are not invertible aggregates).
 */
import type { KeyValueStore, WindowedKey, WindowStore } from '../../state/store.js';
import type { SlidingWindows } from '../../windows/windows.js';
import type { Processor, ProcessorContext } from '../processor.js';
import { StreamRecord } from '../record.js';
import type { WindowedAggregateOptions } from './dsl-options.js';
import { EMIT_KEY, emitMode, emitStoreName, recordsStoreName } from './window-emit.js';

export class SlidingAggregateProcessor<K, V, A> implements Processor<K, V> {
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
    this.records = ctx.getWindowStore<K, V[]>(recordsStoreName(this.options.storeName));
    if (emitMode(this.options) === 'on-window-close') {
      this.emitState = ctx.getKeyValueStore(emitStoreName(this.options.storeName));
    }
  }

  async process(r: StreamRecord<K, V>): Promise<void> {
    if (r.key === null || r.key === undefined) return;
    const st = this.ctx.streamTime();
    const d = this.windows.timeDifferenceMs;
    // Emit before writing: the write may expire (retention) a window that closes just now.
    if (emitMode(this.options) === 'on-window-close') await this.emitClosed(st);
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

/**
 * Windowed aggregation over tumbling or hopping windows. Records for windows that closed (stream
 * time >= end + grace) are late: they are reported (late topic, counter) and not aggregated.
 * With emit 'on-window-close' results leave once, when stream time closes the window; the last
 * emitted window start is kept in `<storeName>-emit` so a restart neither repeats nor skips.
 */
import type { KeyValueStore, WindowedKey, WindowStore } from '../../state/store.js';
import type { TimeWindow, WindowDefinition } from '../../windows/windows.js';
import type { Processor, ProcessorContext } from '../processor.js';
import { StreamRecord } from '../record.js';
import type { WindowedAggregateOptions } from './dsl-options.js';
import { EMIT_KEY, emitMode, emitStoreName } from './window-emit.js';

export class WindowedAggregateProcessor<K, V, A> implements Processor<K, V> {
  private ctx!: ProcessorContext;
  private store!: WindowStore<K, A>;
  private emitState!: KeyValueStore<string, number>;

  constructor(
    private readonly windows: WindowDefinition,
    private readonly options: WindowedAggregateOptions<K, V, A>,
  ) {}

  init(ctx: ProcessorContext): void {
    this.ctx = ctx;
    this.store = ctx.getWindowStore<K, A>(this.options.storeName);
    if (emitMode(this.options) === 'on-window-close')
      this.emitState = ctx.getKeyValueStore(emitStoreName(this.options.storeName));
  }

  async process(r: StreamRecord<K, V>): Promise<void> {
    if (r.key === null || r.key === undefined) return;
    const streamTime = this.ctx.streamTime();
    // Emit before writing: the write may expire (retention) a window that closes just now.
    if (emitMode(this.options) === 'on-window-close') await this.emitClosed(streamTime);
    const all = this.windows.windowsFor(r.timestamp);
    const open = all.filter((w) => !this.windows.isClosed(w, streamTime));
    if (open.length === 0) {
      const last = all[all.length - 1];
      this.ctx.reportLate({ windowStart: last?.start, windowEnd: last?.end, reason: 'window closed' });
    }
    for (const w of open) {
      const current = (await this.store.fetch(r.key, w.start)) ?? this.options.initializer();
      const next = this.options.aggregator(r.key, r.value, current);
      this.store.put(r.key, w.start, next);
      if (emitMode(this.options) === 'on-update') this.ctx.forward(this.result(r.key, w, next, r.timestamp, r));
    }
  }

  private result(
    key: K,
    w: TimeWindow,
    value: A,
    ts: number,
    from?: StreamRecord<K, V>,
  ): StreamRecord<WindowedKey<K>, A> {
    return new StreamRecord<WindowedKey<K>, A>({ key, start: w.start, end: w.end }, value, ts, from?.headers ?? {});
  }

  private async emitClosed(streamTime: number): Promise<void> {
    const { sizeMs, graceMs, advanceMs } = this.windows;
    const bound = streamTime - sizeMs - graceMs;
    const closedUpTo = bound - (((bound % advanceMs) + advanceMs) % advanceMs);
    const last = await this.emitState.get(EMIT_KEY);
    if (last !== undefined && closedUpTo <= last) return;
    const from = last === undefined ? Number.MIN_SAFE_INTEGER : last + 1;
    for await (const e of this.store.fetchAll(from, closedUpTo)) {
      // Event time of a final result: the last millisecond its window covers.
      this.ctx.forward(this.result(e.key.key, e.key, e.value, e.key.end - 1));
    }
    this.emitState.put(EMIT_KEY, closedUpTo);
  }
}

/**
 * Health baseline: metrics.samples (HostSample, key = host) -> health.baselines (HostBaseline,
 * compacted, key = host).
 *
 * Stores:
 * - `host-baseline-state` (key-value, host -> HostBaselineState): the robust per-metric baselines
 *   (ring, EW mean/variance, time-of-day and hour-of-week profiles) and what was last published;
 * - `host-baseline-hourly` (window store, 1 h tumbling windows, 5 weeks retention, host -> hourly
 *   mean per metric): the history behind the published seasonal median, which is the median of the
 *   same hour-of-week over past weeks once two weeks exist.
 * Time: event time of the samples. A baseline is published when it changes materially (a median
 * moves by more than `materialChange` robust spreads, a metric appears, warm-up completes) and at
 * least every `emitIntervalMs` of stream time (punctuator), so the compacted topic stays fresh.
 */
import type { HostBaseline } from '../../../schemas/records/host-baseline.js';
import type { HostSample } from '../../../schemas/records/host-sample.js';
import type { Processor, ProcessorContext } from '../../runtime/processor.js';
import { StreamRecord } from '../../runtime/record.js';
import type { KeyValueStore, WindowStore } from '../../state/store.js';
import { type BaselineOptions, DEFAULT_BASELINE_OPTIONS, hourStart, WEEK_MS } from './baseline.js';
import {
  baselineRecord,
  type HostBaselineState,
  type HourlyMeans,
  materiallyChanged,
  newHostBaselineState,
  seasonalMedians,
  updateHostBaseline,
} from './host-state.js';
import { BASELINE_STORE, HOURLY_STORE } from './names.js';
import { type HostBaselineOptions, hostBaselineOptions } from './options.js';

/** What the stale-baseline punctuator needs to know of a host without decoding its state. */
interface EmitWatch {
  lastEmittedAt: number;
  sampleCount: number;
}

/** Hosts in store-key order (the order a full scan of the store visits them). */
function byKeyBytes(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

function watchOf(state: HostBaselineState): EmitWatch {
  return { lastEmittedAt: state.lastEmittedAt, sampleCount: state.sampleCount };
}

export class HostBaselineProcessor implements Processor<string, HostSample, string, HostBaseline> {
  private ctx!: ProcessorContext<string, HostBaseline>;
  private store!: KeyValueStore<string, HostBaselineState>;
  private hourly!: WindowStore<string, HourlyMeans>;
  private readonly opts: HostBaselineOptions;
  /**
   * Per host of this task, kept up to date by `process` and `publish`, so the punctuator finds the
   * stale hosts without decoding every baseline. Built by one scan of the store when it first
   * fires; a new processor instance (after a rewind or a rebalance) scans again.
   */
  private watch: Map<string, EmitWatch> | undefined;

  constructor(
    options: Partial<HostBaselineOptions> = {},
    private readonly baseline: BaselineOptions = DEFAULT_BASELINE_OPTIONS,
  ) {
    this.opts = hostBaselineOptions(options);
  }

  init(ctx: ProcessorContext<string, HostBaseline>): void {
    this.ctx = ctx;
    this.store = ctx.getKeyValueStore<string, HostBaselineState>(BASELINE_STORE);
    this.hourly = ctx.getWindowStore<string, HourlyMeans>(HOURLY_STORE);
    ctx.schedule(this.opts.emitIntervalMs, 'stream-time', (now) => this.publishStale(now));
  }

  async process(record: StreamRecord<string, HostSample>): Promise<void> {
    const sample = record.value;
    const host = sample.host || record.key;
    const state = (await this.store.get(host)) ?? newHostBaselineState(host);
    updateHostBaseline(state, sample, this.baseline);

    const hour = hourStart(sample.timestamp);
    const agg = (await this.hourly.fetch(host, hour)) ?? {};
    for (const [name, v] of Object.entries(sample.metrics)) {
      const a = agg[name] ?? { n: 0, sum: 0 };
      a.n++;
      a.sum += v;
      agg[name] = a;
    }
    this.hourly.put(host, hour, agg);

    const due = sample.timestamp - state.lastEmittedAt >= this.opts.emitIntervalMs;
    if (due || materiallyChanged(state, this.opts.materialChange, this.baseline))
      await this.publish(state, sample.timestamp);
    this.store.put(host, state);
    this.watch?.set(host, watchOf(state));
  }

  private async publish(state: HostBaselineState, t: number): Promise<void> {
    const hour = hourStart(t);
    const history: HourlyMeans[] = [];
    for (let k = 1; k <= this.opts.seasonalWeeks; k++) {
      const h = await this.hourly.fetch(state.host, hour - k * WEEK_MS);
      if (h) history.push(h);
    }
    const rec = baselineRecord(state, t, seasonalMedians(history), this.baseline);
    this.ctx.forward(new StreamRecord(state.host, rec, t));
  }

  private stale(w: EmitWatch, now: number): boolean {
    return now - w.lastEmittedAt >= this.opts.emitIntervalMs && w.sampleCount > 0;
  }

  /** Punctuator: republish hosts that have been silent for an interval (their state is unchanged). */
  private async publishStale(now: number): Promise<void> {
    if (!this.watch) {
      const watch = new Map<string, EmitWatch>();
      for await (const { value } of this.store.all()) watch.set(value.host, watchOf(value));
      this.watch = watch;
    }
    // Collect first, write after: stores need not support writes during their own iteration.
    const stale: string[] = [];
    for (const [host, w] of this.watch) if (this.stale(w, now)) stale.push(host);
    stale.sort(byKeyBytes);
    for (const host of stale) {
      const state = await this.store.get(host);
      if (!state) {
        this.watch.delete(host);
        continue;
      }
      await this.publish(state, now);
      this.store.put(state.host, state);
      this.watch.set(host, watchOf(state));
    }
  }
}

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
import { z } from 'zod';
import type { HostBaseline, MetricBaseline } from '../../../schemas/records/host-baseline.js';
import type { HostSample } from '../../../schemas/records/host-sample.js';
import type { Processor, ProcessorContext } from '../../runtime/processor.js';
import { StreamRecord } from '../../runtime/record.js';
import type { KeyValueStore, WindowStore } from '../../state/store.js';
import {
  type BaselineOptions,
  DEFAULT_BASELINE_OPTIONS,
  hourStart,
  isWarm,
  type MetricBaselineState,
  newMetricBaseline,
  quantileSorted,
  robustScale,
  summariseBaseline,
  updateMetricBaseline,
  WEEK_MS,
} from './baseline.js';

export const BASELINE_STORE = 'host-baseline-state';
export const HOURLY_STORE = 'host-baseline-hourly';
export const HOURLY_RETENTION_MS = 5 * WEEK_MS;

export const hostBaselineOptionsSchema = z.object({
  emitIntervalMs: z
    .number()
    .int()
    .positive()
    .default(5 * 60_000),
  /** Robust spreads a median must move before a new baseline is published early. */
  materialChange: z.number().positive().default(1),
  /** Weeks of hourly means behind the published seasonal median. */
  seasonalWeeks: z.number().int().min(2).max(5).default(4),
});
export type HostBaselineOptions = z.infer<typeof hostBaselineOptionsSchema>;

export interface HostBaselineState {
  host: string;
  region: string;
  zone: string;
  sampleCount: number;
  lastTs: number;
  metrics: Record<string, MetricBaselineState>;
  lastEmittedAt: number;
  emittedWarm: boolean;
  /** Median and spread of each metric as last published. */
  emitted: Record<string, { median: number; scale: number }>;
}

/** Hourly aggregate per metric (window store value). */
export type HourlyMeans = Record<string, { n: number; sum: number }>;

export function newHostBaselineState(host: string): HostBaselineState {
  return {
    host,
    region: '',
    zone: '',
    sampleCount: 0,
    lastTs: 0,
    metrics: {},
    lastEmittedAt: 0,
    emittedWarm: false,
    emitted: {},
  };
}

/** Folds a sample into the host's baselines (in place). */
export function updateHostBaseline(
  state: HostBaselineState,
  sample: HostSample,
  opts: BaselineOptions = DEFAULT_BASELINE_OPTIONS,
): void {
  if (sample.region) state.region = sample.region;
  if (sample.zone) state.zone = sample.zone;
  state.sampleCount++;
  state.lastTs = Math.max(state.lastTs, sample.timestamp);
  for (const [name, value] of Object.entries(sample.metrics)) {
    if (!Number.isFinite(value)) continue;
    let m = state.metrics[name];
    if (!m) {
      m = newMetricBaseline(opts);
      state.metrics[name] = m;
    }
    updateMetricBaseline(m, sample.timestamp, value, opts);
  }
}

export function allWarm(state: HostBaselineState, opts: BaselineOptions = DEFAULT_BASELINE_OPTIONS): boolean {
  const ms = Object.values(state.metrics);
  return ms.length > 0 && ms.every((m) => isWarm(m, opts));
}

/** Whether the baseline moved enough since it was last published to publish it now. */
export function materiallyChanged(
  state: HostBaselineState,
  threshold: number,
  opts: BaselineOptions = DEFAULT_BASELINE_OPTIONS,
): boolean {
  if (allWarm(state, opts) !== state.emittedWarm) return true;
  for (const [name, m] of Object.entries(state.metrics)) {
    const prev = state.emitted[name];
    if (!prev) return true;
    if (!isWarm(m, opts)) continue;
    if (Math.abs(m.stats.median - prev.median) > threshold * prev.scale) return true;
  }
  return false;
}

/** Builds the published record and remembers what was published (in place). */
export function baselineRecord(
  state: HostBaselineState,
  t: number,
  seasonal: Record<string, number> = {},
  opts: BaselineOptions = DEFAULT_BASELINE_OPTIONS,
): HostBaseline {
  const metrics: Record<string, MetricBaseline> = {};
  for (const [name, m] of Object.entries(state.metrics)) {
    const s = summariseBaseline(m, t, opts);
    if (seasonal[name] !== undefined) s.seasonalMedian = seasonal[name]!;
    metrics[name] = s;
    state.emitted[name] = { median: m.stats.median, scale: robustScale(m.stats, m.stats.median) };
  }
  state.lastEmittedAt = t;
  state.emittedWarm = allWarm(state, opts);
  return {
    host: state.host,
    region: state.region,
    zone: state.zone,
    timestamp: t,
    warm: state.emittedWarm,
    sampleCount: state.sampleCount,
    metrics,
  };
}

/** Median of the same hour-of-week over past weeks, per metric, from hourly means (needs two weeks). */
export function seasonalMedians(history: readonly HourlyMeans[]): Record<string, number> {
  const values: Record<string, number[]> = {};
  for (const h of history) {
    for (const [name, a] of Object.entries(h)) {
      if (a.n > 0) values[name] = [...(values[name] ?? []), a.sum / a.n];
    }
  }
  const out: Record<string, number> = {};
  for (const [name, vs] of Object.entries(values))
    if (vs.length >= 2)
      out[name] = quantileSorted(
        [...vs].sort((a, b) => a - b),
        0.5,
      );
  return out;
}

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
    this.opts = hostBaselineOptionsSchema.parse(options);
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

/**
 * What the dashboard shows beyond the API's read model: per-host time series (canonical samples and
 * risk) against the host's latest baseline band, and each region's decoded capacity profile. Fed by
 * its own consumer in a throw-away group (like the read model, it keeps no private state and is
 * rebuilt from the topics on every start); only the recent window of each host is kept.
 */
import { BASELINES_TOPIC, CAPACITY_TOPIC, RISK_TOPIC, SAMPLES_TOPIC } from '../../streams/catalogue.js';
import { decodeFingerprint } from '../../streams/processors/capacity-fingerprint/fingerprint-codec.js';
import type { KafkaConnection } from '../../streams/runtime/config.js';
import { startTopicTableFeed } from '../topic-table-feed.js';

export type DashboardTable = 'samples' | 'baselines' | 'risk' | 'capacity';

export const DASHBOARD_TOPICS: Readonly<Record<DashboardTable, string>> = {
  samples: SAMPLES_TOPIC,
  baselines: BASELINES_TOPIC,
  risk: RISK_TOPIC,
  capacity: CAPACITY_TOPIC,
};

/** The metrics charted per host: the ones the simulated degradations move. */
export const CHARTED_METRICS = [
  'cpu.utilization',
  'mem.utilization',
  'disk.utilization',
  'http.error_rate',
  'http.latency_p99_ms',
] as const;

export interface SeriesPoint {
  t: number;
  v: number;
}

export interface Band {
  low: number;
  mid: number;
  high: number;
}

export interface HostSeries {
  host: string;
  metrics: Record<string, SeriesPoint[]>;
  risk: SeriesPoint[];
  /** Baseline band per charted metric: median ± 3 robust deviations (MAD scaled to σ). */
  baseline: Record<string, Band>;
  baselineWarm: boolean;
}

export interface CapacitySummary {
  region: string;
  version: number;
  hostCount: number;
  instanceCount: number;
  serviceCount: number;
  windowStart: number;
  windowEnd: number;
  metrics: Record<string, { mean: number; p50: number; p95: number; p99: number }>;
  services: { service: string; instances: number; hosts: number }[];
}

interface MetricBaselineValue {
  median: number;
  mad: number;
  stddev: number;
  mean: number;
}

interface BaselineValue {
  host: string;
  warm: boolean;
  metrics: Record<string, MetricBaselineValue>;
}

interface SampleValue {
  host: string;
  timestamp: number;
  metrics: Record<string, number>;
}

interface RiskValue {
  host: string;
  timestamp: number;
  pFail: number;
}

interface CapacityValue {
  region: string;
  version: number;
  /** Bytes from Avro; a JSON-encoded record carries them as an array of numbers. */
  encoded: Buffer | Uint8Array | number[];
}

export class DashboardState {
  private readonly series = new Map<string, HostSeries>();
  private readonly capacity = new Map<string, CapacitySummary>();
  /** Bumped on every applied record, so the live feed only pushes when something changed. */
  version = 0;

  constructor(private readonly keepPoints = 360) {}

  private hostSeries(host: string): HostSeries {
    let s = this.series.get(host);
    if (!s) {
      s = { host, metrics: {}, risk: [], baseline: {}, baselineWarm: false };
      this.series.set(host, s);
    }
    return s;
  }

  private push(points: SeriesPoint[], p: SeriesPoint): void {
    // Samples can arrive slightly out of order across partitions; keep the series sorted.
    if (points.length > 0 && points[points.length - 1]!.t > p.t) {
      const i = points.findIndex((q) => q.t > p.t);
      points.splice(i, 0, p);
    } else points.push(p);
    if (points.length > this.keepPoints) points.splice(0, points.length - this.keepPoints);
  }

  apply(table: DashboardTable, key: string, value: unknown): void {
    if (value === null || typeof value !== 'object') return;
    this.version++;
    switch (table) {
      case 'samples': {
        const v = value as SampleValue;
        const s = this.hostSeries(v.host || key);
        for (const m of CHARTED_METRICS) {
          const x = v.metrics[m];
          if (typeof x !== 'number' || !Number.isFinite(x)) continue;
          s.metrics[m] ??= [];
          this.push(s.metrics[m], { t: Number(v.timestamp), v: x });
        }
        return;
      }
      case 'risk': {
        const v = value as RiskValue;
        this.push(this.hostSeries(v.host || key).risk, { t: Number(v.timestamp), v: v.pFail });
        return;
      }
      case 'baselines': {
        const v = value as BaselineValue;
        const s = this.hostSeries(v.host || key);
        s.baselineWarm = v.warm;
        for (const m of CHARTED_METRICS) {
          const b = v.metrics[m];
          if (!b) continue;
          // 1.4826·MAD estimates σ for normal data and ignores the spikes a plain σ would chase.
          const spread = 3 * Math.max(1.4826 * b.mad, 1e-6);
          s.baseline[m] = { low: b.median - spread, mid: b.median, high: b.median + spread };
        }
        return;
      }
      case 'capacity': {
        const v = value as CapacityValue;
        const profile = decodeFingerprint(Array.isArray(v.encoded) ? Uint8Array.from(v.encoded) : v.encoded);
        const metrics: CapacitySummary['metrics'] = {};
        for (const [name, m] of Object.entries(profile.metrics)) {
          if (m) metrics[name] = { mean: m.mean, p50: m.p50, p95: m.p95, p99: m.p99 };
        }
        this.capacity.set(v.region || key, {
          region: v.region || key,
          version: Number(v.version),
          hostCount: profile.hostCount,
          instanceCount: profile.instanceCount,
          serviceCount: profile.services.length,
          windowStart: profile.windowStart,
          windowEnd: profile.windowEnd,
          metrics,
          services: profile.services
            .map((s) => ({ service: s.service, instances: s.instanceCount, hosts: s.hostCount }))
            .sort((a, b) => b.instances - a.instances),
        });
        return;
      }
    }
  }

  hostSeriesOf(host: string): HostSeries | undefined {
    return this.series.get(host);
  }

  capacities(): CapacitySummary[] {
    return [...this.capacity.values()].sort((a, b) => (a.region < b.region ? -1 : 1));
  }
}

/**
 * How far back the per-host series (samples and risk) are read at start: the charts keep 360
 * points per host, an hour at the usual 10 s interval, so older records would be read to be dropped.
 */
export const SERIES_LOOK_BACK_MS = 3_600_000;

export interface DashboardFeedOptions {
  topics?: Partial<Record<DashboardTable, string>>;
  format?: 'avro' | 'json';
  seriesLookBackMs?: number;
  log?: (msg: string, fields: Record<string, unknown>) => void;
}

export interface DashboardFeed {
  state: DashboardState;
  ready: Promise<void>;
  stop(): Promise<void>;
}

export async function startDashboardFeed(
  conn: KafkaConnection,
  options: DashboardFeedOptions = {},
  state: DashboardState = new DashboardState(),
): Promise<DashboardFeed> {
  const seriesSince = Date.now() - (options.seriesLookBackMs ?? SERIES_LOOK_BACK_MS);
  const feed = await startTopicTableFeed<DashboardTable>(conn, {
    clientId: 'foreshadow-dashboard',
    topics: { ...DASHBOARD_TOPICS, ...options.topics },
    catalogue: DASHBOARD_TOPICS,
    format: options.format,
    since: { samples: seriesSince, risk: seriesSince },
    tombstones: 'skip',
    apply: (table, key, value) => state.apply(table, key, value),
    // A record the dashboard cannot draw must not stop it drawing the others.
    skipMessage: 'dashboard skipped a record',
    log: options.log,
  });
  return { state, ...feed };
}

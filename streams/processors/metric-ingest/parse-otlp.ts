/**
 * OpenTelemetry metrics as the Collector's Kafka exporter sends them with `encoding: otlp_json`
 * (the OTLP/JSON mapping of ExportMetricsServiceRequest: resourceMetrics -> scopeMetrics -> metrics).
 * The host comes from the resource attribute `host.name` (or `host.id`); cloud placement from
 * `cloud.region` / `cloud.availability_zone`.
 *
 * Mapped: hostmetrics receiver names (system.cpu.*, system.memory.*, system.filesystem.*,
 * system.disk.*, system.network.*) and HTTP server semantic conventions (http.server.request.duration
 * in s, http.server.duration in ms: histograms -> requests/s, p50/p95/p99 and the 5xx error rate).
 * Cumulative sums and histograms are counters (rates via the counter state); delta ones are divided
 * by their own interval here.
 */
import { epochMillis, IngestRejection, type Observation, type ParsedSample, placement } from './types.js';

type Json = Record<string, unknown>;

function obj(v: unknown): Json | undefined {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : undefined;
}
function arr(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}
function num(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && v !== '') return Number(v);
  return Number.NaN;
}

/** OTLP AnyValue -> string (attributes we read are strings or ints). */
function anyValue(v: unknown): string {
  const o = obj(v);
  if (!o) return '';
  for (const k of ['stringValue', 'intValue', 'doubleValue', 'boolValue']) if (o[k] !== undefined) return String(o[k]);
  return '';
}

export function attributes(list: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const kv of arr(list)) {
    const o = obj(kv);
    if (o && typeof o.key === 'string') out[o.key] = anyValue(o.value);
  }
  return out;
}

interface Point {
  attrs: Record<string, string>;
  value: number;
  timestamp: number;
  startTimestamp: number;
}

function point(p: unknown): Point {
  const o = obj(p) ?? {};
  const value = o.asDouble !== undefined ? num(o.asDouble) : num(o.asInt);
  return {
    attrs: attributes(o.attributes),
    value,
    timestamp: epochMillis(num(o.timeUnixNano)),
    startTimestamp: o.startTimeUnixNano !== undefined ? epochMillis(num(o.startTimeUnixNano)) : 0,
  };
}

const CUMULATIVE = 2;

function mapGauge(name: string, p: Point): Observation | undefined {
  const a = p.attrs;
  switch (name) {
    case 'system.cpu.utilization':
      return a.state === 'idle'
        ? { name: 'cpu.utilization', value: 1 - p.value, kind: 'gauge', instance: a.cpu ?? '' }
        : a.state === 'wait'
          ? { name: 'cpu.iowait', value: p.value, kind: 'gauge', instance: a.cpu ?? '' }
          : undefined;
    case 'system.memory.utilization':
      return a.state === 'used' ? { name: 'mem.utilization', value: p.value, kind: 'gauge' } : undefined;
    case 'system.filesystem.utilization':
      return { name: 'disk.utilization', value: p.value, kind: 'gauge', instance: a.mountpoint ?? a.device ?? '' };
    case 'system.cpu.load_average.1m':
      return { name: 'cpu.load1', value: p.value, kind: 'gauge' };
    default:
      return undefined;
  }
}

function mapSum(name: string, p: Point, counter: boolean): Observation[] | undefined {
  const a = p.attrs;
  const kind = counter ? 'counter' : 'gauge';
  const dir = a.direction ?? a['network.io.direction'] ?? a['disk.io.direction'] ?? '';
  const device = a.device ?? a['system.device'] ?? '';
  switch (name) {
    case 'system.cpu.time': {
      const cpu = a.cpu ?? a['cpu.logical_number'] ?? '';
      const state = a.state ?? a['cpu.mode'] ?? '';
      const obs: Observation[] = [
        { name: '_ratio.cpu.utilization.den', value: p.value, kind, instance: `${cpu}/${state}` },
      ];
      if (state !== 'idle')
        obs.push({ name: '_ratio.cpu.utilization.num', value: p.value, kind, instance: `${cpu}/${state}` });
      return obs;
    }
    case 'system.memory.usage': {
      const state = a.state ?? a['system.memory.state'] ?? '';
      // one ratio group ("host") over all memory states: used / sum of states
      const obs: Observation[] = [
        { name: '_ratio.mem.utilization.den', value: p.value, kind: 'gauge', instance: `host/${state}` },
      ];
      if (state === 'used') {
        obs.push({ name: '_ratio.mem.utilization.num', value: p.value, kind: 'gauge', instance: `host/${state}` });
        obs.push({ name: 'mem.used_bytes', value: p.value, kind: 'gauge' });
      }
      return obs;
    }
    case 'system.filesystem.usage':
      return a.state === 'free'
        ? [{ name: 'disk.free_bytes', value: p.value, kind: 'gauge', instance: a.mountpoint ?? device }]
        : undefined;
    case 'system.disk.io':
      return [
        {
          name: dir === 'read' ? 'diskio.read_bytes_per_sec' : 'diskio.write_bytes_per_sec',
          value: p.value,
          kind,
          instance: device,
        },
      ];
    case 'system.disk.operations':
      return [
        {
          name: dir === 'read' ? 'diskio.read_ops_per_sec' : 'diskio.write_ops_per_sec',
          value: p.value,
          kind,
          instance: device,
        },
      ];
    case 'system.disk.io_time':
      // seconds busy per second = the busy share
      return [{ name: 'diskio.utilization', value: p.value, kind, instance: device }];
    case 'system.network.io':
      if (device === 'lo') return [];
      return [
        {
          name: dir === 'receive' ? 'net.rx_bytes_per_sec' : 'net.tx_bytes_per_sec',
          value: p.value,
          kind,
          instance: device,
        },
      ];
    case 'system.network.errors':
      if (device === 'lo') return [];
      return [{ name: 'net.errors_per_sec', value: p.value, kind, instance: `${device}/${dir}` }];
    case 'system.network.dropped':
      if (device === 'lo') return [];
      return [{ name: 'net.drops_per_sec', value: p.value, kind, instance: `${device}/${dir}` }];
    case 'system.network.connections': {
      const state = (a.state ?? a['network.connection.state'] ?? '').toUpperCase();
      const proto = a.protocol ?? a['network.transport'] ?? 'tcp';
      return state === 'ESTABLISHED' && proto === 'tcp'
        ? [{ name: 'net.connections', value: p.value, kind: 'gauge' }]
        : [];
    }
    default:
      return undefined;
  }
}

/** Histogram units: seconds per the current semantic conventions, milliseconds in the older ones. */
function latencyScaleToMs(name: string, unit: string): number | undefined {
  if (name !== 'http.server.request.duration' && name !== 'http.server.duration') return undefined;
  if (unit === 's') return 1000;
  if (unit === 'ms') return 1;
  return name === 'http.server.duration' ? 1 : 1000;
}

function mapHistogram(
  name: string,
  unit: string,
  dp: unknown,
  counter: boolean,
  series: number,
): Observation[] | undefined {
  const toMs = latencyScaleToMs(name, unit);
  if (toMs === undefined) return undefined;
  const o = obj(dp) ?? {};
  const attrs = attributes(o.attributes);
  const kind = counter ? 'counter' : 'gauge';
  const status = Number(attrs['http.response.status_code'] ?? attrs['http.status_code'] ?? 0);
  const count = num(o.count);
  const obs: Observation[] = [{ name: 'http.requests_per_sec', value: count, kind, instance: `s${series}` }];
  obs.push({ name: '_ratio.http.error_rate.den', value: count, kind, instance: `s${series}` });
  obs.push({ name: '_ratio.http.error_rate.num', value: status >= 500 ? count : 0, kind, instance: `s${series}` });
  const bounds = arr(o.explicitBounds).map(num);
  const counts = arr(o.bucketCounts).map(num);
  counts.forEach((c, i) => {
    const upper = i < bounds.length ? String(bounds[i]! * toMs) : 'Inf';
    obs.push({ name: '_hist.http.latency', value: c, kind, instance: `s${series}|${upper}` });
  });
  return obs;
}

export function parseOtlpJson(json: unknown): ParsedSample[] {
  const root = obj(json);
  const resourceMetrics = root ? arr(root.resourceMetrics) : [];
  if (resourceMetrics.length === 0) throw new IngestRejection('otlp: no resourceMetrics', 'otlp');
  const samples: ParsedSample[] = [];
  let series = 0;
  for (const rm of resourceMetrics) {
    const r = obj(rm) ?? {};
    const resAttrs = attributes(obj(r.resource)?.attributes);
    const host = resAttrs['host.name'] ?? resAttrs['host.id'] ?? '';
    const { region, zone } = placement(resAttrs);
    const tags: Record<string, string> = {};
    for (const [k, v] of Object.entries(resAttrs))
      if (k !== 'host.name' && k !== 'cloud.region' && k !== 'cloud.availability_zone') tags[k] = v;
    const sample: ParsedSample = { host, region, zone, timestamp: 0, tags, source: 'otlp', observations: [] };
    for (const sm of arr(r.scopeMetrics ?? r.instrumentationLibraryMetrics)) {
      for (const m of arr(obj(sm)?.metrics)) {
        const metric = obj(m) ?? {};
        const name = String(metric.name ?? '');
        const unit = String(metric.unit ?? '');
        const gauge = obj(metric.gauge);
        const sum = obj(metric.sum);
        const hist = obj(metric.histogram);
        const data = gauge ?? sum ?? hist;
        if (!data) continue;
        const cumulative = num(data.aggregationTemporality) === CUMULATIVE;
        for (const dp of arr(data.dataPoints)) {
          const p = point(dp);
          sample.timestamp = Math.max(sample.timestamp, p.timestamp);
          // A delta sum or histogram counts since its start: per second over its own interval.
          const perSec =
            !cumulative && (sum || hist) && p.startTimestamp > 0 && p.timestamp > p.startTimestamp
              ? 1000 / (p.timestamp - p.startTimestamp)
              : 1;
          let mapped: Observation[] | undefined;
          if (gauge)
            mapped = (() => {
              const g = mapGauge(name, p);
              return g ? [g] : undefined;
            })();
          else if (sum) mapped = mapSum(name, p, cumulative && sum.isMonotonic === true);
          else mapped = mapHistogram(name, unit, dp, cumulative, series++);
          if (mapped) {
            for (const o of mapped)
              if (o.kind === 'gauge' && perSec !== 1 && !o.name.startsWith('_hist') && o.name.endsWith('_per_sec'))
                o.value *= perSec;
            sample.observations.push(...mapped);
          } else if (!hist) {
            const inst = Object.values(p.attrs).join('.');
            const counter = cumulative && sum?.isMonotonic === true;
            sample.observations.push({
              name: `otel.${name}${inst ? `.${inst}` : ''}${counter ? '.per_sec' : ''}`,
              value: p.value,
              kind: counter ? 'counter' : 'gauge',
            });
          }
        }
      }
    }
    samples.push(sample);
  }
  return samples;
}

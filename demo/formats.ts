/**
 * How the demo's agents write samples to metrics.raw: Foreshadow JSON (one record per sample) and
 * Telegraf's InfluxDB line protocol (one record per host and time, one line per measurement, ns
 * timestamps). Both are formats metric-ingest detects by their bytes (parse-raw.ts).
 */
import type { HostSample } from '../schemas/records/host-sample.js';

export function jsonRecord(s: HostSample): string {
  return JSON.stringify({
    host: s.host,
    region: s.region,
    zone: s.zone,
    timestamp: s.timestamp,
    metrics: s.metrics,
    tags: s.tags,
  });
}

function tagEscape(v: string): string {
  return v.replace(/([ ,=\\])/g, '\\$1');
}

/** The system metrics as Telegraf's cpu, mem, disk, system and netstat inputs report them. */
export function influxRecord(s: HostSample): string {
  const tags = [`host=${tagEscape(s.host)}`, `region=${tagEscape(s.region)}`, `zone=${tagEscape(s.zone)}`];
  for (const [k, v] of Object.entries(s.tags)) tags.push(`${tagEscape(k)}=${tagEscape(v)}`);
  const t = `${s.timestamp}000000`;
  const m = s.metrics;
  const lines: string[] = [];
  const line = (measurement: string, extraTags: string, fields: string) =>
    lines.push(`${measurement},${tags.join(',')}${extraTags} ${fields} ${t}`);
  if (m['cpu.utilization'] !== undefined)
    line('cpu', ',cpu=cpu-total', `usage_idle=${(100 * (1 - m['cpu.utilization'])).toFixed(3)}`);
  if (m['mem.utilization'] !== undefined) line('mem', '', `used_percent=${(100 * m['mem.utilization']).toFixed(3)}`);
  if (m['disk.utilization'] !== undefined)
    line('disk', ',path=/', `used_percent=${(100 * m['disk.utilization']).toFixed(3)}`);
  if (m['cpu.load1'] !== undefined) line('system', '', `load1=${m['cpu.load1'].toFixed(3)}`);
  if (m['net.connections'] !== undefined) line('netstat', '', `tcp_established=${Math.round(m['net.connections'])}i`);
  return lines.join('\n');
}

/** The application's own metrics (http.*) that Telegraf does not know: sent as JSON next to it. */
export function appJsonRecord(s: HostSample): string {
  const app: Record<string, number> = {};
  for (const [k, v] of Object.entries(s.metrics)) if (k.startsWith('http.')) app[k] = v;
  return JSON.stringify({
    host: s.host,
    region: s.region,
    zone: s.zone,
    timestamp: s.timestamp,
    metrics: app,
    tags: s.tags,
  });
}

/**
 * InfluxDB line protocol, as Telegraf's Kafka output writes it (`data_format = "influx"`):
 * `measurement[,tag=v...] field=v[,field=v...] [timestamp]`, one or more lines per message,
 * timestamps in ns by default (any precision is accepted, the magnitude decides).
 *
 * Mapped measurements: cpu (cpu-total), mem, disk, diskio, net, netstat, system, ping. Every other
 * numeric field is kept as `telegraf.<measurement>.<field>[.<instance>]`.
 */
import { epochMillis, IngestRejection, type Observation, type ParsedSample, placement } from './types.js';

export interface InfluxPoint {
  measurement: string;
  tags: Record<string, string>;
  fields: Record<string, number | string | boolean>;
  timestamp?: number;
}

/** Splits on `sep` outside double quotes and not escaped by a backslash. */
function splitUnescaped(s: string, sep: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === '\\' && i + 1 < s.length) {
      cur += c + s[i + 1];
      i++;
      continue;
    }
    if (c === '"') quoted = !quoted;
    if (c === sep && !quoted) {
      out.push(cur);
      cur = '';
      continue;
    }
    cur += c;
  }
  out.push(cur);
  return out;
}

function unescapeLp(s: string): string {
  return s.replace(/\\([ ,="\\])/g, '$1');
}

function fieldValue(raw: string, line: string): number | string | boolean {
  if (raw.startsWith('"')) return unescapeLp(raw.slice(1, -1));
  if (/^(t|T|true|True|TRUE)$/.test(raw)) return true;
  if (/^(f|F|false|False|FALSE)$/.test(raw)) return false;
  const num = /[iu]$/.test(raw) ? raw.slice(0, -1) : raw;
  const v = Number(num);
  if (num === '' || Number.isNaN(v))
    throw new IngestRejection(`line protocol: bad field value "${raw}" in "${line}"`, 'influx');
  return v;
}

export function parseLine(line: string): InfluxPoint {
  const parts = splitUnescaped(line, ' ').filter((p) => p !== '');
  if (parts.length < 2 || parts.length > 3)
    throw new IngestRejection(`line protocol: expected "measurement,tags fields [timestamp]": "${line}"`, 'influx');
  const [series, fieldSet, ts] = parts as [string, string, string | undefined];
  const [measurement, ...tagPairs] = splitUnescaped(series, ',');
  if (!measurement) throw new IngestRejection(`line protocol: missing measurement: "${line}"`, 'influx');
  const tags: Record<string, string> = {};
  for (const pair of tagPairs) {
    const [k, v] = splitUnescaped(pair, '=');
    if (k === undefined || v === undefined || k === '')
      throw new IngestRejection(`line protocol: bad tag "${pair}"`, 'influx');
    tags[unescapeLp(k)] = unescapeLp(v);
  }
  const fields: Record<string, number | string | boolean> = {};
  for (const pair of splitUnescaped(fieldSet, ',')) {
    const eq = pair.search(/(?<!\\)=/);
    if (eq <= 0) throw new IngestRejection(`line protocol: bad field "${pair}" in "${line}"`, 'influx');
    fields[unescapeLp(pair.slice(0, eq))] = fieldValue(pair.slice(eq + 1), line);
  }
  let timestamp: number | undefined;
  if (ts !== undefined) {
    if (!/^-?\d+$/.test(ts)) throw new IngestRejection(`line protocol: bad timestamp "${ts}"`, 'influx');
    timestamp = epochMillis(Number(ts));
  }
  return { measurement: unescapeLp(measurement), tags, fields, timestamp };
}

/** Canonical mapping of one Telegraf field; undefined = keep as an unknown metric. */
function mapField(m: string, field: string, v: number, tags: Record<string, string>): Observation[] | undefined {
  switch (m) {
    case 'cpu':
      if (tags.cpu !== undefined && tags.cpu !== 'cpu-total') return undefined;
      if (field === 'usage_idle') return [{ name: 'cpu.utilization', value: 1 - v / 100, kind: 'gauge' }];
      if (field === 'usage_iowait') return [{ name: 'cpu.iowait', value: v / 100, kind: 'gauge' }];
      return undefined;
    case 'mem':
      if (field === 'used_percent') return [{ name: 'mem.utilization', value: v / 100, kind: 'gauge' }];
      if (field === 'used') return [{ name: 'mem.used_bytes', value: v, kind: 'gauge' }];
      if (field === 'available') return [{ name: 'mem.available_bytes', value: v, kind: 'gauge' }];
      return undefined;
    case 'disk': {
      const instance = tags.path ?? tags.device ?? '';
      if (field === 'used_percent') return [{ name: 'disk.utilization', value: v / 100, kind: 'gauge', instance }];
      if (field === 'free') return [{ name: 'disk.free_bytes', value: v, kind: 'gauge', instance }];
      return undefined;
    }
    case 'diskio': {
      const instance = tags.name ?? '';
      // io_time is cumulative milliseconds busy: its rate in ms/s divided by 1000 is the busy share.
      if (field === 'io_time')
        return [{ name: 'diskio.utilization', value: v, kind: 'counter', instance, scale: 1 / 1000 }];
      if (field === 'read_bytes') return [{ name: 'diskio.read_bytes_per_sec', value: v, kind: 'counter', instance }];
      if (field === 'write_bytes') return [{ name: 'diskio.write_bytes_per_sec', value: v, kind: 'counter', instance }];
      if (field === 'reads') return [{ name: 'diskio.read_ops_per_sec', value: v, kind: 'counter', instance }];
      if (field === 'writes') return [{ name: 'diskio.write_ops_per_sec', value: v, kind: 'counter', instance }];
      return undefined;
    }
    case 'net': {
      const instance = tags.interface ?? '';
      // interface=all carries protocol counters (tcp_*, udp_*): not per-interface traffic.
      if (instance === 'all' || instance === 'lo') return undefined;
      if (field === 'bytes_recv') return [{ name: 'net.rx_bytes_per_sec', value: v, kind: 'counter', instance }];
      if (field === 'bytes_sent') return [{ name: 'net.tx_bytes_per_sec', value: v, kind: 'counter', instance }];
      if (field === 'err_in' || field === 'err_out')
        return [{ name: 'net.errors_per_sec', value: v, kind: 'counter', instance: `${instance}/${field}` }];
      if (field === 'drop_in' || field === 'drop_out')
        return [{ name: 'net.drops_per_sec', value: v, kind: 'counter', instance: `${instance}/${field}` }];
      return undefined;
    }
    case 'netstat':
      if (field === 'tcp_established') return [{ name: 'net.connections', value: v, kind: 'gauge' }];
      return undefined;
    case 'system':
      if (field === 'load1') return [{ name: 'cpu.load1', value: v, kind: 'gauge' }];
      return undefined;
    case 'ping': {
      const instance = tags.url ?? '';
      if (field === 'average_response_ms') return [{ name: 'net.latency_ms', value: v, kind: 'gauge', instance }];
      if (field === 'percent_packet_loss')
        return [{ name: 'net.packet_loss', value: v / 100, kind: 'gauge', instance }];
      return undefined;
    }
    default:
      return undefined;
  }
}

const INSTANCE_TAGS = ['cpu', 'path', 'name', 'interface', 'device', 'url'];

/** Parses a Telegraf message (one or more lines) into one sample per (host, timestamp). */
export function parseInflux(text: string, now: number): ParsedSample[] {
  const lines = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
  if (lines.length === 0) throw new IngestRejection('line protocol: empty message', 'influx');
  const samples = new Map<string, ParsedSample>();
  for (const line of lines) {
    const p = parseLine(line);
    const host = p.tags.host ?? p.tags.hostname ?? '';
    const timestamp = p.timestamp ?? now;
    const key = `${host}\u0000${timestamp}`;
    let sample = samples.get(key);
    if (!sample) {
      const { host: _h, ...tags } = p.tags;
      const { region, zone } = placement(p.tags);
      sample = { host, region, zone, timestamp, tags: {}, source: 'influx', observations: [] };
      for (const [k, v] of Object.entries(tags)) if (!INSTANCE_TAGS.includes(k)) sample.tags[k] = v;
      samples.set(key, sample);
    }
    const instance = INSTANCE_TAGS.map((t) => p.tags[t]).find((v) => v !== undefined);
    for (const [field, raw] of Object.entries(p.fields)) {
      if (typeof raw === 'string') continue;
      const v = typeof raw === 'boolean' ? (raw ? 1 : 0) : raw;
      const mapped = mapField(p.measurement, field, v, p.tags);
      if (mapped) sample.observations.push(...mapped);
      else
        sample.observations.push({
          name: `telegraf.${p.measurement}.${field}${instance !== undefined ? `.${instance}` : ''}`,
          value: v,
          kind: 'gauge',
        });
    }
  }
  return [...samples.values()];
}

/** Cheap sniff: does this text look like line protocol? */
export function looksLikeLineProtocol(text: string): boolean {
  const first = text.trimStart().split('\n', 1)[0] ?? '';
  return /^[^\s,#"][^\s]*\s+[^\s=]+=[^\s]+(\s+-?\d+)?\s*$/.test(first);
}

/**
 * collectd's write_kafka plugin with `Format JSON`: a JSON array of value lists,
 * `{values, dstypes, dsnames, time (s), interval, host, plugin, plugin_instance, type, type_instance}`.
 * Each message usually carries one plugin reading, so one message becomes one partial sample.
 *
 * dstypes: gauge (as is), derive and counter (cumulative: rates via the counter state), absolute
 * (a count since the previous reading: divided by the interval here).
 * Utilisations come from the percentage variants, so collectd needs `ValuesPercentage true` for the
 * cpu (with `ReportByState false`: "percent-active"), memory and df plugins; see docs/metrics.md.
 */
import { z } from 'zod';
import { IngestRejection, type Observation, type ParsedSample } from './types.js';

const valueList = z.object({
  values: z.array(z.number().nullable()),
  dstypes: z.array(z.enum(['gauge', 'derive', 'counter', 'absolute'])),
  dsnames: z.array(z.string()),
  time: z.number(),
  interval: z.number().optional(),
  host: z.string().min(1),
  plugin: z.string(),
  plugin_instance: z.string().default(''),
  type: z.string(),
  type_instance: z.string().default(''),
  meta: z.record(z.string(), z.unknown()).optional(),
});
export type CollectdValueList = z.infer<typeof valueList>;

type Mapped = Omit<Observation, 'value' | 'kind'> & { scaleValue?: number };

/** Canonical target of one data source of a value list; undefined = keep as unknown. */
function mapSource(vl: CollectdValueList, ds: string): Mapped | undefined {
  const pi = vl.plugin_instance;
  const ti = vl.type_instance;
  switch (vl.plugin) {
    case 'cpu':
      if (vl.type === 'percent' && ti === 'active') return { name: 'cpu.utilization', instance: pi, scaleValue: 0.01 };
      if (vl.type === 'percent' && ti === 'wait') return { name: 'cpu.iowait', instance: pi, scaleValue: 0.01 };
      return undefined;
    case 'memory':
      if (vl.type === 'percent' && ti === 'used') return { name: 'mem.utilization', scaleValue: 0.01 };
      if (vl.type === 'memory' && ti === 'used') return { name: 'mem.used_bytes' };
      if (vl.type === 'memory' && ti === 'available') return { name: 'mem.available_bytes' };
      return undefined;
    case 'df':
      if (vl.type === 'percent_bytes' && ti === 'used')
        return { name: 'disk.utilization', instance: pi, scaleValue: 0.01 };
      if (vl.type === 'df_complex' && ti === 'free') return { name: 'disk.free_bytes', instance: pi };
      return undefined;
    case 'disk':
      if (vl.type === 'disk_octets')
        return { name: ds === 'read' ? 'diskio.read_bytes_per_sec' : 'diskio.write_bytes_per_sec', instance: pi };
      if (vl.type === 'disk_ops')
        return { name: ds === 'read' ? 'diskio.read_ops_per_sec' : 'diskio.write_ops_per_sec', instance: pi };
      // io_time is milliseconds busy per second once derived: / 1000 gives the busy share.
      if (vl.type === 'disk_io_time' && ds === 'io_time')
        return { name: 'diskio.utilization', instance: pi, scale: 1 / 1000 };
      return undefined;
    case 'interface':
      if (pi === 'lo') return undefined;
      if (vl.type === 'if_octets')
        return { name: ds === 'rx' ? 'net.rx_bytes_per_sec' : 'net.tx_bytes_per_sec', instance: pi };
      if (vl.type === 'if_errors') return { name: 'net.errors_per_sec', instance: `${pi}/${ds}` };
      if (vl.type === 'if_dropped') return { name: 'net.drops_per_sec', instance: `${pi}/${ds}` };
      return undefined;
    case 'load':
      if (vl.type === 'load' && ds === 'shortterm') return { name: 'cpu.load1' };
      return undefined;
    case 'ping':
      if (vl.type === 'ping') return { name: 'net.latency_ms', instance: ti };
      if (vl.type === 'ping_droprate') return { name: 'net.packet_loss', instance: ti };
      return undefined;
    case 'tcpconns':
      if (vl.type === 'tcp_connections' && ti === 'ESTABLISHED') return { name: 'net.connections', instance: pi };
      return undefined;
    default:
      return undefined;
  }
}

function unknownName(vl: CollectdValueList, ds: string): string {
  const parts = ['collectd', vl.plugin, vl.plugin_instance, vl.type, vl.type_instance, ds === 'value' ? '' : ds];
  return parts.filter((p) => p !== '').join('.');
}

export function parseCollectd(json: unknown): ParsedSample[] {
  if (!Array.isArray(json) || json.length === 0)
    throw new IngestRejection('collectd: expected a non-empty JSON array of value lists', 'collectd');
  const samples = new Map<string, ParsedSample>();
  for (const item of json) {
    const parsed = valueList.safeParse(item);
    if (!parsed.success)
      throw new IngestRejection(
        `collectd: bad value list: ${parsed.error.issues[0]?.message ?? 'invalid'}`,
        'collectd',
      );
    const vl = parsed.data;
    if (vl.values.length !== vl.dsnames.length || vl.values.length !== vl.dstypes.length) {
      throw new IngestRejection('collectd: values, dstypes and dsnames differ in length', 'collectd');
    }
    const timestamp = Math.round(vl.time * 1000);
    const key = `${vl.host}\u0000${timestamp}`;
    let sample = samples.get(key);
    if (!sample) {
      sample = { host: vl.host, region: '', zone: '', timestamp, tags: {}, source: 'collectd', observations: [] };
      samples.set(key, sample);
    }
    vl.values.forEach((raw, i) => {
      const ds = vl.dsnames[i]!;
      const dstype = vl.dstypes[i]!;
      // collectd writes null for a NaN reading: impossible, so it goes to the dead-letter topic.
      const value = raw === null ? Number.NaN : raw;
      const mapped = mapSource(vl, ds);
      const counter = dstype === 'derive' || dstype === 'counter';
      const perInterval = dstype === 'absolute' ? 1 / (vl.interval && vl.interval > 0 ? vl.interval : 1) : 1;
      if (mapped) {
        const { scaleValue = 1, ...rest } = mapped;
        const obs: Observation = { ...rest, value: value * perInterval, kind: counter ? 'counter' : 'gauge' };
        if (counter) obs.scale = (mapped.scale ?? 1) * scaleValue;
        else obs.value *= scaleValue * (mapped.scale ?? 1);
        if (!counter) delete obs.scale;
        sample.observations.push(obs);
      } else {
        const name = unknownName(vl, ds) + (counter ? '.per_sec' : '');
        sample.observations.push({ name, value: value * perInterval, kind: counter ? 'counter' : 'gauge' });
      }
    });
  }
  return [...samples.values()];
}

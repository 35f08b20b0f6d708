import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { HostSample } from '../../../schemas/records/host-sample.js';
import { type CounterState, normaliseSample } from '../../../streams/processors/metric-ingest/normalise.js';
import { parseLine } from '../../../streams/processors/metric-ingest/parse-influx.js';
import { parseText } from '../../../streams/processors/metric-ingest/parse-raw.js';
import { IngestRejection } from '../../../streams/processors/metric-ingest/types.js';

const fixtures = join(import.meta.dirname, '../../fixtures/metrics');
const fixture = (name: string) => readFileSync(join(fixtures, name));
const T0 = 1_763_900_000_000;
const NOW = T0 + 20_000;

/** Parses a sequence of raw records of one host through the normaliser, carrying counter state. */
function ingest(...files: string[]): HostSample[] {
  let counters: CounterState = {};
  const out: HostSample[] = [];
  for (const f of files) {
    for (const parsed of parseText(fixture(f), NOW)) {
      const r = normaliseSample(parsed, counters, NOW);
      counters = r.counters;
      out.push(r.sample);
    }
  }
  return out;
}

describe('InfluxDB line protocol (Telegraf)', () => {
  it('parses tags, typed fields, escapes and ns timestamps', () => {
    const p = parseLine(
      'disk,path=/my\\ data,host=a\\,b used_percent=12.5,inodes=3i,ro=false,label="x y" 1763900000000000000',
    );
    expect(p.measurement).toBe('disk');
    expect(p.tags).toEqual({ path: '/my data', host: 'a,b' });
    expect(p.fields).toEqual({ used_percent: 12.5, inodes: 3, ro: false, label: 'x y' });
    expect(p.timestamp).toBe(T0);
  });

  it('normalises cpu, mem, disk, system and netstat gauges on the first batch', () => {
    const [s] = ingest('telegraf-1.lp');
    expect(s).toBeDefined();
    expect(s!.host).toBe('web-1');
    expect(s!.region).toBe('eu-west-1');
    expect(s!.zone).toBe('eu-west-1a');
    expect(s!.source).toBe('influx');
    expect(s!.timestamp).toBe(T0);
    expect(s!.metrics['cpu.utilization']).toBeCloseTo(0.125, 9);
    expect(s!.metrics['cpu.iowait']).toBeCloseTo(0.005, 9);
    expect(s!.metrics['mem.utilization']).toBeCloseTo(0.625, 9);
    expect(s!.metrics['mem.available_bytes']).toBe(3221225472);
    // the fullest filesystem wins
    expect(s!.metrics['disk.utilization']).toBeCloseTo(0.712, 9);
    expect(s!.metrics['disk.free_bytes']).toBe(10737418240);
    expect(s!.metrics['net.connections']).toBe(42);
    expect(s!.metrics['cpu.load1']).toBe(0.75);
    // counters have no rate yet
    expect(s!.metrics['net.rx_bytes_per_sec']).toBeUndefined();
    // unknown metrics are kept under a source prefix
    expect(s!.metrics['telegraf.cpu.usage_idle.cpu0']).toBe(80);
    expect(s!.metrics['telegraf.system.n_cpus']).toBe(4);
    expect(s!.metrics['telegraf.netstat.tcp_time_wait']).toBe(7);
  });

  it('turns diskio and net counters into per-second rates and survives a counter reset', () => {
    const [, s] = ingest('telegraf-1.lp', 'telegraf-2.lp');
    expect(s!.metrics['diskio.utilization']).toBeCloseTo(0.25, 9); // 2500 ms busy in 10 s
    expect(s!.metrics['diskio.read_bytes_per_sec']).toBeCloseTo(10_000, 6);
    expect(s!.metrics['diskio.write_bytes_per_sec']).toBe(0);
    expect(s!.metrics['net.rx_bytes_per_sec']).toBeCloseTo(50_000, 6);
    // bytes_sent fell from 2,000,000 to 1,000: a restart, so the increase is the new value
    expect(s!.metrics['net.tx_bytes_per_sec']).toBeCloseTo(100, 6);
    expect(s!.metrics['net.errors_per_sec']).toBeCloseTo(2, 9);
    expect(s!.metrics['net.drops_per_sec']).toBe(0);
  });

  it('aggregates instances sent one per message within a collection cycle (Telegraf default)', () => {
    let counters: CounterState = {};
    const disk: number[] = [];
    for (const line of fixture('telegraf-1.lp')
      .toString()
      .trim()
      .split('\n')
      .filter((l) => l.startsWith('disk,'))) {
      const [p] = parseText(Buffer.from(line), NOW);
      const r = normaliseSample(p!, counters, NOW);
      counters = r.counters;
      disk.push(r.sample.metrics['disk.utilization']!);
    }
    // "/" (71.2%) then "/data" (40%): the host value stays the fullest filesystem
    expect(disk).toHaveLength(2);
    for (const d of disk) expect(d).toBeCloseTo(0.712, 12);
  });

  it('rejects malformed lines with a reason', () => {
    expect(() => parseText(Buffer.from('cpu,host=a usage_idle=abc 1'), NOW)).toThrow(/bad field value/);
    expect(() => parseText(Buffer.from('justameasurement'), NOW)).toThrow(IngestRejection);
  });
});

describe('collectd write_kafka JSON', () => {
  it('maps percent-active, load, df, memory and keeps unknown plugins', () => {
    const [cpu] = ingest('collectd-cpu.json');
    expect(cpu!.host).toBe('db-1');
    expect(cpu!.source).toBe('collectd');
    expect(cpu!.timestamp).toBe(T0 + 123);
    expect(cpu!.metrics).toEqual({ 'cpu.utilization': 0.125 });
    const [mixed] = ingest('collectd-mixed.json');
    expect(mixed!.metrics['cpu.load1']).toBe(0.5);
    expect(mixed!.metrics['disk.utilization']).toBeCloseTo(0.8125, 9);
    expect(mixed!.metrics['mem.utilization']).toBeCloseTo(0.555, 9);
    expect(mixed!.metrics['collectd.load.load.midterm']).toBe(0.4);
    expect(mixed!.metrics['collectd.uptime.uptime']).toBe(12345);
  });

  it('derives interface octet rates across messages', () => {
    const [first, second] = ingest('collectd-interface-1.json', 'collectd-interface-2.json');
    expect(first!.metrics).toEqual({});
    expect(second!.metrics['net.rx_bytes_per_sec']).toBeCloseTo(25_000, 6);
    expect(second!.metrics['net.tx_bytes_per_sec']).toBeCloseTo(10_000, 6);
  });

  it('rejects a NaN reading (collectd writes null)', () => {
    expect(() => ingest('collectd-nan.json')).toThrow(/cpu.utilization is not a finite number/);
  });
});

describe('OTLP JSON (Collector kafka exporter)', () => {
  it('maps hostmetrics gauges and sums, placement from resource attributes', () => {
    const [s] = ingest('otlp-1.json');
    expect(s!.host).toBe('api-1');
    expect(s!.region).toBe('us-east-1');
    expect(s!.zone).toBe('us-east-1b');
    expect(s!.tags['service.name']).toBe('api');
    expect(s!.metrics['cpu.utilization']).toBeCloseTo(0.4, 9); // mean of 0.3 and 0.5 busy
    expect(s!.metrics['mem.utilization']).toBeCloseTo(0.42, 9);
    expect(s!.metrics['disk.utilization']).toBeCloseTo(0.33, 9);
    expect(s!.metrics['net.connections']).toBe(17);
    expect(s!.metrics['otel.process.count']).toBe(211);
  });

  it('derives request rate, error rate and latency percentiles from cumulative histograms', () => {
    const [, s] = ingest('otlp-1.json', 'otlp-2.json');
    expect(s!.metrics['net.rx_bytes_per_sec']).toBeCloseTo(50_000, 6); // loopback excluded
    expect(s!.metrics['http.requests_per_sec']).toBeCloseTo(61, 6);
    expect(s!.metrics['http.error_rate']).toBeCloseTo(10 / 610, 9);
    // interval buckets (ms): <=5:10, <=10:50, <=25:300, <=50:200, <=100:40, <=250:10 (cumulative 10,60,360,560,600,610)
    expect(s!.metrics['http.latency_p50_ms']).toBeCloseTo(10 + ((305 - 60) / 300) * 15, 6);
    expect(s!.metrics['http.latency_p95_ms']).toBeCloseTo(50 + ((579.5 - 560) / 40) * 50, 6);
    expect(s!.metrics['http.latency_p99_ms']).toBeCloseTo(100 + ((603.9 - 600) / 10) * 150, 6);
  });
});

describe('Foreshadow JSON and validation', () => {
  const json = (o: unknown) => Buffer.from(JSON.stringify(o));
  const run = (o: unknown, counters: CounterState = {}) => {
    const [p] = parseText(json(o), NOW);
    return normaliseSample(p!, counters, NOW);
  };

  it('accepts canonical gauges, cumulative counters and ISO timestamps', () => {
    const a = run({
      host: 'h1',
      region: 'r',
      timestamp: new Date(T0).toISOString(),
      metrics: { 'cpu.utilization': 0.3, 'custom.queue_depth': 4 },
      counters: { 'app.errors_per_sec': 100 },
    });
    expect(a.sample.metrics).toEqual({ 'cpu.utilization': 0.3, 'custom.queue_depth': 4 });
    const b = run(
      { host: 'h1', region: 'r', timestamp: T0 + 60_000, metrics: {}, counters: { 'app.errors_per_sec': 160 } },
      a.counters,
    );
    expect(b.sample.metrics['app.errors_per_sec']).toBeCloseTo(1, 9);
    expect(b.sample.source).toBe('json');
  });

  it.each([
    [{ host: 'h', timestamp: T0, metrics: { 'cpu.utilization': -0.2 } }, /negative utilisation/],
    [{ host: 'h', timestamp: T0, metrics: { 'mem.utilization': 7 } }, /fraction above 1/],
    [{ host: 'h', timestamp: T0, metrics: { 'cpu.utilization': 'NaN' } }, /not a finite number/],
    [{ host: 'h', timestamp: NOW + 3 * 3_600_000, metrics: { 'cpu.utilization': 0.1 } }, /180 min in the future/],
    [{ host: 'h', timestamp: NOW - 30 * 86_400_000, metrics: { 'cpu.utilization': 0.1 } }, /older than 7 days/],
    [{ timestamp: T0, metrics: {} }, /host/],
    [{ host: 'h', timestamp: 'yesterday', metrics: {} }, /unreadable timestamp/],
    [{ host: 'h', timestamp: T0, metrics: { 'net.connections': -3 } }, /net.connections is negative/],
  ])('rejects %j', (input, reason) => {
    expect(() => run(input)).toThrow(reason);
  });

  it('clamps a rounding hair above 1 instead of rejecting it', () => {
    expect(
      run({ host: 'h', timestamp: T0, metrics: { 'cpu.utilization': 1.004 } }).sample.metrics['cpu.utilization'],
    ).toBe(1);
  });

  it('rejects bytes that are neither text nor Avro, and broken JSON', () => {
    expect(() => parseText(Buffer.from([0xff, 0xfe, 0x00, 0x01]), NOW)).toThrow(/unrecognised format/);
    expect(() => parseText(Buffer.from('{"host": '), NOW)).toThrow(/malformed JSON/);
  });
});

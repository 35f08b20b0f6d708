import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { HostSample } from '../../../schemas/records/host-sample.js';
import { RAW_METRICS_TOPIC, SAMPLES_TOPIC } from '../../../streams/catalogue.js';
import { COUNTER_STORE } from '../../../streams/processors/metric-ingest/names.js';
import type { CounterState } from '../../../streams/processors/metric-ingest/normalise.js';
import { buildMetricIngestTopology } from '../../../streams/processors/metric-ingest/topology.js';
import { jsonSerde } from '../../../streams/runtime/serdes.js';
import { TopologyTestDriver } from '../../../streams/testing/topology-test-driver.js';

const fixture = (name: string) => readFileSync(join(import.meta.dirname, '../../fixtures/metrics', name));
const T0 = 1_763_900_000_000;

function driver(): TopologyTestDriver {
  const topology = buildMetricIngestTopology({ sampleSerde: jsonSerde<HostSample>() });
  return new TopologyTestDriver(topology, { initialWallClockMs: T0 + 30_000 });
}

describe('MetricIngestProcessor through the test driver', () => {
  it('publishes canonical samples keyed by host from every input format', async () => {
    const d = driver();
    await d.pipeRawInput(RAW_METRICS_TOPIC, null, fixture('telegraf-1.lp'), T0);
    await d.pipeRawInput(RAW_METRICS_TOPIC, Buffer.from('db-1'), fixture('collectd-mixed.json'), T0);
    await d.pipeRawInput(RAW_METRICS_TOPIC, null, fixture('otlp-1.json'), T0);
    const json = { host: 'edge-9', region: 'ap-south-1', timestamp: T0, metrics: { 'cpu.utilization': 0.2 } };
    await d.pipeRawInput(RAW_METRICS_TOPIC, null, Buffer.from(JSON.stringify(json)), T0);
    const out = d.readOutput<string, HostSample>(SAMPLES_TOPIC);
    expect(out.map((r) => [r.key, r.value.source, r.timestamp])).toEqual([
      ['web-1', 'influx', T0],
      ['db-1', 'collectd', T0],
      ['api-1', 'otlp', T0],
      ['edge-9', 'json', T0],
    ]);
    expect(out[0]!.value.metrics['cpu.utilization']).toBeCloseTo(0.125, 9);
    expect(out[3]!.value.region).toBe('ap-south-1');
    expect(d.readOutput(`${RAW_METRICS_TOPIC}.dlq`)).toEqual([]);
  });

  it('keeps counter state per host in the store and emits rates on the next record', async () => {
    const d = driver();
    await d.pipeRawInput(RAW_METRICS_TOPIC, null, fixture('collectd-interface-1.json'), T0);
    // the first reading of a counter has no rate: nothing to publish
    expect(d.readOutput(SAMPLES_TOPIC)).toEqual([]);
    const state = await d.getKeyValueStore<string, CounterState>(COUNTER_STORE).get('db-1');
    expect(state?.['net.rx_bytes_per_sec|eth0']).toEqual({ v: 1_000_000, t: T0 });
    await d.pipeRawInput(RAW_METRICS_TOPIC, null, fixture('collectd-interface-2.json'), T0 + 10_000);
    const [s] = d.readOutput<string, HostSample>(SAMPLES_TOPIC);
    expect(s!.value.metrics['net.rx_bytes_per_sec']).toBeCloseTo(25_000, 6);
  });

  it('dead-letters bad records with the reason and leaves the counters untouched', async () => {
    const d = driver();
    await d.pipeRawInput(RAW_METRICS_TOPIC, null, fixture('collectd-interface-1.json'), T0);
    const bad = [
      fixture('collectd-nan.json'),
      Buffer.from(JSON.stringify({ host: 'db-1', timestamp: T0 + 5 * 3_600_000, metrics: { 'cpu.utilization': 0.5 } })),
      Buffer.from(
        JSON.stringify({
          host: 'db-1',
          timestamp: T0,
          metrics: { 'cpu.utilization': -1 },
          counters: { 'net.rx_bytes_per_sec': 5 },
        }),
      ),
      Buffer.from('cpu,host=x usage_idle=oops'),
      Buffer.from([0xde, 0xad, 0xbe, 0xef]),
    ];
    for (const b of bad) await d.pipeRawInput(RAW_METRICS_TOPIC, null, b, T0);
    const dlq = d.readOutput<Buffer, Buffer>(`${RAW_METRICS_TOPIC}.dlq`);
    expect(dlq).toHaveLength(bad.length);
    const reasons = dlq.map((r) => r.headers['x-dlq-error']);
    expect(reasons[0]).toMatch(/cpu.utilization is not a finite number/);
    expect(reasons[1]).toMatch(/in the future/);
    expect(reasons[2]).toMatch(/negative utilisation/);
    expect(reasons[3]).toMatch(/bad field value/);
    expect(reasons[4]).toMatch(/unrecognised format/);
    expect(dlq[1]!.value.equals(bad[1]!)).toBe(true);
    expect(dlq.every((r) => r.headers['x-dlq-source-topic'] === RAW_METRICS_TOPIC)).toBe(true);
    expect(d.readOutput(SAMPLES_TOPIC)).toEqual([]);
    const state = await d.getKeyValueStore<string, CounterState>(COUNTER_STORE).get('db-1');
    expect(state).toEqual({
      'net.rx_bytes_per_sec|eth0': { v: 1_000_000, t: T0 },
      'net.tx_bytes_per_sec|eth0': { v: 2_000_000, t: T0 },
    });
  });
});

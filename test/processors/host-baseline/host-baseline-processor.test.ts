import { describe, expect, it } from 'vitest';
import type { HostBaseline } from '../../../schemas/records/host-baseline.js';
import type { HostSample } from '../../../schemas/records/host-sample.js';
import { BASELINES_TOPIC, SAMPLES_TOPIC } from '../../../streams/catalogue.js';
import { DAY_MS, WEEK_MS } from '../../../streams/processors/host-baseline/baseline.js';
import { type HostBaselineState, seasonalMedians } from '../../../streams/processors/host-baseline/host-state.js';
import { BASELINE_STORE } from '../../../streams/processors/host-baseline/names.js';
import { buildHostBaselineTopology } from '../../../streams/processors/host-baseline/topology.js';
import { jsonSerde } from '../../../streams/runtime/serdes.js';
import { TopologyTestDriver } from '../../../streams/testing/topology-test-driver.js';

const T0 = Date.UTC(2026, 0, 5);
const STEP = 5 * 60_000;

function sample(t: number, cpu: number, host = 'h1'): HostSample {
  return {
    host,
    region: 'eu-west-1',
    zone: 'eu-west-1a',
    timestamp: t,
    metrics: { 'cpu.utilization': cpu, 'mem.utilization': 0.5 },
    tags: {},
    source: 'json',
  };
}

function driver(): TopologyTestDriver {
  const topology = buildHostBaselineTopology({
    sampleSerde: jsonSerde<HostSample>(),
    baselineSerde: jsonSerde<HostBaseline>(),
    processor: { emitIntervalMs: 30 * 60_000 },
  });
  return new TopologyTestDriver(topology, { initialWallClockMs: T0 });
}

describe('HostBaselineProcessor through the test driver', () => {
  it('publishes on schedule and on warm-up, with warm flags, counts and quantiles', async () => {
    const d = driver();
    for (let i = 0; i < 40; i++)
      await d.pipeInput(SAMPLES_TOPIC, 'h1', sample(T0 + i * STEP, 0.3 + 0.01 * (i % 5)), T0 + i * STEP);
    const out = d.readOutput<string, HostBaseline>(BASELINES_TOPIC);
    // first sample (new metrics), every 30 min of event time, and the moment warm-up completes
    expect(out.length).toBeGreaterThanOrEqual(3);
    expect(out.every((r) => r.key === 'h1')).toBe(true);
    expect(out[0]!.value.warm).toBe(false);
    const warmAt = out.findIndex((r) => r.value.warm);
    expect(out[warmAt]!.value.sampleCount).toBe(30);
    const last = out[out.length - 1]!.value;
    expect(last.region).toBe('eu-west-1');
    expect(last.metrics['cpu.utilization']!.median).toBeCloseTo(0.32, 9);
    expect(last.metrics['cpu.utilization']!.p99).toBeCloseTo(0.34, 9);
    expect(last.metrics['mem.utilization']!.mad).toBe(0);
  });

  it('publishes early when a median moves materially, and not while it is steady', async () => {
    // a day-long schedule takes scheduled publishing out of the picture
    const topology = buildHostBaselineTopology({
      sampleSerde: jsonSerde<HostSample>(),
      baselineSerde: jsonSerde<HostBaseline>(),
      processor: { emitIntervalMs: DAY_MS },
    });
    const d = new TopologyTestDriver(topology, { initialWallClockMs: T0 });
    let t = T0;
    for (let i = 0; i < 100; i++, t += STEP) await d.pipeInput(SAMPLES_TOPIC, 'h1', sample(t, 0.3 + 0.01 * (i % 3)), t);
    const warmUp = d.readOutput<string, HostBaseline>(BASELINES_TOPIC);
    expect(warmUp.map((r) => r.value.warm)).toEqual([false, true]);
    for (let i = 0; i < 200; i++, t += STEP) await d.pipeInput(SAMPLES_TOPIC, 'h1', sample(t, 0.8 + 0.01 * (i % 3)), t);
    const moved = d.readOutput<string, HostBaseline>(BASELINES_TOPIC);
    expect(moved.length).toBeGreaterThan(0);
    expect(moved[moved.length - 1]!.value.metrics['cpu.utilization']!.median).toBeGreaterThanOrEqual(0.8);
    expect(moved.length).toBeLessThan(10);
  });

  it('keeps state per host in the store (restorable value) and separates hosts', async () => {
    const d = driver();
    for (let i = 0; i < 5; i++) {
      await d.pipeInput(SAMPLES_TOPIC, 'a', sample(T0 + i * STEP, 0.1, 'a'), T0 + i * STEP);
      await d.pipeInput(SAMPLES_TOPIC, 'b', sample(T0 + i * STEP, 0.9, 'b'), T0 + i * STEP);
    }
    const store = d.getKeyValueStore<string, HostBaselineState>(BASELINE_STORE);
    const a = await store.get('a');
    const b = await store.get('b');
    expect(a!.sampleCount).toBe(5);
    expect(a!.metrics['cpu.utilization']!.stats.median).toBeCloseTo(0.1, 12);
    expect(b!.metrics['cpu.utilization']!.stats.median).toBeCloseTo(0.9, 12);
    expect(JSON.parse(JSON.stringify(a))).toEqual(a);
  });

  it('publishes the hour-of-week seasonal median from hourly windows once two weeks exist', async () => {
    expect(seasonalMedians([{ m: { n: 2, sum: 1 } }])).toEqual({});
    expect(seasonalMedians([{ m: { n: 2, sum: 1 } }, { m: { n: 1, sum: 0.7 } }, { m: { n: 1, sum: 0.9 } }])).toEqual({
      m: 0.7,
    });
    const d = driver();
    const hourlyStep = 60 * 60_000;
    // three weeks, one sample an hour: Mondays 10:00 run hot
    for (let t = T0; t < T0 + 3 * WEEK_MS; t += hourlyStep) {
      const hot = new Date(t).getUTCDay() === 1 && new Date(t).getUTCHours() === 10;
      await d.pipeInput(SAMPLES_TOPIC, 'h1', sample(t, hot ? 0.9 : 0.2), t);
    }
    d.readOutput(BASELINES_TOPIC);
    const monday10 = T0 + 3 * WEEK_MS + 10 * 3_600_000; // T0 is a Monday
    await d.pipeInput(SAMPLES_TOPIC, 'h1', sample(monday10, 0.9), monday10);
    const out = d.readOutput<string, HostBaseline>(BASELINES_TOPIC);
    expect(out.length).toBe(1);
    expect(out[0]!.value.metrics['cpu.utilization']!.seasonalMedian).toBeCloseTo(0.9, 9);
    expect(out[0]!.value.metrics['cpu.utilization']!.median).toBeCloseTo(0.2, 9);
    expect(DAY_MS).toBe(86_400_000);
  });
});

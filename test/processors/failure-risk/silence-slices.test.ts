import { describe, expect, it } from 'vitest';
import type { Deployment } from '../../../schemas/records/deployment.js';
import type { HostFailure } from '../../../schemas/records/host-failure.js';
import type { HostRisk } from '../../../schemas/records/host-risk.js';
import type { HostSample } from '../../../schemas/records/host-sample.js';
import { RISK_TOPIC, SAMPLES_TOPIC } from '../../../streams/catalogue.js';
import { SILENCE_SLICE } from '../../../streams/processors/failure-risk/processor.js';
import { buildFailureRiskTopology } from '../../../streams/processors/failure-risk/topology.js';
import { jsonSerde } from '../../../streams/runtime/serdes.js';
import { TopologyTestDriver } from '../../../streams/testing/topology-test-driver.js';

const T0 = Date.UTC(2026, 0, 5);

describe('silence check when many hosts go quiet at once', () => {
  it('reports every silent host, a slice per wall-clock tick, so commits come in between', async () => {
    const d = new TopologyTestDriver(
      buildFailureRiskTopology({
        sampleSerde: jsonSerde<HostSample>(),
        failureSerde: jsonSerde<HostFailure>(),
        deploymentSerde: jsonSerde<Deployment | null>(),
        riskSerde: jsonSerde<HostRisk>(),
      }),
      { initialWallClockMs: T0 },
    );
    const hosts = Math.round(2.5 * SILENCE_SLICE);
    const name = (i: number) => `rack-7-${String(i).padStart(5, '0')}`;
    for (let step = 0; step < 2; step++) {
      for (let i = 0; i < hosts; i++) {
        const t = T0 + step * 10_000;
        const sample: HostSample = {
          host: name(i),
          region: 'eu',
          zone: 'eu-a',
          timestamp: t,
          metrics: { 'cpu.utilization': 0.3 },
          tags: {},
          source: 'json',
        };
        await d.pipeInput(SAMPLES_TOPIC, name(i), sample, t);
      }
    }
    d.readOutput(RISK_TOPIC);
    // the rack goes dark: a minute later the check starts, one slice per one-second tick
    await d.advanceWallClockTime(60_000);
    const first = d.readOutput<string, HostRisk>(RISK_TOPIC);
    await d.advanceWallClockTime(1_000);
    const second = d.readOutput<string, HostRisk>(RISK_TOPIC);
    await d.advanceWallClockTime(1_000);
    const third = d.readOutput<string, HostRisk>(RISK_TOPIC);
    await d.advanceWallClockTime(1_000);
    expect([first.length, second.length, third.length]).toEqual([
      SILENCE_SLICE,
      SILENCE_SLICE,
      hosts - 2 * SILENCE_SLICE,
    ]);
    expect(d.readOutput(RISK_TOPIC)).toHaveLength(0);
    const reported = [...first, ...second, ...third].map((r) => r.key);
    expect(reported).toEqual(Array.from({ length: hosts }, (_, i) => name(i)));
    expect(third.every((r) => r.value.drivers.some((x) => x.feature === 'missing'))).toBe(true);
    // the next check, a minute after the first began, reports them all again
    await d.advanceWallClockTime(57_000);
    expect(d.readOutput(RISK_TOPIC)).toHaveLength(SILENCE_SLICE);
    await d.close();
  }, 60_000);
});

import { describe, expect, it } from 'vitest';
import type { CapacityFingerprint } from '../../../schemas/records/capacity-fingerprint.js';
import { CAPACITY_TOPIC, SAMPLES_TOPIC } from '../../../streams/catalogue.js';
import { decodeFingerprint } from '../../../streams/processors/capacity-fingerprint/fingerprint-codec.js';
import type { CapacitySample } from '../../../streams/processors/capacity-fingerprint/processor.js';
import { capacityTopology } from '../../../streams/processors/capacity-fingerprint/topology.js';
import { jsonSerde } from '../../../streams/runtime/serdes.js';
import { TopologyTestDriver } from '../../../streams/testing/topology-test-driver.js';
import { generateRegion, generateSamples } from '../../fixtures/regions/synthetic-region.js';

const T0 = 1_700_000_000_000;
const MIN = 60_000;

describe('capacity-fingerprint topology (test driver)', () => {
  it('emits on schedule, stays quiet while nothing changes, and re-emits when load changes', async () => {
    const driver = new TopologyTestDriver(
      capacityTopology({
        sampleSerde: jsonSerde<CapacitySample>(),
        fingerprintSerde: jsonSerde<CapacityFingerprint>(),
        paneMs: MIN,
        windowMs: 5 * MIN,
        checkIntervalMs: MIN,
        emitIntervalMs: 30 * MIN,
        // A few dozen samples per service per window: p95 noise alone moves ~10%, doubling moves 100%.
        p95ChangeThreshold: 0.3,
      }),
    );
    const region = generateRegion({ region: 'eu-cap', services: 8, edges: 10, cycles: 0, seed: 3 });
    const feed = async (start: number, minutes: number, loadFactor: number, seed: number): Promise<void> => {
      for (const s of generateSamples(region, {
        start,
        durationMs: minutes * MIN,
        intervalMs: 20_000,
        loadFactor,
        seed,
      })) {
        await driver.pipeInput(SAMPLES_TOPIC, s.host, s, s.timestamp);
      }
    };
    await feed(T0, 5, 1, 1);
    const first = driver.readOutput<string, CapacityFingerprint>(CAPACITY_TOPIC);
    expect(first.length).toBeGreaterThanOrEqual(1);
    const f1 = first[0]!;
    expect(f1.key).toBe('eu-cap');
    expect(f1.headers['x-fingerprint-reason']).toBe('first');
    const profile = decodeFingerprint(Buffer.from(f1.value.encoded));
    expect(profile.region).toBe('eu-cap');
    expect(f1.value.serviceCount).toBe(profile.services.length);
    expect(profile.services.length).toBe(8);
    // Every instance reported in the first minute already.
    expect(profile.instanceCount).toBe(region.services.reduce((n, s) => n + s.instances.length, 0));
    const lastVersion = first.at(-1)!.value.version;

    // Same load, fresh noise: the window slides but nothing changes materially.
    await feed(T0 + 5 * MIN, 5, 1, 2);
    const quiet = driver.readOutput<string, CapacityFingerprint>(CAPACITY_TOPIC);
    expect(quiet.filter((r) => r.headers['x-fingerprint-reason'] === 'change')).toEqual([]);

    // Load doubles: a new fingerprint with a higher version and higher p95s.
    await feed(T0 + 10 * MIN, 6, 2, 3);
    const hot = driver.readOutput<string, CapacityFingerprint>(CAPACITY_TOPIC);
    expect(hot.length).toBeGreaterThanOrEqual(1);
    const latest = hot.at(-1)!.value;
    expect(latest.version).toBeGreaterThan(lastVersion);
    const after = decodeFingerprint(Buffer.from(latest.encoded));
    const ratio = after.metrics.netIo!.p95 / profile.metrics.netIo!.p95;
    expect(ratio).toBeGreaterThan(1.6);
    expect(ratio).toBeLessThan(2.5);
    // Panes older than the window were dropped from the store.
    const panes: string[] = [];
    for await (const kv of driver.getKeyValueStore<string, unknown>('capacity-fingerprint-panes').all())
      panes.push(kv.key);
    // 9 scopes (region + 8 services) × (5 window panes + the open one + one awaiting the next check).
    expect(panes.length).toBeLessThanOrEqual(9 * 7);
  });
});

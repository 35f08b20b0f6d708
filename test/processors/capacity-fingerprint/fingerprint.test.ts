import { describe, expect, it } from 'vitest';
import { materialChanges } from '../../../streams/processors/capacity-fingerprint/change.js';
import {
  CODEC_RAW,
  decodeFingerprint,
  encodeFingerprint,
  FINGERPRINT_FORMAT_VERSION,
} from '../../../streams/processors/capacity-fingerprint/fingerprint-codec.js';
import { CAPACITY_METRICS, type CapacityMetric } from '../../../streams/processors/capacity-fingerprint/metrics.js';
import { capacityValues } from '../../../streams/processors/capacity-fingerprint/processor.js';
import {
  addToPane,
  buildProfile,
  type CapacityProfile,
  type DecayedMeans,
  decayedMean,
  exactQuantile,
  mergePanes,
  newDecayedMeans,
  newPane,
  type PaneState,
  type ScopeWindow,
  updateDecayedMeans,
} from '../../../streams/processors/capacity-fingerprint/profile.js';
import { paneSerde } from '../../../streams/processors/capacity-fingerprint/state-serde.js';
import {
  generateRegion,
  generateSamples,
  type HostSampleLike,
  SAMPLE_METRIC_NAMES,
} from '../../fixtures/regions/synthetic-region.js';

const PANE = 60_000;
const START = 1_700_000_000_000;

/** Profiles samples the way the processor does: per-host panes, merged per service and region. */
function profileOf(samples: HostSampleLike[], region = 'eu-test-1'): CapacityProfile {
  const panes = new Map<string, PaneState>();
  const means = new Map<string, DecayedMeans>();
  const half = [60_000, 300_000, 900_000];
  for (const s of samples) {
    const values = capacityValues(s.metrics, SAMPLE_METRIC_NAMES);
    const paneStart = Math.floor(s.timestamp / PANE) * PANE;
    for (const scope of ['', s.tags.service!]) {
      // One pane per host as well, to exercise host-level sketches merging upwards.
      const k = `${scope}|${s.host}|${paneStart}`;
      const pane = panes.get(k) ?? newPane(paneStart);
      addToPane(pane, s.host, s.tags.instance!, values);
      panes.set(k, pane);
      const m = means.get(scope) ?? newDecayedMeans(half);
      updateDecayedMeans(m, s.timestamp, values);
      means.set(scope, m);
    }
  }
  const byScope = new Map<string, PaneState[]>();
  for (const [k, p] of panes) {
    const scope = k.split('|')[0]!;
    byScope.set(scope, [...(byScope.get(scope) ?? []), p]);
  }
  const services = new Map<string, { window: ScopeWindow; means?: DecayedMeans }>();
  for (const [scope, list] of byScope) {
    if (scope !== '') services.set(scope, { window: mergePanes(list), means: means.get(scope)! });
  }
  return buildProfile({
    region,
    windowStart: START,
    windowEnd: START + 15 * PANE,
    halfLivesMs: half,
    regionWindow: mergePanes(byScope.get('')!),
    regionMeans: means.get('')!,
    services,
  });
}

function exactByScope(samples: HostSampleLike[]): Map<string, Map<CapacityMetric, number[]>> {
  const out = new Map<string, Map<CapacityMetric, number[]>>();
  for (const s of samples) {
    const values = capacityValues(s.metrics, SAMPLE_METRIC_NAMES);
    for (const scope of ['', s.tags.service!]) {
      const m = out.get(scope) ?? new Map<CapacityMetric, number[]>();
      for (const metric of CAPACITY_METRICS) {
        const list = m.get(metric) ?? [];
        list.push(values[metric]!);
        m.set(metric, list);
      }
      out.set(scope, m);
    }
  }
  for (const m of out.values()) for (const list of m.values()) list.sort((a, b) => a - b);
  return out;
}

describe('capacity fingerprint', () => {
  const region = generateRegion({ services: 50, seed: 4 });
  const samples = generateSamples(region, { start: START, durationMs: 15 * PANE, intervalMs: 10_000 });
  const profile = profileOf(samples);

  it('fits a 50-service region in 2 KB with the format version first', () => {
    const encoded = encodeFingerprint(profile);
    console.log(`fingerprint: ${profile.services.length} services, ${encoded.length} bytes (codec ${encoded[1]})`);
    expect(profile.services).toHaveLength(50);
    expect(encoded.length).toBeLessThanOrEqual(2048);
    expect(encoded[0]).toBe(FINGERPRINT_FORMAT_VERSION);
  });

  it('decodes every percentile within 1% of the exact value over the same window', () => {
    const decoded = decodeFingerprint(encodeFingerprint(profile));
    const exact = exactByScope(samples);
    let worst = 0;
    let checked = 0;
    const scopes: Array<[string, CapacityProfile['metrics']]> = [
      ['', decoded.metrics],
      ...decoded.services.map((s): [string, CapacityProfile['metrics']] => [s.service, s.metrics]),
    ];
    for (const [scope, metrics] of scopes) {
      for (const metric of CAPACITY_METRICS) {
        const sorted = exact.get(scope)!.get(metric)!;
        const summary = metrics[metric]!;
        for (const [q, v] of [
          [0.5, summary.p50],
          [0.9, summary.p90],
          [0.95, summary.p95],
          [0.99, summary.p99],
        ] as const) {
          const truth = exactQuantile(sorted, q);
          const err = Math.abs(v - truth) / truth;
          worst = Math.max(worst, err);
          checked++;
        }
      }
    }
    console.log(`fingerprint: max percentile relative error ${(worst * 100).toFixed(3)}% over ${checked} percentiles`);
    expect(checked).toBe(51 * 6 * 4);
    expect(worst).toBeLessThanOrEqual(0.01);
  });

  it('round-trips counts, names, window and the coarse statistics', () => {
    const decoded = decodeFingerprint(encodeFingerprint(profile));
    expect(decoded.region).toBe('eu-test-1');
    expect(decoded.windowStart).toBe(profile.windowStart);
    expect(decoded.windowEnd).toBe(profile.windowEnd);
    expect(decoded.halfLivesMs).toEqual([60_000, 300_000, 900_000]);
    expect(decoded.hostCount).toBe(profile.hostCount);
    expect(decoded.instanceCount).toBe(profile.instanceCount);
    expect(decoded.instanceCount).toBe(region.services.reduce((n, s) => n + s.instances.length, 0));
    expect(decoded.services.map((s) => s.service)).toEqual(profile.services.map((s) => s.service));
    decoded.services.forEach((s, i) => {
      const orig = profile.services[i]!;
      expect(s.instanceCount).toBe(orig.instanceCount);
      expect(s.hostCount).toBe(orig.hostCount);
      for (const metric of CAPACITY_METRICS) {
        const a = orig.metrics[metric]!;
        const b = s.metrics[metric]!;
        // Means on every 4th key of the ~1% grid (within 2%); std and decayed means every 8th (4%).
        expect(Math.abs(b.mean - a.mean) / a.mean).toBeLessThan(0.0205);
        expect(Math.abs(b.std - a.std) / a.std).toBeLessThan(0.041);
        b.ewma.forEach((e, k) => {
          expect(Math.abs(e - a.ewma[k]!) / a.ewma[k]!).toBeLessThan(0.041);
        });
      }
    });
  });

  it('is deterministic and rejects unknown versions and truncated input', () => {
    const a = encodeFingerprint(profile);
    expect(encodeFingerprint(profile).equals(a)).toBe(true);
    const bad = Buffer.from(a);
    bad[0] = 99;
    expect(() => decodeFingerprint(bad)).toThrow(/unsupported format version 99/);
    const raw = encodeFingerprint({ ...profile, services: profile.services.slice(0, 1) });
    expect(() => decodeFingerprint(raw.subarray(0, raw.length - 3))).toThrow();
  });

  it('encodes zeros and missing metrics', () => {
    const p: CapacityProfile = {
      ...profile,
      services: [
        {
          service: 'idle',
          hostCount: 1,
          instanceCount: 1,
          sampleCount: 3,
          metrics: { diskIo: { mean: 0, std: 0, p50: 0, p90: 0, p95: 0, p99: 0, ewma: [0, 0, 0] } },
        },
      ],
    };
    const d = decodeFingerprint(encodeFingerprint(p));
    expect(d.services[0]!.metrics.diskIo!.p95).toBe(0);
    expect(d.services[0]!.metrics.cpu).toBeUndefined();
    expect(encodeFingerprint({ ...p, services: [] })[1]).toBeGreaterThanOrEqual(CODEC_RAW);
  });

  it('merges host-level sketches into the same region-level answer as one big sketch', () => {
    const one = newPane(0);
    const parts = [newPane(0), newPane(0), newPane(0)];
    samples.slice(0, 3000).forEach((s, i) => {
      const v = capacityValues(s.metrics, SAMPLE_METRIC_NAMES);
      addToPane(one, s.host, s.host, v);
      addToPane(parts[i % 3]!, s.host, s.host, v);
    });
    const merged = mergePanes(parts);
    const direct = mergePanes([one]);
    for (const q of [0.5, 0.9, 0.95, 0.99]) {
      expect(merged.metrics.latency!.sketch.getValueAtQuantile(q)).toBe(
        direct.metrics.latency!.sketch.getValueAtQuantile(q),
      );
    }
    expect(merged.hosts.size).toBe(direct.hosts.size);
  });

  it('stores panes compactly and restores identical sketches', async () => {
    const pane = newPane(0);
    for (const s of samples.slice(0, 500))
      addToPane(pane, s.host, s.tags.instance!, capacityValues(s.metrics, SAMPLE_METRIC_NAMES));
    const bytes = await paneSerde.serialize('t', pane);
    const back = await paneSerde.deserialize('t', bytes);
    expect(back.samples).toBe(500);
    expect(back.instances).toEqual(pane.instances);
    for (const metric of CAPACITY_METRICS) {
      for (const q of [0.5, 0.95, 0.99]) {
        expect(back.metrics[metric]!.sketch.getValueAtQuantile(q)).toBeCloseTo(
          pane.metrics[metric]!.sketch.getValueAtQuantile(q),
          9,
        );
      }
      expect(back.metrics[metric]!.count).toBe(500);
    }
  });
});

describe('decayed means', () => {
  it('weights recent samples by half-life', () => {
    const m = newDecayedMeans([1000, 1_000_000]);
    updateDecayedMeans(m, 0, { cpu: 0 });
    updateDecayedMeans(m, 1000, { cpu: 1 });
    const [fast, slow] = decayedMean(m, 'cpu')!;
    // Fast: weights 0.5 and 1 -> 1/1.5; slow: almost equal weights -> ~0.5.
    expect(fast).toBeCloseTo(1 / 1.5, 6);
    expect(slow).toBeCloseTo(0.5, 3);
  });

  it('counts interleaved samples from many instances equally', () => {
    const m = newDecayedMeans([60_000]);
    for (let i = 0; i < 10; i++) updateDecayedMeans(m, 5000, { cpu: i % 2 === 0 ? 0.2 : 0.4 });
    expect(decayedMean(m, 'cpu')![0]).toBeCloseTo(0.3, 9);
  });
});

describe('material change', () => {
  const region = generateRegion({ services: 5, seed: 9 });
  const base = profileOf(generateSamples(region, { start: START, durationMs: 15 * PANE, intervalMs: 5_000 }));

  it('ignores noise and reports a p95 jump and a vanished service', () => {
    const same = profileOf(
      generateSamples(region, { start: START, durationMs: 15 * PANE, intervalMs: 5_000, seed: 8 }),
    );
    expect(materialChanges(base, same)).toEqual([]);
    const hot = profileOf(
      generateSamples(region, {
        start: START,
        durationMs: 5 * PANE,
        intervalMs: 10_000,
        loadFactor: 1.5,
        services: [region.services[0]!.name],
      }),
    );
    const reasons = materialChanges(base, hot);
    expect(reasons.some((r) => r.startsWith(`${region.services[0]!.name} netIo p95`))).toBe(true);
    expect(reasons.every((r) => r.startsWith(region.services[0]!.name))).toBe(true);
    expect(materialChanges(base, { ...base, services: base.services.slice(1) })).toContain(
      `service ${base.services[0]!.service} vanished`,
    );
    expect(materialChanges(undefined, base)).toEqual(['first profile']);
  });
});

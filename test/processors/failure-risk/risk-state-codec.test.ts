import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { FleetSimulator } from '../../../bench/fleet/fleet-sim.js';
import type { HostRisk } from '../../../schemas/records/host-risk.js';
import type { HostSample } from '../../../schemas/records/host-sample.js';
import { newDetectors } from '../../../streams/processors/failure-risk/anomaly-scorer.js';
import { type ModelState, newModel } from '../../../streams/processors/failure-risk/model.js';
import {
  applyOutcome,
  evaluateSample,
  type HostRiskState,
  newHostRiskState,
} from '../../../streams/processors/failure-risk/risk-engine.js';
import { hostRiskStateSerde } from '../../../streams/processors/failure-risk/risk-state-codec.js';
import type { SlidingFit } from '../../../streams/processors/failure-risk/sliding-fit.js';
import type { SeasonalProfile } from '../../../streams/processors/host-baseline/baseline.js';
import { ForeshadowError } from '../../../streams/runtime/errors.js';
import { packedJsonSerde } from '../../../streams/runtime/serdes.js';

const serde = hostRiskStateSerde();
const encode = (s: HostRiskState) => serde.serialize('t', s) as Buffer;
const decode = (b: Buffer) => serde.deserialize('t', b) as HostRiskState;

/** Samples of a few simulated hosts (a leaking one among them), in time order. */
function fleetSamples(): HostSample[] {
  const sim = new FleetSimulator({ hosts: 6, seed: 4, durationMs: 86_400_000, quietMs: 6 * 3_600_000 });
  const out: HostSample[] = [];
  for (const step of sim.run()) out.push(...step.samples);
  return out;
}

/** Windows compare by their live points: the dead prefix an in-memory window keeps is not state. */
function live(w: SlidingFit): SlidingFit {
  return { ...w, t: w.t.slice(w.start), v: w.v.slice(w.start), start: 0 };
}
function comparable(s: HostRiskState): HostRiskState {
  const trend = Object.fromEntries(Object.entries(s.features.trend).map(([k, w]) => [k, live(w)]));
  return { ...s, riskTrend: live(s.riskTrend), features: { ...s.features, trend } };
}

/** The shape the packed-JSON serde stored: profiles as full-length arrays from slot 0. */
function legacyProfile(p: SeasonalProfile) {
  const full = () => new Array<number>(p.slots).fill(0);
  const [level, spread, visits] = [full(), full(), full()];
  p.level.forEach((_, i) => {
    const slot = (p.base + i) % p.slots;
    level[slot] = p.level[i]!;
    spread[slot] = p.spread[i]!;
    visits[slot] = p.visits[i]!;
  });
  return { slotMs: p.slotMs, level, spread, visits };
}

/**
 * The packed-JSON scorer: profiles full-length, and no ensemble detectors (they came later) unless
 * `detectors` asks for them as packed JSON would store them (bit sets as number arrays).
 */
function legacyScorer(s: HostRiskState['features']['scorer'], detectors = false) {
  const metrics = Object.fromEntries(
    Object.entries(s.metrics).map(([n, m]) => {
      const { restLeft, context, novelty, bocpd, change, ...deviation } = m;
      const kept = detectors
        ? {
            restLeft,
            context: { ...context, current: [...context.current], previous: [...context.previous] },
            novelty,
            bocpd,
            change,
          }
        : {};
      return [
        n,
        {
          ...deviation,
          ...kept,
          baseline: { ...m.baseline, daily: legacyProfile(m.baseline.daily), weekly: legacyProfile(m.baseline.weekly) },
        },
      ];
    }),
  );
  return { metrics };
}

/** What migrating state from before the ensemble does to a scorer: its detectors start afresh. */
function withFreshDetectors(states: Map<string, HostRiskState>): void {
  for (const s of states.values()) {
    for (const m of Object.values(s.features.scorer.metrics)) Object.assign(m, newDetectors());
  }
}

function run(samples: HostSample[], states: Map<string, HostRiskState>, model: ModelState): HostRisk[] {
  return samples.map((s) => {
    let st = states.get(s.host);
    if (!st) {
      st = newHostRiskState(s.host, s.region, s.zone);
      states.set(s.host, st);
    }
    return evaluateSample(st, model, s);
  });
}

describe('failure-risk host state codec', () => {
  const samples = fleetSamples();
  const half = Math.floor(samples.length / 2);

  it('round-trips exactly, so a decoded host goes on computing exactly what the in-memory one does', () => {
    const model = newModel();
    const states = new Map<string, HostRiskState>();
    run(samples.slice(0, half), states, model);
    const host = states.get('sim-0000')!;
    applyOutcome(host, model, host.features.lastTs - 60_000, 'deployment-failure');
    const decoded = new Map([...states].map(([k, s]) => [k, decode(encode(s))]));
    for (const [k, s] of states) expect(comparable(decoded.get(k)!)).toStrictEqual(comparable(s));
    const rest = samples.slice(half);
    const a = run(rest, states, structuredClone(model));
    const b = run(rest, decoded, structuredClone(model));
    expect(b).toStrictEqual(a);
  });

  it('is well under the packed-JSON size it replaces', () => {
    const states = new Map<string, HostRiskState>();
    run(samples, states, newModel());
    const s = states.get('sim-0000')!;
    // what the packed-JSON serde stored: full-length profiles, plain trend and risk arrays (and the
    // same detectors, for a like-for-like size)
    const { riskTrend, ...rest } = comparable(s);
    const trend = Object.fromEntries(Object.entries(rest.features.trend).map(([n, w]) => [n, { t: w.t, v: w.v }]));
    const scorer = legacyScorer(rest.features.scorer, true);
    const old = { ...rest, features: { ...rest.features, scorer, trend }, riskT: riskTrend.t, riskP: riskTrend.v };
    const legacy = packedJsonSerde<unknown>().serialize('t', old) as Buffer;
    expect(encode(s).length).toBeLessThan(0.6 * legacy.length);
  });

  it('migrates state written by the packed-JSON serde (plain trend arrays, riskT/riskP)', () => {
    const model = newModel();
    const states = new Map<string, HostRiskState>();
    run(samples.slice(0, half), states, model);
    const migrated = new Map<string, HostRiskState>();
    for (const [k, s] of states) {
      const { riskTrend, ...rest } = comparable(s);
      const trend = Object.fromEntries(Object.entries(rest.features.trend).map(([n, w]) => [n, { t: w.t, v: w.v }]));
      const scorer = legacyScorer(rest.features.scorer);
      const old = { ...rest, features: { ...rest.features, scorer, trend }, riskT: riskTrend.t, riskP: riskTrend.v };
      migrated.set(k, decode(packedJsonSerde<unknown>().serialize('t', old) as Buffer));
    }
    // The packed-JSON state predates the ensemble's detectors, which migration starts afresh.
    withFreshDetectors(states);
    const rest = samples.slice(half);
    const a = run(rest, states, structuredClone(model));
    const b = run(rest, migrated, structuredClone(model));
    // Rebuilt windows carry freshly computed moments: equal up to rounding, same decisions.
    expect(b.map((r) => r.level)).toEqual(a.map((r) => r.level));
    expect(b.map((r) => r.rising)).toEqual(a.map((r) => r.rising));
    for (let i = 0; i < a.length; i++) expect(b[i]!.pFail).toBeCloseTo(a[i]!.pFail, 9);
  });

  it('rejects a binary state of an unknown version or a truncated one with a clear error', () => {
    const s = newHostRiskState('h', 'r', 'z');
    evaluateSample(s, newModel(), { host: 'h', timestamp: 1_700_000_000_000, metrics: { 'mem.utilization': 0.4 } });
    const bytes = encode(s);
    const newer = Buffer.from(bytes);
    newer[2] = 99;
    expect(() => decode(newer)).toThrow(/format version 99; this build reads version 2/);
    expect(() => decode(bytes.subarray(0, bytes.length - 3))).toThrow(ForeshadowError);
    try {
      decode(bytes.subarray(0, 40));
    } catch (err: unknown) {
      expect((err as ForeshadowError).code).toBe('DESERIALIZATION_FAILED');
    }
  });

  it('reads binary state of version 1 (before the anomaly ensemble) written by the old codec, with fresh detectors', () => {
    // Written by the version-1 codec itself (see the fixture's note), as users' stores and changelogs hold it.
    const fixture = JSON.parse(
      readFileSync(new URL('./fixtures/host-risk-state-v1.json', import.meta.url), 'utf8'),
    ) as {
      hosts: Array<{
        host: string;
        stateV1: string;
        lastTs: number;
        pending: number;
        scorers: Record<
          string,
          { longN: number; longMean: number; short: number[]; cooldownLeft: number; count: number }
        >;
      }>;
    };
    expect(fixture.hosts.length).toBeGreaterThan(0);
    for (const h of fixture.hosts) {
      const bytes = Buffer.from(h.stateV1, 'base64');
      expect(bytes[2]).toBe(1);
      const s = decode(bytes);
      expect(s.host).toBe(h.host);
      expect(s.features.lastTs).toBe(h.lastTs);
      expect(s.pending).toHaveLength(h.pending);
      expect(Object.keys(s.features.scorer.metrics).sort()).toEqual(Object.keys(h.scorers).sort());
      for (const [name, old] of Object.entries(h.scorers)) {
        const m = s.features.scorer.metrics[name]!;
        // the deviation detector goes on where it was...
        expect({
          longN: m.longN,
          longMean: m.longMean,
          short: m.short,
          cooldownLeft: m.cooldownLeft,
          count: m.baseline.count,
        }).toEqual(old);
        // ...and the ensemble's detectors start afresh
        expect({ ...m, baseline: undefined }).toMatchObject(newDetectors());
      }
      // it goes on scoring, and is written back in the current version, which reads back the same
      const next = evaluateSample(s, newModel(), {
        host: h.host,
        timestamp: h.lastTs + 300_000,
        metrics: { 'mem.utilization': 0.5, 'cpu.utilization': 0.3 },
      });
      expect(Number.isFinite(next.pFail)).toBe(true);
      const again = encode(s);
      expect(again[2]).toBe(2);
      expect(comparable(decode(again))).toStrictEqual(comparable(s));
    }
  });
});

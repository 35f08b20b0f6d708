import { describe, expect, it } from 'vitest';
import type { HostRisk } from '../../../schemas/records/host-risk.js';
import type { HostSample } from '../../../schemas/records/host-sample.js';
import { FleetSimulator } from '../../../streams/processors/failure-risk/fleet-sim.js';
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

function legacyScorer(s: HostRiskState['features']['scorer']) {
  const metrics = Object.fromEntries(
    Object.entries(s.metrics).map(([n, m]) => [
      n,
      {
        ...m,
        baseline: { ...m.baseline, daily: legacyProfile(m.baseline.daily), weekly: legacyProfile(m.baseline.weekly) },
      },
    ]),
  );
  return { metrics };
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
    // what the packed-JSON serde stored: full-length profiles, plain trend and risk arrays
    const { riskTrend, ...rest } = comparable(s);
    const trend = Object.fromEntries(Object.entries(rest.features.trend).map(([n, w]) => [n, { t: w.t, v: w.v }]));
    const scorer = legacyScorer(rest.features.scorer);
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
    expect(() => decode(newer)).toThrow(/format version 99; this build reads version 1/);
    expect(() => decode(bytes.subarray(0, bytes.length - 3))).toThrow(ForeshadowError);
    try {
      decode(bytes.subarray(0, 40));
    } catch (err: unknown) {
      expect((err as ForeshadowError).code).toBe('DESERIALIZATION_FAILED');
    }
  });
});

/**
 * Binary codec of the baselines' state: one metric's `MetricBaselineState` (also embedded in the
 * failure-risk scorer state) and the host-baseline store value `HostBaselineState`.
 *
 * Why not packed JSON: the state is decoded and encoded for (nearly) every sample of a host, and
 * its changelog record is sent through the Kafka client, which checksums every byte in JavaScript.
 * This format is lossless (float64 everywhere a value can be fractional); profiles hold only the
 * slots a host has reached (see SeasonalProfile), so a young host costs a few hundred bytes per
 * metric instead of 216 slots of zeros.
 *
 * Versioned: [0xfb][kind 2][version 1]. Values written before this codec (JSON or packed JSON, with
 * full-length profiles) still decode; a binary value of an unknown version fails clearly.
 */

import { ForeshadowError } from '../../runtime/errors.js';
import { packedJsonSerde, type Serde } from '../../runtime/serdes.js';
import type { MetricBaselineState, RobustStats, SeasonalProfile } from './baseline.js';
import { checkUint, NameTable, nameAt, readHeader, StateReader, StateWriter, writeHeader } from './binary-state.js';
import type { HostBaselineState } from './host-state.js';

export const HOST_BASELINE_STATE_KIND = 2;
export const HOST_BASELINE_STATE_VERSION = 1;

const writer = new StateWriter();

/** The profile's reached slots (see SeasonalProfile): a few for a young host, all after a week. */
function writeProfile(w: StateWriter, p: SeasonalProfile): void {
  const n = p.level.length;
  if (p.spread.length !== n || p.visits.length !== n) {
    throw new ForeshadowError('SERIALIZATION_FAILED', 'seasonal profile arrays of different lengths', {
      context: { level: n, spread: p.spread.length, visits: p.visits.length },
    });
  }
  w.f64(p.slotMs);
  w.u16(p.slots, 'seasonal slots');
  w.u16(p.base, 'seasonal base slot');
  w.f64s(p.level, 'seasonal levels');
  w.f64sRaw(p.spread, 0, n);
  w.reserve(4 * n);
  for (let i = 0; i < n; i++) {
    const v = p.visits[i]!;
    if (!(v >= 0 && v <= 0xffff_ffff && Number.isInteger(v))) checkUint(v, 0xffff_ffff, 'seasonal slot visits');
    w.putU32(v);
  }
}

function readProfile(r: StateReader): SeasonalProfile {
  const slotMs = r.f64();
  const slots = r.u16();
  const base = r.u16();
  const level = r.f64s();
  const n = level.length;
  if (n > slots || base >= Math.max(1, slots)) r.fail(`seasonal profile of ${n} slots from ${base} in ${slots}`);
  const spread = r.f64sRaw(n);
  const visits = r.u32s(n);
  return { slotMs, slots, base, level, spread, visits };
}

/** A profile written before profiles grew with the slots reached: full arrays from slot 0. */
export function legacyProfile(p: {
  slotMs: number;
  level: number[];
  spread: number[];
  visits: number[];
}): SeasonalProfile {
  return { slotMs: p.slotMs, slots: p.level.length, base: 0, level: p.level, spread: p.spread, visits: p.visits };
}

/** A metric baseline written before that (JSON or packed JSON). */
export function legacyMetricBaseline(m: MetricBaselineState): MetricBaselineState {
  return { ...m, daily: legacyProfile(m.daily), weekly: legacyProfile(m.weekly) };
}

export function writeMetricBaseline(w: StateWriter, m: MetricBaselineState): void {
  w.f64(m.count);
  w.f64(m.firstTs);
  w.f64(m.lastTs);
  w.f64(m.head);
  w.f64(m.ewMean);
  w.f64(m.ewVar);
  w.f64(m.statsAt);
  const s = m.stats;
  w.f64(s.median);
  w.f64(s.mad);
  w.f64(s.p5);
  w.f64(s.p50);
  w.f64(s.p95);
  w.f64(s.p99);
  w.f64s(m.ring, 'baseline ring');
  writeProfile(w, m.daily);
  writeProfile(w, m.weekly);
}

export function readMetricBaseline(r: StateReader): MetricBaselineState {
  const count = r.f64();
  const firstTs = r.f64();
  const lastTs = r.f64();
  const head = r.f64();
  const ewMean = r.f64();
  const ewVar = r.f64();
  const statsAt = r.f64();
  const stats: RobustStats = {
    median: r.f64(),
    mad: r.f64(),
    p5: r.f64(),
    p50: r.f64(),
    p95: r.f64(),
    p99: r.f64(),
  };
  const ring = r.f64s();
  const daily = readProfile(r);
  const weekly = readProfile(r);
  // Same key order as newMetricBaseline, so decoded and fresh states have one hidden class.
  return { count, firstTs, lastTs, ring, head, ewMean, ewVar, daily, weekly, stats, statsAt };
}

function encodeHostBaseline(state: HostBaselineState): Buffer {
  const w = writer.reset();
  writeHeader(w, HOST_BASELINE_STATE_KIND, HOST_BASELINE_STATE_VERSION);
  w.str(state.host, 'host');
  w.str(state.region, 'region');
  w.str(state.zone, 'zone');
  w.f64(state.sampleCount);
  w.f64(state.lastTs);
  w.f64(state.lastEmittedAt);
  w.u8(state.emittedWarm ? 1 : 0);
  const names = new NameTable();
  for (const n of Object.keys(state.metrics)) names.add(n);
  for (const n of Object.keys(state.emitted)) names.add(n);
  names.write(w);
  const metrics = Object.keys(state.metrics);
  w.u16(metrics.length, 'metrics');
  for (const n of metrics) {
    w.u16(names.ref(n), 'metric');
    writeMetricBaseline(w, state.metrics[n]!);
  }
  const emitted = Object.keys(state.emitted);
  w.u16(emitted.length, 'published metrics');
  for (const n of emitted) {
    const e = state.emitted[n]!;
    w.u16(names.ref(n), 'published metric');
    w.f64(e.median);
    w.f64(e.scale);
  }
  return w.finish();
}

const legacy = packedJsonSerde<HostBaselineState>();

function decodeHostBaseline(data: Buffer): HostBaselineState {
  const r = new StateReader(data, 'host-baseline state');
  if (!readHeader(r, data, HOST_BASELINE_STATE_KIND, HOST_BASELINE_STATE_VERSION)) {
    // Written by packedJsonSerde / jsonSerde before this codec, with full-length profiles.
    const old = legacy.deserialize('host-baseline-state', data) as HostBaselineState;
    const metrics: Record<string, MetricBaselineState> = {};
    for (const n of Object.keys(old.metrics)) metrics[n] = legacyMetricBaseline(old.metrics[n]!);
    return { ...old, metrics };
  }
  const host = r.str();
  const region = r.str();
  const zone = r.str();
  const sampleCount = r.f64();
  const lastTs = r.f64();
  const lastEmittedAt = r.f64();
  const emittedWarm = r.u8() === 1;
  const names = NameTable.read(r);
  const metrics: Record<string, MetricBaselineState> = {};
  const metricCount = r.u16();
  for (let i = 0; i < metricCount; i++) {
    const n = nameAt(r, names);
    metrics[n] = readMetricBaseline(r);
  }
  const emitted: Record<string, { median: number; scale: number }> = {};
  const emittedCount = r.u16();
  for (let i = 0; i < emittedCount; i++) {
    const n = nameAt(r, names);
    emitted[n] = { median: r.f64(), scale: r.f64() };
  }
  r.end();
  return { host, region, zone, sampleCount, lastTs, metrics, lastEmittedAt, emittedWarm, emitted };
}

/** Store serde of `host-baseline-state`. */
export function hostBaselineStateSerde(): Serde<HostBaselineState> {
  return {
    serialize: (_topic, value) => encodeHostBaseline(value),
    deserialize: (_topic, data) => decodeHostBaseline(data),
  };
}

/**
 * Rough heap size of a decoded metric baseline (numbers are 8 bytes in V8's double arrays, plus
 * object and array headers), for the store's decoded-state budget: decoded profiles are dense even
 * when only a few slots were ever visited, so the encoded size says little about it.
 */
export function metricBaselineHeapBytes(m: MetricBaselineState): number {
  const slots = m.daily.level.length + m.weekly.level.length;
  // Scalars in objects are boxed (~16 bytes each with pointer compression): ~700 bytes of them.
  return 8 * (m.ring.length + 3 * slots) + 700;
}

export function hostBaselineHeapBytes(state: HostBaselineState): number {
  let bytes = 300;
  for (const n in state.metrics) bytes += metricBaselineHeapBytes(state.metrics[n]!) + 100;
  return bytes;
}

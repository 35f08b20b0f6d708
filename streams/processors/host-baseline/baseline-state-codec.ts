/**
 * Binary codec of the baselines' state: one metric's `MetricBaselineState` (also embedded in the
 * failure-risk scorer state) and the host-baseline store value `HostBaselineState`.
 *
 * Why not packed JSON: the state is decoded and encoded for (nearly) every sample of a host, and
 * its changelog record is sent through the Kafka client, which checksums every byte in JavaScript.
 * This format is lossless (float64 everywhere a value can be fractional) and writes only the
 * seasonal slots a host has visited: unvisited slots are all zero by construction, so a young host
 * costs a few hundred bytes per metric instead of its full 216-slot profiles.
 *
 * Versioned: [0xfb][kind 2][version 1]. Values written before this codec (JSON or packed JSON,
 * same object shape) still decode; a binary value of an unknown version fails clearly.
 */
import type { Serde } from '../../runtime/serdes.js';
import { packedJsonSerde } from '../../runtime/serdes.js';
import { type MetricBaselineState, type RobustStats, type SeasonalProfile, zeros } from './baseline.js';
import { checkUint, NameTable, nameAt, readHeader, StateReader, StateWriter, writeHeader } from './binary-state.js';
import type { HostBaselineState } from './host-baseline-processor.js';

export const HOST_BASELINE_STATE_KIND = 2;
export const HOST_BASELINE_STATE_VERSION = 1;

const writer = new StateWriter();

const SLOT_BYTES = 2 + 4 + 8 + 8;

/** Only slots that differ from a fresh profile's (0 visits, level 0, spread 0) are written. */
function writeProfile(w: StateWriter, p: SeasonalProfile): void {
  const slots = p.level.length;
  w.f64(p.slotMs);
  w.u16(slots, 'seasonal slots');
  const countAt = w.offset;
  w.u16(0, 'visited seasonal slots');
  w.reserve(slots * SLOT_BYTES);
  const { level, spread, visits } = p;
  let used = 0;
  for (let i = 0; i < slots; i++) {
    const n = visits[i]!;
    const l = level[i]!;
    const s = spread[i]!;
    // Unvisited and still +0 (1 / +0 > 0 tells +0 from -0): the default, not written.
    if (n === 0 && l === 0 && s === 0 && 1 / l > 0 && 1 / s > 0) continue;
    if (!(n >= 0 && n <= 0xffff_ffff && Number.isInteger(n))) checkUint(n, 0xffff_ffff, 'seasonal slot visits');
    w.putU16(i);
    w.putU32(n);
    w.putF64(l);
    w.putF64(s);
    used++;
  }
  w.patchU16(countAt, used, 'visited seasonal slots');
}

function readProfile(r: StateReader): SeasonalProfile {
  const slotMs = r.f64();
  const slots = r.u16();
  const level = zeros(slots);
  const spread = zeros(slots);
  const visits = zeros(slots);
  const used = r.u16();
  for (let k = 0; k < used; k++) {
    const i = r.u16();
    if (i >= slots) r.fail(`seasonal slot ${i} beyond ${slots} slots`);
    visits[i] = r.u32();
    level[i] = r.f64();
    spread[i] = r.f64();
  }
  return { slotMs, level, spread, visits };
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
    // Written by packedJsonSerde / jsonSerde before this codec: the object shape is unchanged.
    return legacy.deserialize('host-baseline-state', data) as HostBaselineState;
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
  return 8 * (m.ring.length + 3 * slots) + 400;
}

export function hostBaselineHeapBytes(state: HostBaselineState): number {
  let bytes = 300;
  for (const n in state.metrics) bytes += metricBaselineHeapBytes(state.metrics[n]!) + 100;
  return bytes;
}

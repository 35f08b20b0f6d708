/**
 * Binary codec of the failure-risk store value `HostRiskState` (see baseline-state-codec.ts for
 * why binary): scorer baselines as the host-baseline codec writes them, trend windows as their
 * live points plus running moments, the examples waiting for a label as a time column and, per
 * example, a bit mask of its non-zero features followed by those values (most features are zero
 * on a healthy host: ~20 bytes instead of ~200 of JSON per example). Lossless.
 *
 * Versioned: [0xfb][kind 1][version]. Version 2 adds the anomaly ensemble's detectors to each
 * metric scorer (context memory as raw bit-set words, the change-point hypotheses, the change
 * likelihood); version 1 state is read and its scorers get fresh detectors, which relearn within a
 * few hundred samples while the deviation detector goes on where it was. State written before this
 * codec (packed JSON, with trend windows as plain {t, v} arrays and the risk history as
 * riskT/riskP) is migrated on read the same way: the windows are rebuilt from their points, which
 * is what the old code computed from on every sample.
 */
import { ForeshadowError } from '../../runtime/errors.js';
import { packedJsonSerde, type Serde } from '../../runtime/serdes.js';
import {
  legacyMetricBaseline,
  metricBaselineHeapBytes,
  readMetricBaseline,
  writeMetricBaseline,
} from '../host-baseline/baseline-state-codec.js';
import {
  NameTable,
  nameAt,
  notPlusZero,
  readHeader,
  StateReader,
  StateWriter,
  writeHeader,
} from '../host-baseline/binary-state.js';
import { type MetricScorerState, newDetectors } from './anomaly-scorer.js';
import type { BocpdState } from './detectors/bocpd.js';
import type { ContextState } from './detectors/context.js';
import type { LikelihoodState } from './detectors/likelihood.js';
import { FEATURES, type FeatureVector, featureVector, type HostFeatureState } from './features.js';
import type { HostRiskState, PendingExample } from './risk-engine.js';
import { type SlidingFit, slidingFitOf } from './sliding-fit.js';

export const HOST_RISK_STATE_KIND = 1;
export const HOST_RISK_STATE_VERSION = 2;
/** The version before the anomaly ensemble (scorers without detectors), still read. */
const VERSION_WITHOUT_DETECTORS = 1;

const writer = new StateWriter();

// The per-example encoding below spells the features out (fixed property reads are several times
// faster than reads by computed name); this keeps it honest if FEATURES ever changes.
const ENCODED_ORDER = [
  'exhaustion',
  'fill',
  'error_growth',
  'error_level',
  'deviation',
  'co_deviation',
  'anomaly',
  'missing',
  'deploy_failures',
];
if (FEATURES.length !== ENCODED_ORDER.length || FEATURES.some((f, i) => f !== ENCODED_ORDER[i])) {
  throw new ForeshadowError('CONFIG_INVALID', 'risk-state-codec.ts encodes a different feature list than FEATURES');
}

function writeWindow(w: StateWriter, fit: SlidingFit): void {
  const from = fit.start;
  const to = fit.t.length;
  w.u32(to - from, 'trend window points');
  w.times(fit.t, from, to);
  w.f64sRaw(fit.v, from, to);
  w.f64(fit.anchorT);
  w.u32(fit.n, 'trend window count');
  w.f64(fit.meanX);
  w.f64(fit.meanY);
  w.f64(fit.sxx);
  w.f64(fit.syy);
  w.f64(fit.sxy);
  w.u32(fit.nonFinite, 'trend window non-finite count');
  w.u32(fit.sinceExact, 'trend window updates');
}

function readWindow(r: StateReader): SlidingFit {
  const count = r.u32();
  const t = r.times(count);
  const v = r.f64sRaw(count);
  return {
    t,
    v,
    start: 0,
    anchorT: r.f64(),
    n: r.u32(),
    meanX: r.f64(),
    meanY: r.f64(),
    sxx: r.f64(),
    syy: r.f64(),
    sxy: r.f64(),
    nonFinite: r.u32(),
    sinceExact: r.u32(),
  };
}

function writeScorer(w: StateWriter, s: MetricScorerState): void {
  writeMetricBaseline(w, s.baseline);
  w.f64(s.errLevel);
  w.f64(s.errSeasonal);
  w.f64s(s.short, 'surprise window');
  w.f64(s.longMean);
  w.f64(s.longVar);
  w.f64(s.longN);
  w.f64(s.cooldownLeft);
  w.f64(s.restLeft);
  writeContext(w, s.context);
  w.f64s(s.novelty, 'recent novelty');
  writeBocpd(w, s.bocpd);
  writeLikelihood(w, s.change);
}

function readScorer(r: StateReader, version: number): MetricScorerState {
  const baseline = readMetricBaseline(r);
  const errLevel = r.f64();
  const errSeasonal = r.f64();
  const short = r.f64s();
  const longMean = r.f64();
  const longVar = r.f64();
  const longN = r.f64();
  const cooldownLeft = r.f64();
  const detectors =
    version === VERSION_WITHOUT_DETECTORS
      ? newDetectors()
      : {
          restLeft: r.f64(),
          context: readContext(r),
          novelty: r.f64s(),
          bocpd: readBocpd(r),
          change: readLikelihood(r),
        };
  return { baseline, errLevel, errSeasonal, short, longMean, longVar, longN, cooldownLeft, ...detectors };
}

const BITS_DENSE = 0;
const BITS_SPARSE = 1;

/**
 * A context memory: every word (dense), or only its non-zero words as (index, word) pairs when
 * that is smaller, as it is for a quiet metric whose few patterns set a few bits.
 */
function writeBits(w: StateWriter, bits: Uint32Array, what: string): void {
  let nonZero = 0;
  for (let i = 0; i < bits.length; i++) if (bits[i] !== 0) nonZero++;
  w.u32(bits.length, what);
  if (nonZero * 6 < bits.length * 4) {
    w.u8(BITS_SPARSE);
    w.u32(nonZero, what);
    w.reserve(nonZero * 6);
    for (let i = 0; i < bits.length; i++) {
      if (bits[i] === 0) continue;
      w.putU16(i);
      w.putU32(bits[i]!);
    }
    return;
  }
  w.u8(BITS_DENSE);
  w.reserve(bits.length * 4);
  for (let i = 0; i < bits.length; i++) w.putU32(bits[i]!);
}

function readBits(r: StateReader): Uint32Array {
  const length = r.u32();
  const kind = r.u8();
  if (kind === BITS_DENSE) return Uint32Array.from(r.u32s(length));
  if (kind !== BITS_SPARSE) r.fail(`unknown context memory encoding ${kind}`);
  const bits = new Uint32Array(length);
  const count = r.u32();
  for (let k = 0; k < count; k++) {
    const i = r.u16();
    if (i >= length) r.fail(`context memory word ${i} out of range`);
    bits[i] = r.u32();
  }
  return bits;
}

function writeContext(w: StateWriter, c: ContextState): void {
  w.f64(c.count);
  w.f64(c.lo);
  w.f64(c.hi);
  w.u16(c.recent.length, 'context facts');
  for (const f of c.recent) w.u16(f, 'context fact');
  writeBits(w, c.current, 'context memory');
  writeBits(w, c.previous, 'context memory');
  w.u32(c.age, 'context epoch age');
}

function readContext(r: StateReader): ContextState {
  const count = r.f64();
  const lo = r.f64();
  const hi = r.f64();
  const facts = r.u16();
  const recent: number[] = [];
  for (let i = 0; i < facts; i++) recent.push(r.u16());
  const current = readBits(r);
  const previous = readBits(r);
  return { count, lo, hi, recent, current, previous, age: r.u32() };
}

function writeBocpd(w: StateWriter, b: BocpdState): void {
  w.f64s(b.p, 'change-point hypotheses');
  w.f64sRaw(b.run, 0, b.run.length);
  w.f64sRaw(b.n, 0, b.n.length);
  w.f64sRaw(b.mean, 0, b.mean.length);
  w.f64sRaw(b.m2, 0, b.m2.length);
}

function readBocpd(r: StateReader): BocpdState {
  const p = r.f64s();
  const k = p.length;
  return { p, run: r.f64sRaw(k), n: r.f64sRaw(k), mean: r.f64sRaw(k), m2: r.f64sRaw(k) };
}

function writeLikelihood(w: StateWriter, l: LikelihoodState): void {
  w.f64s(l.short, 'likelihood window');
  w.f64(l.longMean);
  w.f64(l.longVar);
  w.f64(l.longN);
}

function readLikelihood(r: StateReader): LikelihoodState {
  const short = r.f64s();
  return { short, longMean: r.f64(), longVar: r.f64(), longN: r.f64() };
}

function writePending(w: StateWriter, pending: readonly PendingExample[]): void {
  w.u32(pending.length, 'pending examples');
  const ts: number[] = [];
  for (const e of pending) ts.push(e.t);
  w.times(ts, 0, ts.length);
  w.reserve(pending.length * (2 + ENCODED_ORDER.length * 8));
  for (const { x } of pending) {
    const mask =
      (notPlusZero(x.exhaustion) ? 1 : 0) |
      (notPlusZero(x.fill) ? 2 : 0) |
      (notPlusZero(x.error_growth) ? 4 : 0) |
      (notPlusZero(x.error_level) ? 8 : 0) |
      (notPlusZero(x.deviation) ? 16 : 0) |
      (notPlusZero(x.co_deviation) ? 32 : 0) |
      (notPlusZero(x.anomaly) ? 64 : 0) |
      (notPlusZero(x.missing) ? 128 : 0) |
      (notPlusZero(x.deploy_failures) ? 256 : 0);
    w.putU16(mask);
    if (mask & 1) w.putF64(x.exhaustion);
    if (mask & 2) w.putF64(x.fill);
    if (mask & 4) w.putF64(x.error_growth);
    if (mask & 8) w.putF64(x.error_level);
    if (mask & 16) w.putF64(x.deviation);
    if (mask & 32) w.putF64(x.co_deviation);
    if (mask & 64) w.putF64(x.anomaly);
    if (mask & 128) w.putF64(x.missing);
    if (mask & 256) w.putF64(x.deploy_failures);
  }
}

function readPending(r: StateReader): PendingExample[] {
  const count = r.u32();
  const ts = r.times(count);
  const out: PendingExample[] = [];
  for (let k = 0; k < count; k++) {
    const mask = r.u16();
    if (mask >> ENCODED_ORDER.length !== 0) r.fail(`feature mask ${mask} names unknown features`);
    out.push({ t: ts[k]!, x: readFeatureVector(r, mask) });
  }
  return out;
}

/** Through features.ts's constructor, so decoded vectors share the engine's hidden class. */
function readFeatureVector(r: StateReader, mask: number): FeatureVector {
  return featureVector(
    mask & 1 ? r.f64() : 0,
    mask & 2 ? r.f64() : 0,
    mask & 4 ? r.f64() : 0,
    mask & 8 ? r.f64() : 0,
    mask & 16 ? r.f64() : 0,
    mask & 32 ? r.f64() : 0,
    mask & 64 ? r.f64() : 0,
    mask & 128 ? r.f64() : 0,
    mask & 256 ? r.f64() : 0,
  );
}

function encodeHostRisk(state: HostRiskState): Buffer {
  const w = writer.reset();
  writeHeader(w, HOST_RISK_STATE_KIND, HOST_RISK_STATE_VERSION);
  w.str(state.host, 'host');
  w.str(state.region, 'region');
  w.str(state.zone, 'zone');
  w.f64(state.failedAt);
  w.f64(state.lastSeenWall);
  w.f64(state.silenceReportedWall);
  const f = state.features;
  w.f64(f.lastTs);
  w.f64(f.intervalMs);
  w.f64(f.deployFailures);
  w.f64(f.deployTs);
  const scorer = Object.keys(f.scorer.metrics);
  const smoothed = Object.keys(f.smoothedZ);
  const trend = Object.keys(f.trend);
  const names = new NameTable();
  for (const list of [scorer, smoothed, trend]) for (const n of list) names.add(n);
  names.write(w);
  w.u16(scorer.length, 'scored metrics');
  for (const n of scorer) {
    w.u16(names.ref(n), 'scored metric');
    writeScorer(w, f.scorer.metrics[n]!);
  }
  w.u16(smoothed.length, 'smoothed deviations');
  for (const n of smoothed) {
    w.u16(names.ref(n), 'smoothed deviation');
    w.f64(f.smoothedZ[n]!);
  }
  w.u16(trend.length, 'trend windows');
  for (const n of trend) {
    w.u16(names.ref(n), 'trend window');
    writeWindow(w, f.trend[n]!);
  }
  writeWindow(w, state.riskTrend);
  writePending(w, state.pending);
  return w.finish();
}

function decodeHostRisk(data: Buffer): HostRiskState {
  const r = new StateReader(data, 'failure-risk host state');
  // Version 1 is read too; anything else goes through readHeader, which names the mismatch.
  const version = data.length > 2 && data[2] === VERSION_WITHOUT_DETECTORS ? data[2] : HOST_RISK_STATE_VERSION;
  if (!readHeader(r, data, HOST_RISK_STATE_KIND, version)) return migrateLegacy(data);
  const host = r.str();
  const region = r.str();
  const zone = r.str();
  const failedAt = r.f64();
  const lastSeenWall = r.f64();
  const silenceReportedWall = r.f64();
  const lastTs = r.f64();
  const intervalMs = r.f64();
  const deployFailures = r.f64();
  const deployTs = r.f64();
  const names = NameTable.read(r);
  const metrics: Record<string, MetricScorerState> = {};
  const scorerCount = r.u16();
  for (let i = 0; i < scorerCount; i++) {
    const n = nameAt(r, names);
    metrics[n] = readScorer(r, version);
  }
  const smoothedZ: Record<string, number> = {};
  const smoothedCount = r.u16();
  for (let i = 0; i < smoothedCount; i++) {
    const n = nameAt(r, names);
    smoothedZ[n] = r.f64();
  }
  const trend: Record<string, SlidingFit> = {};
  const trendCount = r.u16();
  for (let i = 0; i < trendCount; i++) {
    const n = nameAt(r, names);
    trend[n] = readWindow(r);
  }
  const riskTrend = readWindow(r);
  const pending = readPending(r);
  r.end();
  // Key order as newHostFeatures / newHostRiskState build them.
  const features: HostFeatureState = {
    scorer: { metrics },
    smoothedZ,
    trend,
    lastTs,
    intervalMs,
    deployFailures,
    deployTs,
  };
  return { host, region, zone, features, pending, riskTrend, failedAt, lastSeenWall, silenceReportedWall };
}

const legacySerde = packedJsonSerde<unknown>();

function isNumberArray(v: unknown): v is number[] {
  return Array.isArray(v) && v.every((x) => typeof x === 'number');
}

/** State written by the packed-JSON serde before the incremental trend windows existed. */
function migrateLegacy(data: Buffer): HostRiskState {
  const parsed = legacySerde.deserialize('failure-risk-hosts', data) as Record<string, unknown>;
  const invalid = (reason: string): never => {
    throw new ForeshadowError('DESERIALIZATION_FAILED', `failure-risk host state (pre-binary JSON): ${reason}`, {
      context: { host: parsed?.host },
    });
  };
  if (parsed === null || typeof parsed !== 'object') invalid('not an object');
  const features = parsed.features as Record<string, unknown> | undefined;
  if (!features || typeof features !== 'object') invalid('no features');
  const oldTrend = (features!.trend ?? {}) as Record<string, { t?: unknown; v?: unknown }>;
  const trend: Record<string, SlidingFit> = {};
  for (const [name, s] of Object.entries(oldTrend)) {
    if (!isNumberArray(s.t) || !isNumberArray(s.v) || s.t.length !== s.v.length)
      invalid(`trend window ${name} is not two number arrays of one length`);
    trend[name] = slidingFitOf(s.t as number[], s.v as number[]);
  }
  const riskT = parsed.riskT ?? [];
  const riskP = parsed.riskP ?? [];
  if (!isNumberArray(riskT) || !isNumberArray(riskP) || riskT.length !== riskP.length)
    invalid('risk history is not two number arrays of one length');
  const { riskT: _t, riskP: _p, ...rest } = parsed;
  const old = features as unknown as HostFeatureState;
  const scorers: Record<string, MetricScorerState> = {};
  for (const [name, m] of Object.entries(old.scorer?.metrics ?? {}))
    scorers[name] = { ...m, baseline: legacyMetricBaseline(m.baseline), ...newDetectors() };
  return {
    ...(rest as unknown as HostRiskState),
    features: { ...old, scorer: { metrics: scorers }, trend },
    riskTrend: slidingFitOf(riskT as number[], riskP as number[]),
  };
}

/** Store serde of `failure-risk-hosts`. */
export function hostRiskStateSerde(): Serde<HostRiskState> {
  return {
    serialize: (_topic, value) => encodeHostRisk(value),
    deserialize: (_topic, data) => decodeHostRisk(data),
  };
}

/** Rough heap size of a decoded host state (see metricBaselineHeapBytes), for the decoded-state budget. */
export function hostRiskHeapBytes(state: HostRiskState): number {
  const f = state.features;
  let bytes = 500;
  for (const n in f.scorer.metrics) {
    const s = f.scorer.metrics[n]!;
    // Detectors: two bit sets, the change-point hypotheses (five numbers each), short lists.
    bytes +=
      metricBaselineHeapBytes(s.baseline) +
      8 * s.short.length +
      300 +
      4 * (s.context.current.length + s.context.previous.length) +
      48 * s.bocpd.p.length +
      500;
  }
  for (const n in f.trend) bytes += 16 * f.trend[n]!.t.length + 150;
  bytes += 16 * state.riskTrend.t.length + 150;
  // An example is a {t, x} pair and a nine-number feature object (boxed doubles): ~250 bytes.
  return bytes + 250 * state.pending.length;
}

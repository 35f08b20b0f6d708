/**
 * The capacity fingerprint: a versioned, compact, compressed binary encoding of a CapacityProfile.
 * Layout and precision are specified in docs/fingerprint-format.md; in short:
 *
 *   byte 0  format version (FINGERPRINT_FORMAT_VERSION)
 *   byte 1  codec: 0 raw, 1 deflate-raw, 2 brotli (the encoder keeps whichever is smallest)
 *   rest    body: unsigned LEB128 varints, column-major, percentiles as DDSketch bucket keys
 *
 * Percentiles are stored as the bucket key of the DDSketch mapping that produced them, so decoding
 * reproduces the sketch's answer exactly and the only error is the sketch's own (relative accuracy
 * α, 0.5% by default). Means are stored on a coarser grid (every `coarseStep`-th key: within 2%
 * by default), standard deviations and decayed means on one twice as coarse (within 4%): nothing
 * sizes from them, and at full precision they would cost a quarter of the 2 KB budget.
 */
import { brotliCompressSync, brotliDecompressSync, constants, deflateRawSync, inflateRawSync } from 'node:zlib';
import { DDSketch } from '@datadog/sketches-js';
import { ForeshadowError } from '../../runtime/errors.js';
import { CAPACITY_METRICS, type CapacityMetric } from './metrics.js';
import { type CapacityProfile, DEFAULT_RELATIVE_ACCURACY, type MetricSummary, type ServiceProfile } from './profile.js';

export const FINGERPRINT_FORMAT_VERSION = 1;

export const CODEC_RAW = 0;
export const CODEC_DEFLATE_RAW = 1;
export const CODEC_BROTLI = 2;

export interface EncodeOptions {
  /** Relative accuracy of the sketches the percentiles came from (fixes the key grid). */
  relativeAccuracy?: number;
  /** Coarse grid step (in keys) for means; std and decayed means use twice this step. */
  coarseStep?: number;
}

interface KeyGrid {
  gamma: number;
  key(value: number): number;
  value(key: number): number;
  minPossible: number;
}

function grid(relativeAccuracy: number): KeyGrid {
  // The same mapping class and parameters DDSketch uses, so keys round-trip the sketch's answers.
  return new DDSketch({ relativeAccuracy }).mapping;
}

class Writer {
  private readonly bytes: number[] = [];

  uint(n: number): void {
    if (!Number.isSafeInteger(n) || n < 0) {
      throw new ForeshadowError('SERIALIZATION_FAILED', `fingerprint: not an unsigned integer: ${n}`);
    }
    let v = n;
    while (v >= 0x80) {
      this.bytes.push((v % 0x80) | 0x80);
      v = Math.floor(v / 0x80);
    }
    this.bytes.push(v);
  }

  int(n: number): void {
    this.uint(n >= 0 ? 2 * n : -2 * n - 1);
  }

  str(s: string): void {
    const b = Buffer.from(s, 'utf8');
    this.uint(b.length);
    for (const x of b) this.bytes.push(x);
  }

  toBuffer(): Buffer {
    return Buffer.from(this.bytes);
  }
}

class Reader {
  private pos = 0;
  constructor(private readonly buf: Buffer) {}

  uint(): number {
    let result = 0;
    let scale = 1;
    for (;;) {
      if (this.pos >= this.buf.length) throw truncated();
      const b = this.buf[this.pos++]!;
      result += (b & 0x7f) * scale;
      if (b < 0x80) return result;
      scale *= 0x80;
      if (scale > 2 ** 56) throw new ForeshadowError('DESERIALIZATION_FAILED', 'fingerprint: varint too long');
    }
  }

  int(): number {
    const z = this.uint();
    return z % 2 === 0 ? z / 2 : -(z + 1) / 2;
  }

  str(): string {
    const len = this.uint();
    if (this.pos + len > this.buf.length) throw truncated();
    const s = this.buf.subarray(this.pos, this.pos + len).toString('utf8');
    this.pos += len;
    return s;
  }

  done(): boolean {
    return this.pos === this.buf.length;
  }
}

function truncated(): ForeshadowError {
  return new ForeshadowError('DESERIALIZATION_FAILED', 'fingerprint: truncated body');
}

/** A value on the key grid: 0 encodes zero, otherwise zigzag(key - ref)/step + 1. */
function putValue(w: Writer, g: KeyGrid, value: number, ref: number, step: number): number {
  if (!(value > g.minPossible)) {
    w.uint(0);
    return 0;
  }
  // Step 1 reuses the sketch's own key (exact round trip); coarser steps round the continuous
  // log position (a key's value sits half a key below its upper bound) so the error is half a step.
  const d = step === 1 ? g.key(value) - ref : Math.round((Math.log(value) / Math.log(g.gamma) + 0.5 - ref) / step);
  w.uint((d >= 0 ? 2 * d : -2 * d - 1) + 1);
  return ref + d * step;
}

function getValue(r: Reader, g: KeyGrid, ref: number, step: number): { value: number; key: number } {
  const z = r.uint();
  if (z === 0) return { value: 0, key: 0 };
  const u = z - 1;
  const d = u % 2 === 0 ? u / 2 : -(u + 1) / 2;
  const key = ref + d * step;
  return { value: g.value(key), key };
}

interface Scope {
  metrics: Partial<Record<CapacityMetric, MetricSummary>>;
}

function presence(scope: Scope): number {
  let mask = 0;
  CAPACITY_METRICS.forEach((m, i) => {
    if (scope.metrics[m]) mask |= 1 << i;
  });
  return mask;
}

/** Length of the common prefix, for front-coding the sorted service names. */
function commonPrefix(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  let i = 0;
  while (i < n && a.charCodeAt(i) === b.charCodeAt(i)) i++;
  return i;
}

function writeBody(profile: CapacityProfile, g: KeyGrid, alpha: number, coarse: number): Buffer {
  const w = new Writer();
  w.uint(Math.round(alpha * 1e6));
  w.uint(coarse);
  w.str(profile.region);
  w.uint(Math.max(0, Math.round(profile.windowStart)));
  w.uint(Math.max(0, Math.round(profile.windowEnd - profile.windowStart)));
  w.uint(profile.hostCount);
  w.uint(profile.instanceCount);
  w.uint(profile.sampleCount);
  w.uint(profile.halfLivesMs.length);
  for (const h of profile.halfLivesMs) w.uint(Math.round(h));
  const services = [...profile.services].sort((a, b) => (a.service < b.service ? -1 : a.service > b.service ? 1 : 0));
  w.uint(services.length);
  let prev = '';
  for (const s of services) {
    const shared = commonPrefix(prev, s.service);
    w.uint(shared);
    w.str(s.service.slice(shared));
    prev = s.service;
  }
  // Column-major from here on: like values sit next to each other, which the compressor rewards.
  for (const s of services) w.uint(s.hostCount);
  for (const s of services) w.uint(s.instanceCount);
  for (const s of services) w.uint(s.sampleCount);
  const scopes: Scope[] = [profile, ...services];
  for (const scope of scopes) w.uint(presence(scope));
  const nEwma = profile.halfLivesMs.length;
  for (const metric of CAPACITY_METRICS) {
    const present = scopes.map((s) => s.metrics[metric]).filter((m): m is MetricSummary => m !== undefined);
    if (present.length === 0) continue;
    // Region first: its p50 key is the reference for every service's p50 (similar magnitudes).
    const p50Keys: number[] = [];
    let regionKey = 0;
    present.forEach((m, i) => {
      const k = putValue(w, g, m.p50, i === 0 ? 0 : regionKey, 1);
      if (i === 0) regionKey = k;
      p50Keys.push(k);
    });
    const p90Keys = present.map((m, i) => putValue(w, g, m.p90, p50Keys[i]!, 1));
    const p95Keys = present.map((m, i) => putValue(w, g, m.p95, p90Keys[i]!, 1));
    present.forEach((m, i) => {
      putValue(w, g, m.p99, p95Keys[i]!, 1);
    });
    const meanKeys = present.map((m, i) => putValue(w, g, m.mean, p50Keys[i]!, coarse));
    present.forEach((m, i) => {
      putValue(w, g, m.std, meanKeys[i]!, 2 * coarse);
    });
    for (let e = 0; e < nEwma; e++) {
      present.forEach((m, i) => {
        putValue(w, g, m.ewma[e] ?? m.mean, meanKeys[i]!, 2 * coarse);
      });
    }
  }
  return w.toBuffer();
}

/**
 * Encodes a profile as a fingerprint. Deterministic: the same profile always gives the same bytes,
 * so an unchanged profile can be recognised by comparing fingerprints.
 */
export function encodeFingerprint(profile: CapacityProfile, options: EncodeOptions = {}): Buffer {
  const alpha = options.relativeAccuracy ?? DEFAULT_RELATIVE_ACCURACY;
  const coarse = options.coarseStep ?? 4;
  const body = writeBody(profile, grid(alpha), alpha, coarse);
  const candidates: Array<[number, Buffer]> = [
    [CODEC_RAW, body],
    [CODEC_DEFLATE_RAW, deflateRawSync(body, { level: 9 })],
    [
      CODEC_BROTLI,
      brotliCompressSync(body, {
        params: {
          [constants.BROTLI_PARAM_QUALITY]: 11,
          [constants.BROTLI_PARAM_SIZE_HINT]: body.length,
        },
      }),
    ],
  ];
  let best = candidates[0]!;
  for (const c of candidates) if (c[1].length < best[1].length) best = c;
  return Buffer.concat([Buffer.from([FINGERPRINT_FORMAT_VERSION, best[0]]), best[1]]);
}

/** Decodes a fingerprint produced by encodeFingerprint (any supported format version). */
export function decodeFingerprint(data: Uint8Array): CapacityProfile {
  const buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  if (buf.length < 2) throw new ForeshadowError('DESERIALIZATION_FAILED', 'fingerprint: too short');
  const version = buf[0]!;
  if (version !== FINGERPRINT_FORMAT_VERSION) {
    throw new ForeshadowError('DESERIALIZATION_FAILED', `fingerprint: unsupported format version ${version}`, {
      context: { version },
    });
  }
  const codec = buf[1]!;
  const payload = buf.subarray(2);
  let body: Buffer;
  try {
    if (codec === CODEC_RAW) body = payload;
    else if (codec === CODEC_DEFLATE_RAW) body = inflateRawSync(payload);
    else if (codec === CODEC_BROTLI) body = brotliDecompressSync(payload);
    else throw new Error(`unknown codec ${codec}`);
  } catch (err: unknown) {
    throw new ForeshadowError('DESERIALIZATION_FAILED', 'fingerprint: cannot decompress body', {
      cause: err,
      context: { codec },
    });
  }
  return readBody(new Reader(body));
}

function readBody(r: Reader): CapacityProfile {
  const alpha = r.uint() / 1e6;
  if (!(alpha > 0 && alpha < 1)) throw new ForeshadowError('DESERIALIZATION_FAILED', 'fingerprint: bad accuracy');
  const g = grid(alpha);
  const coarse = r.uint();
  const region = r.str();
  const windowStart = r.uint();
  const windowEnd = windowStart + r.uint();
  const hostCount = r.uint();
  const instanceCount = r.uint();
  const sampleCount = r.uint();
  const halfLivesMs = Array.from({ length: r.uint() }, () => r.uint());
  const nServices = r.uint();
  const names: string[] = [];
  let prev = '';
  for (let i = 0; i < nServices; i++) {
    const shared = r.uint();
    prev = prev.slice(0, shared) + r.str();
    names.push(prev);
  }
  const hosts = names.map(() => r.uint());
  const instances = names.map(() => r.uint());
  const samples = names.map(() => r.uint());
  const services: ServiceProfile[] = names.map((service, i) => ({
    service,
    hostCount: hosts[i]!,
    instanceCount: instances[i]!,
    sampleCount: samples[i]!,
    metrics: {},
  }));
  const profile: CapacityProfile = {
    region,
    windowStart,
    windowEnd,
    halfLivesMs,
    hostCount,
    instanceCount,
    sampleCount,
    metrics: {},
    services,
  };
  const scopes: Scope[] = [profile, ...services];
  const masks = scopes.map(() => r.uint());
  CAPACITY_METRICS.forEach((metric, bit) => {
    const present = scopes.filter((_, i) => (masks[i]! & (1 << bit)) !== 0);
    if (present.length === 0) return;
    let regionKey = 0;
    const p50 = present.map((_, i) => {
      const v = getValue(r, g, i === 0 ? 0 : regionKey, 1);
      if (i === 0) regionKey = v.key;
      return v;
    });
    const p90 = present.map((_, i) => getValue(r, g, p50[i]!.key, 1));
    const p95 = present.map((_, i) => getValue(r, g, p90[i]!.key, 1));
    const p99 = present.map((_, i) => getValue(r, g, p95[i]!.key, 1));
    const mean = present.map((_, i) => getValue(r, g, p50[i]!.key, coarse));
    const std = present.map((_, i) => getValue(r, g, mean[i]!.key, 2 * coarse));
    const ewma = halfLivesMs.map(() => present.map((_, i) => getValue(r, g, mean[i]!.key, 2 * coarse).value));
    present.forEach((scope, i) => {
      scope.metrics[metric] = {
        mean: mean[i]!.value,
        std: std[i]!.value,
        p50: p50[i]!.value,
        p90: p90[i]!.value,
        p95: p95[i]!.value,
        p99: p99[i]!.value,
        ewma: ewma.map((col) => col[i]!),
      };
    });
  });
  if (!r.done()) throw new ForeshadowError('DESERIALIZATION_FAILED', 'fingerprint: trailing bytes');
  return profile;
}

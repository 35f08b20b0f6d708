/**
 * Byte-level writer and reader for the hot processors' per-host state codecs (host baseline,
 * failure risk). Numbers travel as little-endian float64, so every value round-trips exactly;
 * only things known to be small integers (counts, slot indices, visits) are narrower, and
 * timestamps are int32 offsets from a base when they are whole milliseconds within ±24 days of it.
 * A truncated or malformed value raises DESERIALIZATION_FAILED (the record becomes a dead letter
 * with that reason) instead of decoding into garbage.
 */
import { ForeshadowError } from '../../runtime/errors.js';

const INT32_MAX = 2_147_483_647;
const utf8 = new TextEncoder();
const utf8Decoder = new TextDecoder('utf-8', { fatal: true });

/** Timestamp column encodings (first byte of a column). */
const TIMES_F64 = 0;
const TIMES_I32 = 1;

export class StateWriter {
  private buf = new ArrayBuffer(64 * 1024);
  private view = new DataView(this.buf);
  private bytes = new Uint8Array(this.buf);
  private pos = 0;

  /** Starts a new value; the writer is reused so the buffer is allocated once per process. */
  reset(): this {
    this.pos = 0;
    return this;
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.byteLength) return;
    let size = this.buf.byteLength * 2;
    while (size < this.pos + n) size *= 2;
    const next = new ArrayBuffer(size);
    new Uint8Array(next).set(this.bytes.subarray(0, this.pos));
    this.buf = next;
    this.view = new DataView(next);
    this.bytes = new Uint8Array(next);
  }

  /**
   * Room for `n` more bytes, for the unchecked `put*` writes that follow (hot loops call one
   * `reserve` instead of a bounds check per number).
   */
  reserve(n: number): void {
    this.ensure(n);
  }

  /** Current write position (to patch a count written before its items, with `patchU16`). */
  get offset(): number {
    return this.pos;
  }

  patchU16(at: number, v: number, what: string): void {
    checkUint(v, 0xffff, what);
    this.view.setUint16(at, v, true);
  }

  putU16(v: number): void {
    this.view.setUint16(this.pos, v, true);
    this.pos += 2;
  }

  putU32(v: number): void {
    this.view.setUint32(this.pos, v, true);
    this.pos += 4;
  }

  putF64(v: number): void {
    this.view.setFloat64(this.pos, v, true);
    this.pos += 8;
  }

  u8(v: number): void {
    this.ensure(1);
    this.view.setUint8(this.pos, v);
    this.pos += 1;
  }

  u16(v: number, what: string): void {
    checkUint(v, 0xffff, what);
    this.ensure(2);
    this.view.setUint16(this.pos, v, true);
    this.pos += 2;
  }

  u32(v: number, what: string): void {
    checkUint(v, 0xffff_ffff, what);
    this.ensure(4);
    this.view.setUint32(this.pos, v, true);
    this.pos += 4;
  }

  f64(v: number): void {
    this.ensure(8);
    this.view.setFloat64(this.pos, v, true);
    this.pos += 8;
  }

  /** Numbers `from` (inclusive) to `to` (exclusive), count first. */
  f64s(values: readonly number[], what: string, from = 0, to = values.length): void {
    this.u32(to - from, what);
    this.ensure((to - from) * 8);
    const view = this.view;
    let pos = this.pos;
    for (let i = from; i < to; i++, pos += 8) view.setFloat64(pos, values[i]!, true);
    this.pos = pos;
  }

  /** Numbers without a count (the reader is told how many). */
  f64sRaw(values: readonly number[], from: number, to: number): void {
    this.ensure((to - from) * 8);
    const view = this.view;
    let pos = this.pos;
    for (let i = from; i < to; i++, pos += 8) view.setFloat64(pos, values[i]!, true);
    this.pos = pos;
  }

  str(s: string, what: string): void {
    // Worst case three bytes per UTF-16 unit; the real length is written after encoding.
    this.ensure(2 + s.length * 3);
    const { written } = utf8.encodeInto(s, this.bytes.subarray(this.pos + 2));
    this.u16(written, what);
    this.pos += written;
  }

  /** Timestamps `from`..`to` (no count): int32 offsets from the first when they fit, else float64. */
  times(values: readonly number[], from: number, to: number): void {
    if (to <= from) return;
    const base = values[from]!;
    let fits = Number.isInteger(base);
    for (let i = from; fits && i < to; i++) {
      const d = values[i]! - base;
      fits = Number.isInteger(d) && d >= -INT32_MAX && d <= INT32_MAX;
    }
    if (!fits) {
      this.u8(TIMES_F64);
      this.f64sRaw(values, from, to);
      return;
    }
    this.u8(TIMES_I32);
    this.f64(base);
    this.ensure((to - from) * 4);
    const view = this.view;
    let pos = this.pos;
    for (let i = from; i < to; i++, pos += 4) view.setInt32(pos, values[i]! - base, true);
    this.pos = pos;
  }

  /** A copy of what was written (the writer's buffer is reused). */
  finish(): Buffer {
    const out = Buffer.allocUnsafe(this.pos);
    out.set(this.bytes.subarray(0, this.pos));
    return out;
  }
}

/** True for anything but +0 (so -0 and NaN are written, and round-trip exactly). */
export function notPlusZero(v: number): boolean {
  return v !== 0 || 1 / v < 0;
}

export function checkUint(v: number, max: number, what: string): void {
  if (!Number.isInteger(v) || v < 0 || v > max) {
    throw new ForeshadowError('SERIALIZATION_FAILED', `${what}: ${v} does not fit the state format`, {
      context: { value: v, max },
    });
  }
}

export class StateReader {
  private readonly view: DataView;
  private pos = 0;

  constructor(
    private readonly data: Buffer,
    /** Names the value in errors, e.g. "failure-risk host state". */
    private readonly what: string,
  ) {
    this.view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  }

  get offset(): number {
    return this.pos;
  }

  fail(reason: string): never {
    throw new ForeshadowError('DESERIALIZATION_FAILED', `${this.what}: ${reason}`, {
      context: { offset: this.pos, bytes: this.data.length },
    });
  }

  private need(n: number): void {
    if (this.pos + n > this.data.length) this.fail(`truncated (needs ${n} more bytes)`);
  }

  u8(): number {
    this.need(1);
    return this.view.getUint8(this.pos++);
  }

  u16(): number {
    this.need(2);
    const v = this.view.getUint16(this.pos, true);
    this.pos += 2;
    return v;
  }

  u32(): number {
    this.need(4);
    const v = this.view.getUint32(this.pos, true);
    this.pos += 4;
    return v;
  }

  f64(): number {
    this.need(8);
    const v = this.view.getFloat64(this.pos, true);
    this.pos += 8;
    return v;
  }

  f64s(): number[] {
    return this.f64sRaw(this.u32());
  }

  f64sRaw(count: number): number[] {
    this.need(count * 8);
    const view = this.view;
    // Preallocated and filled by index: three times faster than push here (no regrowth).
    const out = new Array<number>(count);
    let pos = this.pos;
    for (let i = 0; i < count; i++, pos += 8) out[i] = view.getFloat64(pos, true);
    this.pos = pos;
    return out;
  }

  u32s(count: number): number[] {
    this.need(count * 4);
    const view = this.view;
    const out = new Array<number>(count);
    let pos = this.pos;
    for (let i = 0; i < count; i++, pos += 4) out[i] = view.getUint32(pos, true);
    this.pos = pos;
    return out;
  }

  str(): string {
    const n = this.u16();
    this.need(n);
    const s = utf8Decoder.decode(this.data.subarray(this.pos, this.pos + n));
    this.pos += n;
    return s;
  }

  times(count: number): number[] {
    if (count === 0) return [];
    const kind = this.u8();
    if (kind === TIMES_F64) return this.f64sRaw(count);
    if (kind !== TIMES_I32) this.fail(`unknown timestamp encoding ${kind}`);
    const base = this.f64();
    this.need(count * 4);
    const view = this.view;
    const out = new Array<number>(count);
    let pos = this.pos;
    for (let i = 0; i < count; i++, pos += 4) out[i] = base + view.getInt32(pos, true);
    this.pos = pos;
    return out;
  }

  /** Every byte must have been read: trailing bytes mean a different format. */
  end(): void {
    if (this.pos !== this.data.length) this.fail(`${this.data.length - this.pos} unexpected trailing bytes`);
  }
}

/** First byte of every binary state value; JSON text and packed JSON (0xf6) never start with it. */
export const STATE_MAGIC = 0xfb;

/** Writes the header of a binary state value: magic, kind, format version. */
export function writeHeader(w: StateWriter, kind: number, version: number): void {
  w.u8(STATE_MAGIC);
  w.u8(kind);
  w.u8(version);
}

/**
 * Checks the header; returns false for a value that is not binary state at all (older JSON or
 * packed-JSON state), throws for binary state of another kind or a version this build cannot read.
 */
export function readHeader(r: StateReader, data: Buffer, kind: number, version: number): boolean {
  if (data.length === 0 || data[0] !== STATE_MAGIC) return false;
  r.u8();
  const k = r.u8();
  if (k !== kind) r.fail(`binary state of kind ${k}, expected ${kind}`);
  const v = r.u8();
  if (v !== version) r.fail(`format version ${v}; this build reads version ${version} (and older JSON state)`);
  return true;
}

/** Metric names are written once per value and referenced by index. */
export class NameTable {
  private readonly index = new Map<string, number>();
  readonly names: string[] = [];

  add(name: string): void {
    if (this.index.has(name)) return;
    this.index.set(name, this.names.length);
    this.names.push(name);
  }

  ref(name: string): number {
    return this.index.get(name)!;
  }

  write(w: StateWriter): void {
    w.u16(this.names.length, 'metric names');
    for (const n of this.names) w.str(n, 'metric name');
  }

  static read(r: StateReader): string[] {
    const count = r.u16();
    const names: string[] = [];
    for (let i = 0; i < count; i++) names.push(r.str());
    return names;
  }
}

/** The name at `i` of a table read back, or a clear failure. */
export function nameAt(r: StateReader, names: readonly string[]): string {
  const i = r.u16();
  const n = names[i];
  if (n === undefined) r.fail(`metric name index ${i} out of range`);
  return n;
}

/**
 * Pure window definitions. A definition maps an event timestamp to the windows that contain it and
 * says how long a window stays open for late records (grace) and how long it is kept (retention).
 * Nothing here touches a store, so the maths is unit-tested in isolation.
 *
 * Windows are half-open: [start, end). A window is closed once stream time >= end + grace; a record
 * for a closed window is late and goes to the late-records topic instead of a store.
 */
import { ForeshadowError } from '../runtime/errors.js';

export interface TimeWindow {
  /** Inclusive start, epoch ms. */
  start: number;
  /** Exclusive end, epoch ms. */
  end: number;
}

export type WindowKind = 'tumbling' | 'hopping' | 'sliding';

export interface WindowDefinition {
  readonly kind: WindowKind;
  readonly sizeMs: number;
  readonly advanceMs: number;
  readonly graceMs: number;
  /** How long a window is kept in its store after it starts; at least size + grace. */
  readonly retentionMs: number;
  /** Every window containing `timestamp`, oldest first. */
  windowsFor(timestamp: number): TimeWindow[];
  /** True when stream time has passed the window's end plus grace. */
  isClosed(window: TimeWindow, streamTime: number): boolean;
}

function positive(name: string, v: number): void {
  if (!Number.isSafeInteger(v) || v <= 0) {
    throw new ForeshadowError('CONFIG_INVALID', `${name} must be a positive integer of ms, got ${v}`);
  }
}

function nonNegative(name: string, v: number): void {
  if (!Number.isSafeInteger(v) || v < 0) {
    throw new ForeshadowError('CONFIG_INVALID', `${name} must be a non-negative integer of ms, got ${v}`);
  }
}

/** Floor division that stays correct for negative timestamps. */
function alignDown(ts: number, step: number): number {
  return ts - (((ts % step) + step) % step);
}

abstract class BaseWindows implements WindowDefinition {
  abstract readonly kind: WindowKind;
  readonly retentionMs: number;

  protected constructor(
    readonly sizeMs: number,
    readonly advanceMs: number,
    readonly graceMs: number,
    retentionMs: number | undefined,
  ) {
    positive('window size', sizeMs);
    positive('window advance', advanceMs);
    nonNegative('grace', graceMs);
    if (advanceMs > sizeMs) {
      throw new ForeshadowError('CONFIG_INVALID', `advance ${advanceMs} ms exceeds window size ${sizeMs} ms`);
    }
    const minimum = sizeMs + graceMs;
    if (retentionMs !== undefined && retentionMs < minimum) {
      // A window dropped before it closes would lose records that are still on time.
      throw new ForeshadowError('CONFIG_INVALID', `retention ${retentionMs} ms is below size + grace (${minimum} ms)`);
    }
    this.retentionMs = retentionMs ?? minimum;
  }

  windowsFor(timestamp: number): TimeWindow[] {
    const out: TimeWindow[] = [];
    const lastStart = alignDown(timestamp, this.advanceMs);
    for (let start = lastStart; start > timestamp - this.sizeMs; start -= this.advanceMs) {
      out.push({ start, end: start + this.sizeMs });
    }
    return out.reverse();
  }

  isClosed(window: TimeWindow, streamTime: number): boolean {
    return streamTime >= window.end + this.graceMs;
  }
}

/** Fixed-size, non-overlapping windows aligned to the epoch. */
export class TimeWindows extends BaseWindows {
  readonly kind = 'tumbling' as const;

  private constructor(sizeMs: number, graceMs: number, retentionMs?: number) {
    super(sizeMs, sizeMs, graceMs, retentionMs);
  }

  static of(options: { sizeMs: number; graceMs?: number; retentionMs?: number }): TimeWindows {
    return new TimeWindows(options.sizeMs, options.graceMs ?? 0, options.retentionMs);
  }
}

/** Fixed-size windows starting every `advanceMs`; a record falls into size/advance windows. */
export class HoppingWindows extends BaseWindows {
  readonly kind = 'hopping' as const;

  private constructor(sizeMs: number, advanceMs: number, graceMs: number, retentionMs?: number) {
    super(sizeMs, advanceMs, graceMs, retentionMs);
  }

  static of(options: { sizeMs: number; advanceMs: number; graceMs?: number; retentionMs?: number }): HoppingWindows {
    return new HoppingWindows(options.sizeMs, options.advanceMs, options.graceMs ?? 0, options.retentionMs);
  }
}

/**
 * Sliding windows: every record at time t defines the window [t - timeDifference, t] (end
 * exclusive at t + 1), and a record contributes to every record-defined window that covers it.
 * Which windows exist depends on the other records, so `windowsFor` returns only the window the
 * record itself defines; `windowsCovering` answers the full question given the record times seen.
 */
export class SlidingWindows extends BaseWindows {
  readonly kind = 'sliding' as const;

  private constructor(timeDifferenceMs: number, graceMs: number, retentionMs?: number) {
    // Size counts both ends: a window [t - d, t] spans d + 1 ms.
    super(timeDifferenceMs + 1, 1, graceMs, retentionMs);
  }

  static of(options: { timeDifferenceMs: number; graceMs?: number; retentionMs?: number }): SlidingWindows {
    return new SlidingWindows(options.timeDifferenceMs, options.graceMs ?? 0, options.retentionMs);
  }

  get timeDifferenceMs(): number {
    return this.sizeMs - 1;
  }

  override windowsFor(timestamp: number): TimeWindow[] {
    return [{ start: timestamp - this.timeDifferenceMs, end: timestamp + 1 }];
  }

  /** Windows defined by `recordTimes` (this record included) that contain `timestamp`. */
  windowsCovering(timestamp: number, recordTimes: Iterable<number>): TimeWindow[] {
    const ends = new Set<number>();
    for (const t of recordTimes) {
      if (t >= timestamp && t - this.timeDifferenceMs <= timestamp) ends.add(t);
    }
    ends.add(timestamp);
    return [...ends].sort((a, b) => a - b).map((t) => ({ start: t - this.timeDifferenceMs, end: t + 1 }));
  }
}

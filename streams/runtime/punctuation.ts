/**
 * Punctuation schedules of a processor (`ProcessorContext.schedule`): when each fires, on stream
 * time or on the wall clock. A schedule fires once however many intervals passed, then realigns to
 * its grid; a stream-time schedule made before stream time started is anchored by the first record.
 */
import type { PunctuationType } from './processor.js';

export interface Schedule {
  type: PunctuationType;
  intervalMs: number;
  next: number | undefined;
  callback: (timestamp: number) => void | Promise<void>;
  cancelled: boolean;
}

/** A schedule made at `now` (stream time or wall clock, as its type says; negative: not started). */
export function newSchedule(
  type: PunctuationType,
  intervalMs: number,
  now: number,
  callback: (timestamp: number) => void | Promise<void>,
): Schedule {
  return {
    type,
    intervalMs,
    next: type === 'wall-clock' || now >= 0 ? now + intervalMs : undefined,
    callback,
    cancelled: false,
  };
}

/** Whether `s` fires at `now`; if so its next time moves to the first grid point after `now`. */
export function fires(s: Schedule, now: number): boolean {
  if (s.next === undefined) {
    s.next = now + s.intervalMs;
    return false;
  }
  if (now < s.next) return false;
  s.next += Math.floor((now - s.next) / s.intervalMs + 1) * s.intervalMs;
  return true;
}

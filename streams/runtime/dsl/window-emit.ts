/**
 * Emit state of windowed aggregations with emit 'on-window-close': the start of the last window
 * emitted is kept in `<storeName>-emit` under one key, so a restart neither repeats nor skips.
 */
import type { Emit } from './dsl-options.js';

export const EMIT_KEY = 'last-emitted-start';

export function emitStoreName(storeName: string): string {
  return `${storeName}-emit`;
}

export function emitMode(options: { emit?: Emit }): Emit {
  return options.emit ?? 'on-window-close';
}

/** The raw-values store of a sliding aggregation. */
export function recordsStoreName(storeName: string): string {
  return `${storeName}-records`;
}
